import type { Config } from '../../config/schema';
import { readLayer } from '../layers/reader';
import { recordsFromContents, wantContent } from '../records';
import type { PackageRecord } from '../records/package-record';
import { NotFoundError } from '../errors';
import { getJson, putJson, type ObjectStore } from '../store/object-store';
import { tagsetFromChangeset, tokenizerId, type TokenizerOptions } from '../tagging/columbus';
import type { Tagset } from '../tagging/tagset';
import type { ImageResolver } from './image-cache';
import { layerRecordsKey } from './scan-keys';
import type { LayerFingerprint, LayerRef } from './scan-types';

export function tokenizerOptions(config: Pick<Config, 'tokenizer'>): TokenizerOptions {
  return { name: config.tokenizer.name, threshold: config.tokenizer.threshold };
}

/** Tagsets are cached per layer digest and tokenizer version: a base layer shared by many images is read once. */
export function tagsetKey(opts: TokenizerOptions, layerDigest: string): string {
  const id = tokenizerId(opts);
  return `tagsets/${id.name}-${id.version}/${layerDigest.replace(':', '/')}.json`;
}

interface LayerFacts {
  schema: 'praxi.layer-facts/v1';
  entries: number;
  deletions: number;
  bytes: number;
  records: PackageRecord[];
}

export interface FingerprintHooks {
  /** Compressed bytes read so far (activity heartbeats). */
  onProgress?(bytes: number): void;
  signal?: AbortSignal;
  /** Read the layer even when its fingerprint is cached (the fresh result replaces the cached one). */
  bypassCache?: boolean;
}

/**
 * One layer → its tagset (stored) and its package records, reading the blob once and only when the
 * cache does not know it yet.
 */
export async function fingerprintLayer(
  deps: { store: ObjectStore; config: Pick<Config, 'tokenizer'>; images: ImageResolver },
  input: { reference: string; manifestDigest: string; layer: LayerRef },
  hooks: FingerprintHooks = {},
): Promise<LayerFingerprint> {
  const t0 = Date.now();
  const opts = tokenizerOptions(deps.config);
  const key = tagsetKey(opts, input.layer.digest);
  const factsKey = layerRecordsKey(input.layer.digest);
  const { store } = deps;

  if (!hooks.bypassCache && (await store.exists(key)) && (await store.exists(factsKey))) {
    const [tagset, facts] = await Promise.all([
      getJson<Tagset>(store, key),
      getJson<LayerFacts>(store, factsKey),
    ]);
    return summary(input.layer, key, tagset, facts, true, t0);
  }

  const image = await deps.images.resolve(input.reference);
  const handle = image.layers.find((l) => l.digest === input.layer.digest);
  if (!handle) {
    throw new NotFoundError(
      `layer ${input.layer.digest} is not part of ${input.reference} (${image.manifestDigest})`,
    );
  }
  const read = await readLayer(await handle.open(), {
    layerDigest: handle.digest,
    mediaType: handle.mediaType,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
    wantContent,
  });
  const tagset = tagsetFromChangeset(read, opts);
  const facts: LayerFacts = {
    schema: 'praxi.layer-facts/v1',
    entries: read.entries.length,
    deletions: read.deletions.length,
    bytes: read.bytes,
    records: recordsFromContents(read.contents),
  };
  // Facts last: their presence is what marks the layer as cached.
  await putJson(store, key, tagset);
  await putJson(store, factsKey, facts);
  return summary(input.layer, key, tagset, facts, false, t0);
}

function summary(
  layer: LayerRef,
  key: string,
  tagset: Tagset,
  facts: LayerFacts,
  cached: boolean,
  t0: number,
): LayerFingerprint {
  return {
    index: layer.index,
    digest: layer.digest,
    tagsetKey: key,
    entries: facts.entries,
    deletions: facts.deletions,
    bytes: facts.bytes,
    distinctTags: Object.keys(tagset.tags).length,
    records: facts.records,
    cached,
    seconds: (Date.now() - t0) / 1000,
  };
}
