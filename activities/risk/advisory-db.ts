import { gunzipSync, gzipSync } from 'node:zlib';
import { NotFoundError, CorruptContentError, isPraxiError } from '../errors';
import type { ObjectStore } from '../store/object-store';
import type { Advisory } from './advisory';
import { type AdvisoryIndex, indexAdvisories } from './match';
import {
  advisoriesDigest,
  DEFAULT_SOURCE_CREDIT,
  defaultAdvisorySource,
  displaySource,
  loadAdvisories,
} from './osv';

/**
 * The advisory database in the object store. Each compiled set is content-addressed
 * (`advisories/sha256/<hex>.json.gz`, immutable) and `advisories/current.json` points at the one in
 * force; switching is one atomic publish, so a reader never pairs a pointer with the wrong set.
 */
export const ADVISORY_DB_FORMAT = 'praxi.advisories/v1';
export const CURRENT_KEY = 'advisories/current.json';

export interface AdvisoryDbPointer {
  format: typeof ADVISORY_DB_FORMAT;
  digest: string;
  key: string;
  count: number;
  source: string;
  credit?: string;
  syncedAt: string;
}

interface StoredDb {
  format: typeof ADVISORY_DB_FORMAT;
  digest: string;
  source: string;
  advisories: Advisory[];
}

export interface AdvisoryDb extends AdvisoryIndex {
  readonly digest: string;
  readonly source: string;
  readonly syncedAt?: string;
}

export interface SyncResult {
  count: number;
  digest: string;
  /** Advisory ids new since the previous set (all of them on the first sync). */
  added: string[];
  /** Ids present before whose record was modified. */
  changed: string[];
  /** Ids gone (withdrawn or removed). */
  removed: string[];
  /** False when the source compiled to the set already in force. */
  updated: boolean;
  problems: Array<{ file: string; message: string }>;
  loadMs: number;
}

function dbKey(digest: string): string {
  return `advisories/sha256/${digest.replace(/^sha256:/, '')}.json.gz`;
}

export async function readPointer(store: ObjectStore): Promise<AdvisoryDbPointer | undefined> {
  try {
    return JSON.parse((await store.get(CURRENT_KEY)).toString('utf8')) as AdvisoryDbPointer;
  } catch (e) {
    if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') return undefined;
    throw e;
  }
}

async function readStored(store: ObjectStore, key: string): Promise<StoredDb> {
  const raw = await store.get(key);
  try {
    const db = JSON.parse(gunzipSync(raw).toString('utf8')) as StoredDb;
    if (db.format !== ADVISORY_DB_FORMAT)
      throw new Error(`format ${String(db.format)}, expected ${ADVISORY_DB_FORMAT}`);
    return db;
  } catch (e) {
    throw new CorruptContentError(
      `advisory database ${key} is unreadable: ${(e as Error).message}`,
      'CORRUPT_CONTENT',
      e,
    );
  }
}

/** Imports `source` (default: the bundled PyPI snapshot), stores it, and says what changed. */
export async function syncAdvisories(
  store: ObjectStore,
  source: string = defaultAdvisorySource(),
  opts: { now?: Date } = {},
): Promise<SyncResult> {
  const t0 = performance.now();
  const loaded = await loadAdvisories(source);
  const loadMs = Math.round(performance.now() - t0);
  const digest = advisoriesDigest(loaded.advisories);
  const previous = await readPointer(store);
  const before = new Map<string, string | undefined>();
  if (previous)
    for (const a of (await readStored(store, previous.key)).advisories) before.set(a.id, a.modified);

  const ids = new Set(loaded.advisories.map((a) => a.id));
  const added = loaded.advisories.filter((a) => !before.has(a.id)).map((a) => a.id);
  const changed = loaded.advisories
    .filter((a) => before.has(a.id) && before.get(a.id) !== a.modified)
    .map((a) => a.id);
  const removed = [...before.keys()].filter((id) => !ids.has(id)).sort();
  const updated = previous?.digest !== digest;
  if (updated) {
    const key = dbKey(digest);
    const stored: StoredDb = {
      format: ADVISORY_DB_FORMAT,
      digest,
      source: displaySource(source),
      advisories: loaded.advisories,
    };
    await store.put(key, gzipSync(JSON.stringify(stored)), { contentType: 'application/gzip' });
    const pointer: AdvisoryDbPointer = {
      format: ADVISORY_DB_FORMAT,
      digest,
      key,
      count: loaded.advisories.length,
      source: displaySource(source),
      ...(source === defaultAdvisorySource() ? { credit: DEFAULT_SOURCE_CREDIT } : {}),
      syncedAt: (opts.now ?? new Date()).toISOString(),
    };
    await store.publish(CURRENT_KEY, JSON.stringify(pointer, null, 2));
  }
  return {
    count: loaded.advisories.length,
    digest,
    added,
    changed,
    removed,
    updated,
    problems: loaded.problems,
    loadMs,
  };
}

/** The advisory set in force, indexed for matching. */
export async function openAdvisoryDb(store: ObjectStore): Promise<AdvisoryDb> {
  const pointer = await readPointer(store);
  if (!pointer) {
    throw new NotFoundError(
      `no advisory database in ${store.location}: run \`praxi advisories sync\` first`,
      CURRENT_KEY,
      'KEY_NOT_FOUND',
    );
  }
  const stored = await readStored(store, pointer.key);
  return {
    ...indexAdvisories(stored.advisories),
    digest: stored.digest,
    source: stored.source,
    syncedAt: pointer.syncedAt,
  };
}

/** An in-memory database straight from a source, for tests and one-off CLI runs. */
export function advisoryDbFrom(advisories: Advisory[], source = 'memory'): AdvisoryDb {
  return { ...indexAdvisories(advisories), digest: advisoriesDigest(advisories), source };
}
