/**
 * Remakes noise-tags.json from the file list of a bare base system:
 *
 *   node dist/activities/tagging/derive-noise-tags.js PATHS.txt VERSION "SOURCE" > activities/tagging/noise-tags.json
 *
 * PATHS.txt holds one path per line (leading `/` optional). The shipped list (version 1) came from a
 * Debian 12 host's minimal package set, the dependency closure of the Priority: required packages:
 *
 *   REQ=$(dpkg-query -W -f='${Package} ${Priority}\n' | awk '$2=="required"{print $1}')
 *   apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
 *     --no-replaces --no-enhances $REQ | grep -v '^[ <]' | sort -u > pkgs   # keep the installed ones
 *   for p in $(cat pkgs); do dpkg -L $p; done | sed 's#^/##' | sort -u > PATHS.txt
 * The noise tags are the reference
 * tokenizer's tags on those paths at Praxi's threshold (2), with no noise list applied: what any
 * package layer would share with the base system rather than tell about itself.
 */
import { readFileSync } from 'node:fs';
import { tokenizePaths } from './columbus';

export const NOISE_DERIVATION_THRESHOLD = 2;

export function deriveNoiseTags(paths: Iterable<string>): string[] {
  return Object.keys(
    tokenizePaths(paths, { name: 'columbus', threshold: NOISE_DERIVATION_THRESHOLD, dropNoise: false }),
  );
}

function main(argv: string[]): void {
  const [file, version, source] = argv;
  if (!file || !version || !source) {
    process.stderr.write('usage: derive-noise-tags PATHS.txt VERSION SOURCE\n');
    process.exitCode = 2;
    return;
  }
  const paths = readFileSync(file, 'utf8')
    .split('\n')
    .map((p) => p.replace(/^\/+/, ''))
    .filter((p) => p !== '' && p !== '.');
  const tags = deriveNoiseTags(paths);
  const out = {
    version,
    source,
    method:
      `Columbus tokenizer (reference variant, threshold ${NOISE_DERIVATION_THRESHOLD}, no noise list) ` +
      `over the ${paths.length} paths of the base system; every tag it emits is noise.`,
    count: tags.length,
    tags,
  };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

if (require.main === module) main(process.argv.slice(2));
