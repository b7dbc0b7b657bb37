import type Docker from 'dockerode';
import type { Config } from '../../config/schema';
import { resolveImage, type ResolvedImage } from '../image-sources';
import { RegistryClient } from '../registry/client';
import type { LayerRef, ResolvedImageSummary } from './scan-types';

/**
 * Resolved images kept per worker process for a few minutes: every layer's fingerprint activity needs
 * the image's layer handles, and resolving again per layer would refetch manifests (or, for the Docker
 * engine, re-export the image) once per layer.
 */
export class ImageResolver {
  private readonly cache = new Map<string, { at: number; image: Promise<ResolvedImage> }>();
  readonly registryClient: RegistryClient;

  constructor(
    private readonly config: Pick<Config, 'registry'>,
    private readonly docker?: Docker,
    private readonly ttlMs = 10 * 60_000,
  ) {
    this.registryClient = new RegistryClient({ registry: config.registry });
  }

  resolve(reference: string): Promise<ResolvedImage> {
    const now = Date.now();
    for (const [k, v] of this.cache) if (now - v.at > this.ttlMs) this.cache.delete(k);
    let hit = this.cache.get(reference);
    if (!hit) {
      hit = {
        at: now,
        image: resolveImage(reference, {
          config: this.config,
          registryClient: this.registryClient,
          docker: this.docker,
        }),
      };
      hit.image.catch(() => this.cache.delete(reference));
      this.cache.set(reference, hit);
    }
    return hit.image;
  }
}

export function summarize(image: ResolvedImage): ResolvedImageSummary {
  const layers: LayerRef[] = image.layers.map((l, index) => ({
    index,
    digest: l.digest,
    mediaType: l.mediaType,
    size: l.size,
  }));
  return {
    reference: image.reference,
    repository: image.repository,
    manifestDigest: image.manifestDigest,
    platform: image.platform,
    layers,
  };
}
