import Docker from 'dockerode';
import type { Config } from '../../config/schema';
import { RegistryClient } from '../registry/client';
import { parsePlatform } from '../registry/manifest';
import { type ImageRef, parseImageRef } from '../registry/reference';
import { resolveDockerArchiveImage } from './docker-archive-source';
import { resolveDockerDaemonImage } from './docker-daemon-source';
import { DirTree, TarTree } from './file-tree';
import type { ResolvedImage } from './image-source';
import { resolveOciLayoutImage } from './oci-layout-source';
import { resolveRegistryImage } from './registry-source';

export type { LayerHandle, ResolvedImage } from './image-source';

export interface ResolveOptions {
  /** Uses `registry` (platform, insecure hosts, Docker config, timeouts, retries). */
  config?: Pick<Config, 'registry'>;
  /** OS/ARCH[/VARIANT]; overrides config.registry.platform. */
  platform?: string;
  /** Reuse one client (its token cache) across images; default: a new one from config. */
  registryClient?: RegistryClient;
  /** The engine for `docker-daemon:`; default: DOCKER_HOST or /var/run/docker.sock. */
  docker?: Docker;
}

/**
 * Resolves any image reference to one platform's manifest digest and layer handles. Layers are not read
 * here: each LayerHandle.open() gives a fresh stream verified against the layer's digest.
 */
export async function resolveImage(
  ref: ImageRef | string,
  opts: ResolveOptions = {},
): Promise<ResolvedImage> {
  const parsed = typeof ref === 'string' ? parseImageRef(ref) : ref;
  const platform = parsePlatform(opts.platform ?? opts.config?.registry.platform ?? 'linux/amd64');
  switch (parsed.kind) {
    case 'registry':
      return resolveRegistryImage(
        parsed,
        opts.registryClient ?? new RegistryClient({ registry: opts.config?.registry }),
        platform,
      );
    case 'docker-daemon':
      return resolveDockerDaemonImage(parsed, opts.docker ?? new Docker());
    case 'docker-archive':
      return resolveDockerArchiveImage(parsed, await TarTree.open(parsed.path));
    case 'oci-archive':
      return resolveOciLayoutImage(parsed, await TarTree.open(parsed.path), platform);
    case 'oci':
      return resolveOciLayoutImage(parsed, new DirTree(parsed.dir), platform);
  }
}
