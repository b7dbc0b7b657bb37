import { mapLimit } from '../activities/concurrency';
import { createHash } from 'node:crypto';
import {
  BadInputError,
  CorruptContentError,
  isPraxiError,
  NotFoundError,
  PraxiError,
} from '../activities/errors';
import type { ObjectStore } from '../activities/store/object-store';
import type { TokenizerId } from '../activities/tagging/tagset';
import { decodeExpert, digestOf, type ExpertArtifact } from './expert';
import type { Calibration } from './merge';
import type { RoutingStrategy } from './routing';
import type { FeatureEncoding } from './vectorize';

/**
 * The model registry in an ObjectStore:
 *   models/experts/sha256/<hex>.json   expert artifacts, content-addressed, written once
 *   models/versions/<version>.json     immutable manifests (`praxi.model/v1`)
 *   models/current                     the current version pointer, replaced atomically (store.publish)
 * Publishing writes artifacts, then the manifest (create-only), then the pointer: a reader following the
 * pointer never sees a version whose pieces are missing. Rollback is a pointer switch.
 */
export const MODEL_SCHEMA = 'praxi.model/v1';
const EXPERTS = 'models/experts/sha256/';
const VERSIONS = 'models/versions/';
export const CURRENT_KEY = 'models/current';

export interface ExpertEntry {
  /** SHA-256 hex of the artifact bytes; also the expert's id in predictions. */
  id: string;
  key: string;
  digest: string;
  labels: string[];
  bytes: number;
}

export interface ModelManifest {
  schema: typeof MODEL_SCHEMA;
  version: string;
  created: string;
  /** The version this one was trained from (incremental training), if any. */
  parent?: string;
  tokenizer: TokenizerId;
  routing: { strategy: RoutingStrategy; groupSize: number };
  encoding: FeatureEncoding;
  params: Record<string, number | string>;
  /** The full label space, sorted. */
  labels: string[];
  experts: ExpertEntry[];
  calibration: Calibration;
  /**
   * Groups of versions of one package whose training layers carry exactly the same tags (npm packages
   * whose releases changed no file name, for one): no path-based model can tell them apart, so a finding
   * names one of its group. Evaluation reports version scores with each group counted as one as well.
   */
  indistinct?: string[][];
  /**
   * Per npm label, the size signatures of its training layers (models/size-evidence.ts): they name the
   * version where paths cannot.
   */
  sizeSignatures?: Record<string, string[]>;
  training: { samples: number; ms: number; expertsTrained: number; expertsReused: number };
}

export type ManifestDraft = Omit<ModelManifest, 'schema' | 'version' | 'created' | 'experts' | 'labels'>;

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function expertKey(hex: string): string {
  return `${EXPERTS}${hex}.json`;
}

function versionKey(version: string): string {
  if (!VERSION_RE.test(version)) throw new BadInputError(`invalid model version ${JSON.stringify(version)}`);
  return `${VERSIONS}${version}.json`;
}

/** Stores an expert artifact under its digest (a no-op when it is already there) and returns its entry. */
export async function putExpert(
  store: ObjectStore,
  bytes: Buffer,
  artifact: ExpertArtifact,
): Promise<ExpertEntry> {
  const hex = digestOf(bytes);
  const key = expertKey(hex);
  await store.putIfAbsent(key, bytes);
  return { id: hex, key, digest: `sha256:${hex}`, labels: artifact.labels, bytes: bytes.length };
}

/** Reads an expert and checks its bytes against the digest its manifest recorded. */
export async function getExpert(store: ObjectStore, entry: ExpertEntry): Promise<ExpertArtifact> {
  const bytes = await store.get(entry.key);
  const hex = digestOf(bytes);
  if (`sha256:${hex}` !== entry.digest)
    throw new CorruptContentError(
      `expert ${entry.key} has digest sha256:${hex}, manifest says ${entry.digest}`,
      'DIGEST_MISMATCH',
    );
  return decodeExpert(bytes, entry.key);
}

function newVersionId(draft: unknown): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const h = createHash('sha256')
    .update(JSON.stringify(draft))
    .update(String(process.hrtime.bigint()))
    .digest('hex');
  return `${stamp}-${h.slice(0, 8)}`;
}

/**
 * Publishes a new immutable version made of already-stored experts; makes it current unless told not to.
 * Returns the manifest as written. `stored`: expert keys the caller knows are in the store (a base
 * version's experts it reuses); every other expert is checked first, so a version never names a missing one.
 */
export async function publishModel(
  store: ObjectStore,
  draft: ManifestDraft,
  experts: ExpertEntry[],
  opts: { makeCurrent?: boolean; version?: string; stored?: ReadonlySet<string> } = {},
): Promise<ModelManifest> {
  // One existence check per expert, a few at a time: against S3 each is a round trip, and an add that
  // reuses 1,500 experts used to make them one after another.
  await mapLimit(
    experts.filter((e) => !opts.stored?.has(e.key)),
    16,
    async (e) => {
      if (!(await store.exists(e.key)))
        throw new PraxiError('MODEL_ERROR', `cannot publish: expert ${e.key} is not stored`);
    },
  );
  const labels = [...new Set(experts.flatMap((e) => e.labels))].sort();
  const manifest: ModelManifest = {
    schema: MODEL_SCHEMA,
    version: opts.version ?? newVersionId({ draft, experts }),
    created: new Date().toISOString(),
    ...draft,
    labels,
    experts,
  };
  const written = await store.putIfAbsent(versionKey(manifest.version), JSON.stringify(manifest, null, 1));
  if (!written)
    throw new BadInputError(`model version ${manifest.version} already exists; versions are immutable`);
  if (opts.makeCurrent ?? true) await setCurrent(store, manifest.version);
  return manifest;
}

async function setCurrent(store: ObjectStore, version: string): Promise<void> {
  await store.publish(CURRENT_KEY, JSON.stringify({ version }));
}

/** The current version, or undefined when the store has none. One small read: cheap enough to poll. */
export async function currentVersion(store: ObjectStore): Promise<string | undefined> {
  try {
    const v = (JSON.parse((await store.get(CURRENT_KEY)).toString('utf8')) as { version?: string }).version;
    return typeof v === 'string' ? v : undefined;
  } catch (e) {
    if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') return undefined;
    throw e;
  }
}

export async function getManifest(store: ObjectStore, version?: string): Promise<ModelManifest> {
  const v = version ?? (await currentVersion(store));
  if (!v)
    throw new NotFoundError(`no model in ${store.location}: train one (praxi train full) or pass --model`);
  let bytes: Buffer;
  try {
    bytes = await store.get(versionKey(v));
  } catch (e) {
    if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND')
      throw new NotFoundError(`model version ${v} not found in ${store.location}`, v);
    throw e;
  }
  const m = JSON.parse(bytes.toString('utf8')) as ModelManifest;
  if (m.schema !== MODEL_SCHEMA)
    throw new PraxiError('MODEL_ERROR', `model ${v} has schema ${m.schema}, expected ${MODEL_SCHEMA}`);
  return m;
}

export interface ModelSummary {
  version: string;
  created: string;
  parent?: string;
  labels: number;
  experts: number;
  current: boolean;
}

/** Every stored version, oldest first. */
export async function listModels(store: ObjectStore): Promise<ModelSummary[]> {
  const current = await currentVersion(store);
  const keys = await store.list(VERSIONS);
  const out: ModelSummary[] = [];
  for (const k of keys) {
    const m = await getManifest(store, k.slice(VERSIONS.length, -'.json'.length));
    out.push({
      version: m.version,
      created: m.created,
      parent: m.parent,
      labels: m.labels.length,
      experts: m.experts.length,
      current: m.version === current,
    });
  }
  return out.sort((a, b) =>
    a.created < b.created ? -1 : a.created > b.created ? 1 : a.version < b.version ? -1 : 1,
  );
}

/** Makes an existing version current again. */
export async function rollback(store: ObjectStore, version: string): Promise<void> {
  await getManifest(store, version);
  await setCurrent(store, version);
}
