import { createHash } from 'node:crypto';
import { BadInputError, CorruptContentError, NotFoundError } from '../errors';
import { formatPlatform, type ImageConfig, parseImageConfig } from '../registry/manifest';
import { MediaTypes, sniffLayerMediaType } from '../registry/media-types';
import { type DockerArchiveRef, formatRef, formatRepository, isDigest } from '../registry/reference';
import { sha256Digest, verifiedStream } from '../registry/verify';
import { type FileTree, readHead } from './file-tree';
import type { LayerHandle, ResolvedImage } from './image-source';

/** One entry of a `docker save` manifest.json. */
export interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Parses and checks `docker save`'s manifest.json. */
export function parseDockerSaveManifest(body: Buffer, where: string): DockerSaveEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new CorruptContentError(`${where}: manifest.json is not valid JSON`, 'CORRUPT_CONTENT', e);
  }
  if (
    !Array.isArray(doc) ||
    doc.some(
      (e) =>
        !e ||
        typeof e.Config !== 'string' ||
        !Array.isArray(e.Layers) ||
        e.Layers.some((l: unknown) => typeof l !== 'string'),
    )
  ) {
    throw new CorruptContentError(
      `${where}: manifest.json is not a docker save manifest (an array of {Config, Layers})`,
    );
  }
  return doc as DockerSaveEntry[];
}

/** Digest of a layer named by content (`blobs/sha256/HEX`, Docker 25+), else undefined. */
export function digestFromBlobPath(name: string): string | undefined {
  const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
  return m ? `sha256:${m[1]}` : undefined;
}

/** The diff ids of a config, checked against the layer count. */
export function diffIdsOf(config: ImageConfig, layerCount: number, where: string): string[] {
  const ids = config.rootfs?.diff_ids ?? [];
  if (ids.length !== layerCount || ids.some((d) => !isDigest(d))) {
    throw new CorruptContentError(
      `${where}: the image config lists ${ids.length} layer diff ids for ${layerCount} layers`,
    );
  }
  return ids;
}

/**
 * An image from a `docker save` tarball on disk. The archive is indexed once by tar header offsets, so
 * each layer opens as a byte range of the file. Legacy archives (Docker before 25) name layers
 * `<id>/layer.tar`, uncompressed, so their digest is the config's diff id; newer ones name them by digest.
 * manifestDigest is the image id (the config digest): a docker archive carries no registry manifest.
 */
export async function resolveDockerArchiveImage(
  ref: DockerArchiveRef,
  tree: FileTree,
): Promise<ResolvedImage> {
  const where = formatRef(ref);
  if ((await tree.size('manifest.json')) === undefined) {
    throw new NotFoundError(`${where}: not a docker save archive (no manifest.json)`);
  }
  const entries = parseDockerSaveManifest(await tree.readFile('manifest.json'), where);
  if (entries.length !== 1) {
    const names = entries.flatMap((e) => e.RepoTags ?? []);
    throw new BadInputError(
      `${where}: the archive holds ${entries.length} images${names.length ? ` (${names.join(', ')})` : ''}; praxi reads archives of exactly one image (docker save one image per file)`,
    );
  }
  const entry = entries[0];
  const configBytes = await tree.readFile(entry.Config);
  const config = parseImageConfig(configBytes, `${where} config`);
  const diffIds = diffIdsOf(config, entry.Layers.length, where);

  const layers: LayerHandle[] = [];
  for (const [i, name] of entry.Layers.entries()) {
    const size = await tree.size(name);
    if (size === undefined)
      throw new CorruptContentError(`${where}: layer ${name} listed in manifest.json is missing`);
    const mediaType = sniffLayerMediaType(await readHead(tree, name, 4));
    // Uncompressed layers hash to their diff id; a compressed one under a legacy name must be hashed once here.
    const digest =
      digestFromBlobPath(name) ??
      (mediaType === MediaTypes.ociLayerTar ? diffIds[i] : await hashStream(tree, name));
    layers.push({
      digest,
      mediaType,
      size,
      open: async () => verifiedStream(tree.open(name), digest, size, `layer ${name} of ${where}`),
    });
  }
  return {
    reference: where,
    repository: formatRepository(ref),
    manifestDigest: digestFromBlobPath(entry.Config) ?? sha256Digest(configBytes),
    platform: formatPlatform(config),
    layers,
  };
}

async function hashStream(tree: FileTree, name: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of tree.open(name)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}
