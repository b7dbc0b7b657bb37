import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Advisory } from './advisory';
import { DEFAULT_SOURCE_CREDIT, defaultAdvisorySource, loadAdvisories } from './osv';
import { buildLatestIndex, type LatestEntry, latestFileOf, SHIPPED_LATEST_DIR } from './outdated';

/**
 * Release lists known to an advisory set: every version an advisory lists as affected and every
 * version that fixes one. For packages with advisories this is most of their history (OSV `versions`
 * enumerates the affected releases); it is a lower bound on the real one, without dates.
 */
export function latestEntriesFromAdvisories(advisories: readonly Advisory[]): LatestEntry[] {
  const out: LatestEntry[] = [];
  for (const a of advisories) {
    for (const p of a.affected) {
      for (const version of p.versions) out.push({ ecosystem: p.ecosystem, name: p.name, version });
      for (const r of p.ranges)
        for (const e of r.events)
          if ('fixed' in e) out.push({ ecosystem: p.ecosystem, name: p.name, version: e.fixed });
    }
  }
  return out;
}

/** Regenerates activities/risk/data/latest-<ecosystem>.json: `node dist/activities/risk/latest-from-advisories.js [SOURCE]`. */
async function main(): Promise<void> {
  const source = process.argv[2] ?? defaultAdvisorySource();
  const { advisories } = await loadAdvisories(source);
  const index = buildLatestIndex(latestEntriesFromAdvisories(advisories));
  for (const eco of ['pypi', 'npm', 'deb'] as const) {
    const file = latestFileOf(
      eco,
      index,
      source === defaultAdvisorySource() ? DEFAULT_SOURCE_CREDIT + ', snapshot 2024-10-10' : source,
    );
    if (!Object.keys(file.packages).length) continue;
    const out = path.join(SHIPPED_LATEST_DIR, `latest-${eco}.json`);
    writeFileSync(out, JSON.stringify(file) + '\n');
    console.log(`${out}: ${Object.keys(file.packages).length} packages`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
