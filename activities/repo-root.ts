import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/** The praxi checkout (or installed package) root, found from this file whether run from source or dist/. */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'praxi') return (cached = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the praxi package root above ${__dirname}`);
    dir = up;
  }
}

/** The pinned Temporal CLI installed by scripts/install-temporal.sh, unless PRAXI_TEMPORAL_BIN names another. */
export function temporalBinary(): string {
  const bin = process.env.PRAXI_TEMPORAL_BIN || path.join(repoRoot(), 'tools', 'temporal');
  if (!existsSync(bin)) {
    throw new Error(
      `Temporal CLI not found at ${bin}: run \`bash scripts/install-temporal.sh\` (or npm run setup)`,
    );
  }
  return bin;
}
