import type { Readable } from 'node:stream';

/** One layer of a resolved image, readable as a stream of its stored (usually compressed) bytes. */
export interface LayerHandle {
  /** Digest of the stored blob (`sha256:...`); the cache key for its tagset. */
  digest: string;
  mediaType: string;
  /** Stored size in bytes when known; -1 when the source cannot tell before reading (the Docker engine). */
  size: number;
  /** A fresh stream of the blob's bytes, verified against `digest` as it is read. */
  open(): Promise<Readable>;
}

/** An image resolved to one platform: what every source (registry, Docker engine, archives) yields. */
export interface ResolvedImage {
  /** The reference as the user gave it, canonicalised. */
  reference: string;
  /** Repository without tag or digest, e.g. `127.0.0.1:5000/team/app` or `docker-daemon:app`. */
  repository: string;
  manifestDigest: string;
  platform: string;
  layers: LayerHandle[];
}
