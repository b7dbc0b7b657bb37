import { type Command, Option } from 'commander';
import { BadInputError, isPraxiError, NotFoundError } from '../../activities/errors';
import {
  formatReportTable,
  type Inventory,
  listInventoryKeys,
  readCycloneDx,
  readReport,
  reportKeys,
} from '../../activities/reports';
import { getJson, type ObjectStore, openStore } from '../../activities/store';
import type { Config } from '../../config/schema';
import { configFrom } from '../context';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** A stored image whose reference was exactly this, newest first: works offline, for images scanned before. */
async function digestFromInventories(store: ObjectStore, image: string): Promise<string | undefined> {
  let best: Inventory | undefined;
  for (const key of await listInventoryKeys(store)) {
    const inv = await getJson<Inventory>(store, key).catch(() => undefined);
    if (inv?.image === image && (!best || inv.createdAt > best.createdAt)) best = inv;
  }
  return best?.manifestDigest;
}

/** A digest as given; otherwise the image's current digest from its source, else the last report made under that name. */
async function digestOf(config: Config, store: ObjectStore, image: string): Promise<string> {
  if (DIGEST_RE.test(image)) return image;
  const at = /@(sha256:[0-9a-f]{64})$/.exec(image);
  if (at) return at[1];
  try {
    // Loaded only here: the registry and engine clients are heavy, and a digest needs neither.
    const { ImageResolver } = await import('../../activities/pipeline/image-cache');
    return (await new ImageResolver(config).resolve(image)).manifestDigest;
  } catch (e) {
    const stored = await digestFromInventories(store, image);
    if (stored) return stored;
    if (isPraxiError(e)) throw e;
    throw new BadInputError(`cannot resolve ${image} to a digest: ${(e as Error).message}`, 'BAD_REFERENCE');
  }
}

export function registerReport(program: Command): void {
  program
    .command('report <image-or-digest>')
    .description(
      'show the stored report of a scanned image, by manifest digest (sha256:...) or by image reference (resolved to ' +
        'its current digest through its registry or source; if that fails, the last report stored under that reference)',
    )
    .addOption(
      new Option(
        '--format <format>',
        'table for people, json (praxi.report/v1), cyclonedx (CycloneDX 1.5 SBOM)',
      )
        .choices(['table', 'json', 'cyclonedx'])
        .default('table'),
    )
    .action(async (image: string, opts: { format: 'table' | 'json' | 'cyclonedx' }, cmd: Command) => {
      const config = configFrom(cmd);
      const store = openStore(config.store);
      const digest = await digestOf(config, store, image);
      try {
        if (opts.format === 'cyclonedx') {
          console.log(JSON.stringify(await readCycloneDx(store, digest), null, 2));
        } else {
          const report = await readReport(store, digest);
          process.stdout.write(
            opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatReportTable(report),
          );
        }
      } catch (e) {
        if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') {
          throw new NotFoundError(
            `no report for ${digest} in ${store.location} (looked for ${reportKeys(digest).report}): scan it first with \`praxi scan\``,
          );
        }
        throw e;
      }
    });
}
