import type { LayerHandle } from '../image-sources/image-source';
import { readLayer, type LayerRead, type ReadLayerOptions } from '../layers/reader';
import type { TagsetCache, Fingerprint } from './cache';

export type FingerprintOptions = Omit<ReadLayerOptions, 'layerDigest' | 'mediaType'>;

/**
 * One layer's fingerprint (tagset and summary): from the cache when the layer was seen before
 * under the same tokenizer, else by streaming the layer once. `read` is present only when the
 * layer was actually read (so wanted contents are there).
 */
export async function fingerprintLayer(
  layer: Pick<LayerHandle, 'digest' | 'mediaType' | 'open'>,
  cache: TagsetCache,
  opts: FingerprintOptions = {},
): Promise<Fingerprint & { cached: boolean; read?: LayerRead }> {
  const { changeset, ...fp } = await cache.getOrCompute(layer.digest, async () =>
    readLayer(await layer.open(), { ...opts, layerDigest: layer.digest, mediaType: layer.mediaType }),
  );
  return changeset ? { ...fp, read: changeset } : fp;
}
