import picomatch from 'picomatch';
import type { RegistryClient } from '../registry/client';
import type { ObjectStore } from '../store/object-store';
import { scanMarkerKey } from './scan-keys';

export interface DiscoverInput {
  /** HOST[:PORT] of the registry to poll. */
  registry: string;
  /** Repository names or globs (`team-*\/**`); empty: the whole catalog. */
  repositories: string[];
  /** Resume after this repository (exclusive): the cursor of the previous page. */
  after?: string;
  /** Stop once this many new images are found (whole repositories at a time). */
  maxImages: number;
}

export interface DiscoveredImage {
  /** `HOST/REPO@sha256:...`: pinned, so the scan reads exactly what was discovered. */
  reference: string;
  repository: string;
  digest: string;
  tags: string[];
}

export interface DiscoverPage {
  images: DiscoveredImage[];
  /** Digests already scanned (skipped). */
  alreadyScanned: number;
  repositoriesSeen: number;
  /** Cursor for the next page; absent when the catalog is exhausted. */
  next?: string;
}

const hasGlob = (s: string) => /[*?[\]{}!]/.test(s);

/** Repositories to poll: listed names as they are, globs matched against the catalog. */
export async function repositoriesToPoll(
  client: RegistryClient,
  registry: string,
  patterns: string[],
): Promise<string[]> {
  if (patterns.length > 0 && !patterns.some(hasGlob)) return [...new Set(patterns)].sort();
  const catalog = await client.listRepositories(registry);
  if (patterns.length === 0) return [...catalog].sort();
  const match = picomatch(patterns);
  return catalog.filter((r) => match(r)).sort();
}

/**
 * One page of registry discovery: tags resolved to digests, images that share a digest folded into one,
 * and digests scanned before left out (their scan marker exists).
 */
export async function discoverImages(
  client: RegistryClient,
  store: ObjectStore,
  input: DiscoverInput,
  onProgress?: (repository: string) => void,
): Promise<DiscoverPage> {
  const repos = (await repositoriesToPoll(client, input.registry, input.repositories)).filter(
    (r) => input.after === undefined || r > input.after,
  );
  const images: DiscoveredImage[] = [];
  let alreadyScanned = 0;
  let seen = 0;
  for (const repository of repos) {
    onProgress?.(repository);
    seen++;
    const addr = { host: input.registry, repository };
    const byDigest = new Map<string, DiscoveredImage>();
    for (const tag of await client.listTags(addr)) {
      const digest = await client.resolveDigest({ kind: 'registry', host: input.registry, repository, tag });
      const known = byDigest.get(digest);
      if (known) {
        known.tags.push(tag);
        continue;
      }
      byDigest.set(digest, {
        reference: `${input.registry}/${repository}@${digest}`,
        repository,
        digest,
        tags: [tag],
      });
    }
    for (const img of byDigest.values()) {
      if (await store.exists(scanMarkerKey(img.digest))) alreadyScanned++;
      else images.push(img);
    }
    if (images.length >= input.maxImages && repository !== repos[repos.length - 1]) {
      return { images, alreadyScanned, repositoriesSeen: seen, next: repository };
    }
  }
  return { images, alreadyScanned, repositoriesSeen: seen };
}
