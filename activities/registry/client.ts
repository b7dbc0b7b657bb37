import type { Readable } from 'node:stream';
import type { Config } from '../../config/schema';
import { CorruptContentError, PraxiError, TransientError } from '../errors';
import { defaultKeychain, type Keychain } from './auth';
import { type Manifest, parseManifest } from './manifest';
import { MANIFEST_MEDIA_TYPES, MediaTypes } from './media-types';
import { isDigest, type RegistryRef } from './reference';
import { resumableStream } from './resumable-stream';
import { RegistryTransport } from './transport';
import { sha256Digest, verifiedStream, verifyBuffer } from './verify';

/** A repository in a registry; a RegistryRef is one. */
export interface RepoAddress {
  host: string;
  repository: string;
}

export interface FetchedManifest {
  /** sha256 of the exact bytes received (verified against the requested digest, or the registry's header). */
  digest: string;
  mediaType: string;
  body: Buffer;
  manifest: Manifest;
}

export interface RegistryClientOptions {
  /** The `registry` section of the config (defaults apply to missing fields). */
  registry?: Partial<Config['registry']>;
  /** Where credentials come from; default: environment, then the Docker config. */
  keychain?: Keychain;
  env?: NodeJS.ProcessEnv;
  /** First backoff step in ms (tests shorten it). */
  retryBaseDelayMs?: number;
}

/** Distribution refuses manifests over 4 MiB; anything bigger is not a manifest. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * An OCI distribution client: manifests (with digest checks), verified blob streams, catalog and tag
 * listing with Link pagination, and the monolithic upload used to push test images.
 */
export class RegistryClient {
  readonly transport: RegistryTransport;

  constructor(opts: RegistryClientOptions = {}) {
    const r = opts.registry ?? {};
    this.transport = new RegistryTransport({
      keychain: opts.keychain ?? defaultKeychain({ dockerConfig: r.dockerConfig, env: opts.env }),
      insecure: r.insecure ?? [],
      requestTimeoutMs: r.requestTimeoutMs,
      maxRetries: r.maxRetries,
      retryBaseDelayMs: opts.retryBaseDelayMs,
    });
  }

  /** GET a manifest by tag or digest. Fetched by digest, the bytes must hash to it; by tag, to the registry's Docker-Content-Digest when sent. */
  async getManifest(repo: RepoAddress, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${repo.host}/${repo.repository}${isDigest(reference) ? '@' : ':'}${reference}`;
    const res = await this.transport.request(repo.host, `/v2/${repo.repository}/manifests/${reference}`, {
      headers: { accept: [...MANIFEST_MEDIA_TYPES, MediaTypes.dockerSchema1Signed].join(', ') },
      scope: pullScope(repo),
      what,
    });
    const body = await this.transport.bodyBuffer(res, what, MAX_MANIFEST_BYTES);
    // Fetched by digest, the digest is the authority: check it first. Fetched by tag, parse first, so a
    // schema 1 manifest is reported as such rather than as a mismatch (its registry digest excludes the
    // signature).
    if (isDigest(reference)) verifyBuffer(body, reference, undefined, what);
    const manifest = parseManifest(body, res.headers.get('content-type') ?? undefined, what);
    const digest = sha256Digest(body);
    const said = res.headers.get('docker-content-digest');
    if (!isDigest(reference) && said && isDigest(said) && said !== digest) {
      throw new CorruptContentError(
        `${what}: received bytes hash to ${digest} but the registry says ${said}`,
        'DIGEST_MISMATCH',
      );
    }
    return { digest, mediaType: manifest.mediaType, body, manifest };
  }

  /**
   * The digest a tag points to now (the index digest for multi-platform images), from a HEAD request;
   * falls back to GET and hashing when the registry sends no Docker-Content-Digest.
   */
  async resolveDigest(ref: RegistryRef): Promise<string> {
    if (ref.digest) return ref.digest;
    const reference = ref.tag ?? 'latest';
    const what = `manifest ${ref.host}/${ref.repository}:${reference}`;
    const res = await this.transport.request(ref.host, `/v2/${ref.repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      scope: pullScope(ref),
      what,
    });
    const said = res.headers.get('docker-content-digest');
    if (said && isDigest(said)) return said;
    return (await this.getManifest(ref, reference)).digest;
  }

  /** A stream of the blob's bytes, verified against `digest` (and `size` when given) as they pass. Redirects (e.g. to S3) are followed. */
  async openBlob(repo: RepoAddress, desc: { digest: string; size?: number }): Promise<Readable> {
    const what = `blob ${desc.digest} of ${repo.host}/${repo.repository}`;
    const path = `/v2/${repo.repository}/blobs/${desc.digest}`;
    const res = await this.transport.request(repo.host, path, { scope: pullScope(repo), what });
    const acceptsRanges = res.headers.get('accept-ranges') === 'bytes';
    // A cut connection resumes with a Range request when the server (or the storage it redirected to) supports them.
    const openAt = async (offset: number): Promise<Readable> => {
      const more = await this.transport.request(repo.host, path, {
        scope: pullScope(repo),
        what,
        headers: { range: `bytes=${offset}-` },
      });
      if (more.status !== 206) {
        await more.body?.cancel();
        throw new TransientError(
          `${what}: connection cut at byte ${offset} and the registry cannot resume`,
          'NETWORK',
        );
      }
      return this.transport.bodyStream(more, what);
    };
    const body = this.transport.bodyStream(res, what);
    const stream = acceptsRanges
      ? resumableStream(body, openAt, {
          maxResumes: this.transport.maxRetries,
          backoffMs: (a) => this.transport.backoff(a),
          size: desc.size,
        })
      : body;
    return verifiedStream(stream, desc.digest, desc.size, what);
  }

  /** A small blob (an image config) read whole and verified. */
  async readBlob(
    repo: RepoAddress,
    desc: { digest: string; size?: number },
    maxBytes = MAX_CONFIG_BYTES,
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of await this.openBlob(repo, desc)) {
      n += (c as Buffer).length;
      if (n > maxBytes)
        throw new PraxiError('CORRUPT_CONTENT', `blob ${desc.digest} is larger than ${maxBytes} bytes`);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /** Every repository in the registry's catalog, following `Link: <...>; rel="next"` pages of `pageSize`. */
  async listRepositories(host: string, opts: { pageSize?: number } = {}): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.pages<{ repositories?: string[] }>(
      host,
      `/v2/_catalog`,
      'registry:catalog:*',
      'catalog',
      opts.pageSize,
    )) {
      out.push(...(page.repositories ?? []));
    }
    return out;
  }

  /** Every tag of a repository, following Link pagination. */
  async listTags(repo: RepoAddress, opts: { pageSize?: number } = {}): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.pages<{ tags?: string[] | null }>(
      repo.host,
      `/v2/${repo.repository}/tags/list`,
      pullScope(repo),
      `tags of ${repo.host}/${repo.repository}`,
      opts.pageSize,
    )) {
      out.push(...(page.tags ?? []));
    }
    return out;
  }

  private async *pages<T>(
    host: string,
    path: string,
    scope: string,
    what: string,
    pageSize?: number,
  ): AsyncGenerator<T> {
    let next: string | undefined = pageSize ? `${path}?n=${pageSize}` : path;
    const seen = new Set<string>();
    while (next) {
      if (seen.has(next))
        throw new PraxiError('CORRUPT_CONTENT', `${what}: the registry's pagination loops at ${next}`);
      seen.add(next);
      const res = await this.transport.request(host, next, { scope, what });
      const body = await this.transport.bodyBuffer(res, what, 64 * 1024 * 1024);
      try {
        yield JSON.parse(body.toString('utf8')) as T;
      } catch (e) {
        if (e instanceof SyntaxError)
          throw new CorruptContentError(
            `${what}: the registry answered with invalid JSON`,
            'CORRUPT_CONTENT',
            e,
          );
        throw e;
      }
      next = nextLink(res.headers.get('link'));
    }
  }

  async blobExists(repo: RepoAddress, digest: string): Promise<boolean> {
    const res = await this.transport.request(repo.host, `/v2/${repo.repository}/blobs/${digest}`, {
      method: 'HEAD',
      scope: pushScope(repo),
      what: `blob ${digest} of ${repo.host}/${repo.repository}`,
      accept: [404],
    });
    return res.status !== 404;
  }

  /** Uploads a blob in one piece (POST to open an upload, PUT with the bytes and digest); skips blobs already there. */
  async pushBlob(repo: RepoAddress, data: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(data);
    const what = `upload of blob ${digest} to ${repo.host}/${repo.repository}`;
    if (await this.blobExists(repo, digest)) return { digest, size: data.length };
    const start = await this.transport.request(repo.host, `/v2/${repo.repository}/blobs/uploads/`, {
      method: 'POST',
      scope: pushScope(repo),
      what,
    });
    await start.arrayBuffer();
    const location = start.headers.get('location');
    if (!location)
      throw new PraxiError('INTERNAL', `${what}: the registry opened an upload but sent no Location`);
    const url = new URL(location, this.transport.baseUrl(repo.host));
    url.searchParams.set('digest', digest);
    const put = await this.transport.request(repo.host, url.toString(), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
      scope: pushScope(repo),
      what,
    });
    await put.arrayBuffer();
    return { digest, size: data.length };
  }

  /** PUTs a manifest under a tag or its digest; returns the manifest's digest. */
  async pushManifest(repo: RepoAddress, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(body);
    const res = await this.transport.request(repo.host, `/v2/${repo.repository}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body,
      scope: pushScope(repo),
      what: `push of manifest ${repo.host}/${repo.repository}:${reference}`,
    });
    await res.arrayBuffer();
    return digest;
  }
}

function pullScope(repo: RepoAddress): string {
  return `repository:${repo.repository}:pull`;
}

function pushScope(repo: RepoAddress): string {
  return `repository:${repo.repository}:pull,push`;
}

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2])) return m[1];
  }
  return undefined;
}
