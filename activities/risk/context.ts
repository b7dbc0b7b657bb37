import { mapLimit } from '../concurrency';
import type { Config } from '../../config/schema';
import { type Ecosystem, parseLabel } from '../../models/label';
import { isPraxiError } from '../errors';
import type { ObjectStore } from '../store/object-store';
import { type AdvisoryDb, openAdvisoryDb, readPointer, syncAdvisories } from './advisory-db';
import type { RiskContext } from './assess';
import { defaultAdvisorySource } from './osv';
import {
  buildLatestIndex,
  fetchReleases,
  type LatestEntry,
  type LatestIndex,
  loadLatestFiles,
  SHIPPED_LATEST_DIR,
} from './outdated';

/**
 * Everything the risk step needs for one image, from configuration and the store. Kept apart from the
 * matching code so a worker can build it once and reuse it across scans (the advisory set is cached
 * per process and re-read only when `advisories/current.json` names another digest).
 */
let cachedDb: { store: ObjectStore; digest: string; db: AdvisoryDb } | undefined;

/**
 * The advisory set in force; on a store that was never synced, the configured source (default: the
 * bundled PyPI snapshot) is imported first, so the embedded default works with no setup step.
 */
export async function currentAdvisoryDb(
  store: ObjectStore,
  cfg: Pick<Config['risk'], 'advisories'>,
): Promise<AdvisoryDb> {
  const pointer = await readPointer(store);
  if (!pointer) {
    await syncAdvisories(store, cfg.advisories ?? defaultAdvisorySource());
    return currentAdvisoryDb(store, cfg);
  }
  if (cachedDb?.store === store && cachedDb.digest === pointer.digest) return cachedDb.db;
  const db = await openAdvisoryDb(store);
  cachedDb = { store, digest: db.digest, db };
  return db;
}

/** Versions the training data holds (`pypi:requests==2.32.3` labels) as latest-index entries. */
export function latestEntriesFromLabels(labels: Iterable<string>): LatestEntry[] {
  const out: LatestEntry[] = [];
  for (const label of labels) {
    try {
      out.push(parseLabel(label));
    } catch (e) {
      if (!isPraxiError(e)) throw e; // a malformed label adds nothing
    }
  }
  return out;
}

export interface LatestIndexOptions {
  /** The model's label space. */
  labels?: Iterable<string>;
  /** Packages to ask the configured online indexes about (the image's findings); nothing is asked without them. */
  packages?: Array<{ ecosystem: Ecosystem; name: string }>;
  /** Requests in flight at once to an online index. */
  concurrency?: number;
}

/**
 * Offline files (shipped, or `risk.latestVersionsDir`), the label space, and, when `risk.pypiJsonApi` /
 * `risk.npmRegistry` are set, those indexes' release lists for the given packages. An online index that
 * fails leaves the offline answer standing: the outdated check is advice, not a reason to fail a scan.
 */
export async function latestIndexFrom(
  cfg: Pick<Config['risk'], 'latestVersionsDir' | 'pypiJsonApi' | 'npmRegistry'>,
  opts: LatestIndexOptions = {},
): Promise<{ index: LatestIndex; problems: string[] }> {
  const entries: LatestEntry[] = [...loadLatestFiles(cfg.latestVersionsDir ?? SHIPPED_LATEST_DIR).entries()];
  if (opts.labels) entries.push(...latestEntriesFromLabels(opts.labels));
  const problems: string[] = [];
  const queue = [
    ...new Map((opts.packages ?? []).map((p) => [`${p.ecosystem}:${p.name}`, p])).values(),
  ].filter((p) => (p.ecosystem === 'pypi' && cfg.pypiJsonApi) || (p.ecosystem === 'npm' && cfg.npmRegistry));
  await mapLimit(queue, opts.concurrency ?? 4, async (p) => {
    const base = p.ecosystem === 'pypi' ? cfg.pypiJsonApi! : cfg.npmRegistry!;
    try {
      entries.push(...(await fetchReleases(p.ecosystem as 'pypi' | 'npm', p.name, base)));
    } catch (e) {
      problems.push(`${p.ecosystem}:${p.name}: ${(e as Error).message}`);
    }
  });
  return { index: buildLatestIndex(entries), problems };
}

/** The risk context for one image's assessment (see ./assess). */
export async function riskContextFrom(
  store: ObjectStore,
  cfg: Config['risk'],
  opts: LatestIndexOptions = {},
): Promise<RiskContext & { problems: string[] }> {
  const [db, latest] = await Promise.all([currentAdvisoryDb(store, cfg), latestIndexFrom(cfg, opts)]);
  return {
    db,
    latest: latest.index,
    policy: { versionsBehind: cfg.outdatedVersionsBehind, daysBehind: cfg.outdatedDaysBehind },
    defaultSeverity: cfg.defaultSeverity,
    problems: latest.problems,
  };
}
