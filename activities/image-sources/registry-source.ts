import type { RegistryClient } from '../registry/client';
import { formatPlatform, parseImageConfig, type Platform, selectPlatform } from '../registry/manifest';
import { formatRef, formatRepository, type RegistryRef } from '../registry/reference';
import { CorruptContentError } from '../errors';
import type { LayerHandle, ResolvedImage } from './image-source';

/** Indexes can nest (an index of indexes); real ones are one level deep, so a small bound catches loops. */
const MAX_INDEX_DEPTH = 4;

/** A registry image resolved to one platform: index → platform manifest → layer handles that stream from the registry. */
export async function resolveRegistryImage(
  ref: RegistryRef,
  client: RegistryClient,
  platform: Platform,
): Promise<ResolvedImage> {
  let fetched = await client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
  let platformName: string | undefined;
  for (let depth = 0; fetched.manifest.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) {
      throw new CorruptContentError(
        `${formatRef(ref)}: image indexes nest deeper than ${MAX_INDEX_DEPTH} levels`,
      );
    }
    const pick = selectPlatform(fetched.manifest, platform, formatRef(ref));
    if (pick.platform) platformName = formatPlatform(pick.platform);
    fetched = await client.getManifest(ref, pick.digest);
  }
  const manifest = fetched.manifest;
  if (platformName === undefined) {
    // A single-platform image says its platform only in its config.
    const config = parseImageConfig(
      await client.readBlob(ref, manifest.config),
      `config of ${formatRef(ref)}`,
    );
    platformName = formatPlatform(config);
  }
  const layers: LayerHandle[] = manifest.layers.map((d) => ({
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    open: () => client.openBlob(ref, d),
  }));
  return {
    reference: formatRef(ref),
    repository: formatRepository(ref),
    manifestDigest: fetched.digest,
    platform: platformName,
    layers,
  };
}
