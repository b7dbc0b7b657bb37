import type { Config } from '../../config/schema';
import { readLayer } from '../layers/reader';
import {
  osReleaseFromContents,
  recordsFromContents,
  RECORDS_MAX_CONTENT_BYTES,
  wantContent,
} from '../records';
import type { Distro } from '../reports/report';
import type { PackageRecord } from '../records/package-record';
import { isPraxiError, NotFoundError } from '../errors';
import { putJson, type ObjectStore } from '../store/object-store';
import { summarize as summarizeLayer, tagsetKey, TagsetCache, type Fingerprint } from '../tagging/cache';
import { tagsetFromChangeset, type TokenizerOptions } from '../tagging/columbus';
import type { ImageResolver } from './image-cache';
import { layerRecordsKey } from './scan-keys';
import type { LayerFingerprint, LayerRef } from './scan-types';

export function tokenizerOptions(config: Pick<Config, 'tokenizer'>): TokenizerOptions {
  return { name: config.tokenizer.name, threshold: config.tokenizer.threshold };
}

interface LayerRecords {
  schema: 'praxi.layer-records/v1';
  records: PackageRecord[];
  /** The distribution release this layer's os-release file names, if it has one. */
  distro?: Distro;
}

export interface FingerprintHooks {
  /** Compressed bytes read so far (activity heartbeats). */
  onProgress?(bytes: number): void;
  signal?: AbortSignal;
  /** Read the layer even when its fingerprint is cached (the fresh result replaces the cached one). */
  bypassCache?: boolean;
}

/**
 * One layer → its tagset (in the tagset cache) and its package records, reading the blob once and only
 * when the cache does not know it yet. Records do not depend on the tokenizer and are kept beside it.
 */
export async function fingerprintLayer(
  deps: { store: ObjectStore; config: Pick<Config, 'tokenizer'>; images: ImageResolver },
  input: { reference: string; manifestDigest: string; layer: LayerRef },
  hooks: FingerprintHooks = {},
): Promise<LayerFingerprint> {
  const t0 = Date.now();
  const opts = tokenizerOptions(deps.config);
  const cache = new TagsetCache(deps.store, opts);
  const digest = input.layer.digest;

  if (!hooks.bypassCache) {
    const [hit, records] = await Promise.all([cache.get(digest), readRecords(deps.store, digest)]);
    if (hit && records) return summary(input.layer, cache, hit, records, true, t0);
  }

  const image = await deps.images.resolve(input.reference);
  const handle = image.layers.find((l) => l.digest === digest);
  if (!handle)
    throw new NotFoundError(`layer ${digest} is not part of ${input.reference} (${image.manifestDigest})`);
  const read = await readLayer(await handle.open(), {
    layerDigest: handle.digest,
    mediaType: handle.mediaType,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
    wantContent,
    // A dpkg status file runs to megabytes: the reader's 1 MiB default would skip it.
    maxContentBytes: RECORDS_MAX_CONTENT_BYTES,
  });
  const packages = recordsFromContents(read.contents);
  const fp: Fingerprint = {
    tagset: tagsetFromChangeset(read, opts, packages),
    summary: summarizeLayer(read),
  };
  const os = osReleaseFromContents(read.contents);
  const records: LayerRecords = {
    schema: 'praxi.layer-records/v1',
    records: packages,
    ...(os
      ? {
          distro: {
            id: os.id,
            ...(os.versionId ? { versionId: os.versionId } : {}),
            ...(os.codename ? { codename: os.codename } : {}),
          },
        }
      : {}),
  };
  // Records first: a cached tagset is only trusted when its records are there too.
  await putJson(deps.store, layerRecordsKey(digest), records);
  await cache.put(digest, fp);
  return summary(input.layer, cache, fp, records, false, t0);
}

async function readRecords(store: ObjectStore, digest: string): Promise<LayerRecords | undefined> {
  try {
    const doc = JSON.parse((await store.get(layerRecordsKey(digest))).toString('utf8')) as LayerRecords;
    return doc.schema === 'praxi.layer-records/v1' ? doc : undefined;
  } catch (e) {
    if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') return undefined;
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

function summary(
  layer: LayerRef,
  cache: TagsetCache,
  fp: Fingerprint,
  records: LayerRecords,
  cached: boolean,
  t0: number,
): LayerFingerprint {
  return {
    index: layer.index,
    digest: layer.digest,
    tagsetKey: tagsetKey(cache.tokenizer, layer.digest),
    entries: fp.summary.entries,
    deletions: fp.summary.deletions,
    bytes: fp.summary.bytes,
    distinctTags: fp.tagset.tagCount ?? Object.keys(fp.tagset.tags).length,
    records: records.records,
    ...(records.distro ? { distro: records.distro } : {}),
    cached,
    seconds: (Date.now() - t0) / 1000,
  };
}
