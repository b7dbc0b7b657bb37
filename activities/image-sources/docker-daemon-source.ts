import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { extract as tarExtract } from 'tar-stream';
import { CorruptContentError, NotFoundError, PraxiError, TransientError } from '../errors';
import { formatPlatform } from '../registry/manifest';
import { MediaTypes } from '../registry/media-types';
import { type DockerDaemonRef, formatRef, formatRepository, isDigest } from '../registry/reference';
import { verifiedStream } from '../registry/verify';
import { digestFromBlobPath } from './docker-archive-source';
import type { LayerHandle, ResolvedImage } from './image-source';

interface SavedLayer {
  /** Member name inside the `docker save` stream. */
  member: string;
  size: number;
}

/**
 * An image in the local Docker engine, read through dockerode. `inspect` gives the layer diff ids and the
 * platform without reading any layer, so resolving is cheap and a pipeline whose tagsets are cached by
 * layer digest never reads layers at all.
 *
 * Opening a layer streams `docker save` (the engine's only way to hand out layer bytes) and picks the
 * member out of the tar, without touching disk. Engines before Docker 25 (20.10 here) name layers
 * `<v1 id>/layer.tar`, ids that cannot be computed from the diff ids, and write the tar in id order with
 * manifest.json last. So the first open does one extra pass of `docker save` that hashes every layer to
 * map diff id → member (remembered for this ResolvedImage); each open is then one pass that stops after
 * its layer. Engines that name layers by digest (blobs/sha256/...) need no hashing in that pass.
 * manifestDigest is the image id (config digest): the engine keeps no registry manifest for local images.
 */
export async function resolveDockerDaemonImage(ref: DockerDaemonRef, docker: Docker): Promise<ResolvedImage> {
  const where = formatRef(ref);
  const info = await dockerCall(where, () => docker.getImage(ref.name).inspect());
  const diffIds = info.RootFS?.Layers ?? [];
  if (diffIds.some((d) => !isDigest(d))) {
    throw new CorruptContentError(`${where}: the engine reports layer ids that are not sha256 digests`);
  }
  let indexPromise: Promise<Map<string, SavedLayer>> | undefined;
  const savedLayers = () => {
    indexPromise ??= indexSave(docker, ref.name, where);
    indexPromise.catch(() => (indexPromise = undefined)); // a failed pass may be retried by the next open
    return indexPromise;
  };
  const layers: LayerHandle[] = diffIds.map((digest) => ({
    digest,
    // docker save hands out layers uncompressed.
    mediaType: MediaTypes.ociLayerTar,
    size: -1,
    open: async () => {
      const saved = (await savedLayers()).get(digest);
      if (!saved) throw new CorruptContentError(`${where}: docker save did not contain layer ${digest}`);
      return verifiedStream(
        await openSavedMember(docker, ref.name, saved.member, where),
        digest,
        saved.size,
        `layer ${digest} of ${where}`,
      );
    },
  }));
  const variant = (info as { Variant?: string }).Variant;
  return {
    reference: where,
    repository: formatRepository(ref),
    manifestDigest: info.Id,
    platform: formatPlatform({ os: info.Os, architecture: info.Architecture, variant }),
    layers,
  };
}

async function saveStream(docker: Docker, name: string, where: string): Promise<Readable> {
  return (await dockerCall(where, () => docker.getImage(name).get())) as Readable;
}

/** One pass over `docker save`: layer digest → member name and size. */
async function indexSave(docker: Docker, name: string, where: string): Promise<Map<string, SavedLayer>> {
  const source = await saveStream(docker, name, where);
  const extract = tarExtract();
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  const out = new Map<string, SavedLayer>();
  try {
    for await (const entry of extract) {
      const member = entry.header.name.replace(/^\.\//, '');
      const isLayer =
        entry.header.type === 'file' && (member.endsWith('/layer.tar') || digestFromBlobPath(member));
      if (!isLayer) {
        entry.resume();
        continue;
      }
      // A member named by digest needs no hashing: it is verified when opened anyway.
      const byName = digestFromBlobPath(member);
      const h = byName ? undefined : createHash('sha256');
      for await (const c of entry) h?.update(c as Buffer);
      const digest = byName ?? `sha256:${h!.digest('hex')}`;
      if (!out.has(digest)) out.set(digest, { member, size: entry.header.size ?? 0 });
    }
  } catch (e) {
    throw wrapStreamError(e, where);
  } finally {
    source.destroy();
  }
  return out;
}

/** A fresh `docker save` pass that yields one member's bytes and stops reading after it. */
async function openSavedMember(
  docker: Docker,
  name: string,
  member: string,
  where: string,
): Promise<Readable> {
  const source = await saveStream(docker, name, where);
  const extract = tarExtract();
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  const out = new PassThrough();
  void (async () => {
    try {
      for await (const entry of extract) {
        if (entry.header.name.replace(/^\.\//, '') === member) {
          await pipeline(entry, out);
          return;
        }
        entry.resume();
      }
      out.destroy(
        new CorruptContentError(
          `${where}: docker save no longer contains ${member} (was the image changed?)`,
        ),
      );
    } catch (e) {
      out.destroy(wrapStreamError(e, where));
    } finally {
      source.destroy();
    }
  })();
  return out;
}

function wrapStreamError(e: unknown, where: string): PraxiError {
  if (e instanceof PraxiError) return e;
  return new TransientError(
    `${where}: reading docker save from the engine failed: ${(e as Error).message}`,
    'NETWORK',
    {
      cause: e,
    },
  );
}

/** Engine errors as typed errors: 404 → NOT_FOUND; an engine that does not answer → retryable NETWORK. */
async function dockerCall<T>(where: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const err = e as { statusCode?: number; code?: string; message?: string };
    if (err.statusCode === 404)
      throw new NotFoundError(`${where}: no such image in the Docker engine`, 'NAME_UNKNOWN');
    if (err.statusCode === undefined) {
      throw new TransientError(
        `${where}: cannot reach the Docker engine (${err.code ?? err.message})`,
        'NETWORK',
        { cause: e },
      );
    }
    throw new PraxiError(
      err.statusCode >= 500 ? 'UNAVAILABLE' : 'BAD_INPUT',
      `${where}: the Docker engine answered ${err.statusCode}: ${err.message}`,
      { retryable: err.statusCode >= 500, cause: e },
    );
  }
}
