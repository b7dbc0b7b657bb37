import { CorruptContentError, NotFoundError, UnsupportedContentError } from '../errors';
import {
  type Descriptor,
  formatPlatform,
  type ImageIndex,
  type Manifest,
  parseImageConfig,
  parseManifest,
  type Platform,
  selectPlatform,
} from '../registry/manifest';
import { isIndexMediaType } from '../registry/media-types';
import { formatRef, formatRepository, type OciArchiveRef, type OciLayoutRef } from '../registry/reference';
import { verifiedStream, verifyBuffer } from '../registry/verify';
import type { FileTree } from './file-tree';
import type { LayerHandle, ResolvedImage } from './image-source';

const REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_INDEX_DEPTH = 4;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function blobPath(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `blobs/${alg}/${hex}`;
}

/**
 * An image from an OCI image layout (a directory, or the same tree inside a tar): `oci-layout`,
 * `index.json`, `blobs/sha256/...`. The top index names images by `org.opencontainers.image.ref.name`;
 * nested indexes select the platform.
 */
export async function resolveOciLayoutImage(
  ref: OciLayoutRef | OciArchiveRef,
  tree: FileTree,
  platform: Platform,
): Promise<ResolvedImage> {
  const where = formatRef(ref);
  if ((await tree.size('oci-layout')) === undefined) {
    throw new NotFoundError(`${where}: not an OCI image layout (no oci-layout file in ${tree.location})`);
  }
  const top = parseManifest(
    await tree.readFile('index.json', MAX_MANIFEST_BYTES),
    undefined,
    `${where} index.json`,
  );
  if (top.kind !== 'index') throw new CorruptContentError(`${where}: index.json is not an image index`);

  let desc = pickFromTop(top, ref.tag, platform, where);
  let platformName = desc.platform ? formatPlatform(desc.platform) : undefined;
  let manifest = await readManifest(tree, desc, where);
  for (let depth = 0; manifest.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH)
      throw new CorruptContentError(`${where}: image indexes nest deeper than ${MAX_INDEX_DEPTH} levels`);
    desc = selectPlatform(manifest, platform, where);
    if (desc.platform) platformName = formatPlatform(desc.platform);
    manifest = await readManifest(tree, desc, where);
  }
  if (platformName === undefined) {
    const cfgBytes = await tree.readFile(blobPath(manifest.config.digest));
    verifyBuffer(cfgBytes, manifest.config.digest, manifest.config.size, `${where} config`);
    platformName = formatPlatform(parseImageConfig(cfgBytes, `${where} config`));
  }
  const layers: LayerHandle[] = manifest.layers.map((d) => ({
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    open: async () => {
      const name = blobPath(d.digest);
      if ((await tree.size(name)) === undefined) {
        throw new NotFoundError(
          `${where}: layer blob ${d.digest} is missing from the layout`,
          'BLOB_UNKNOWN',
        );
      }
      return verifiedStream(tree.open(name), d.digest, d.size, `layer ${d.digest} of ${where}`);
    },
  }));
  return {
    reference: where,
    repository: formatRepository(ref),
    manifestDigest: desc.digest,
    platform: platformName,
    layers,
  };
}

function pickFromTop(
  top: ImageIndex,
  tag: string | undefined,
  platform: Platform,
  where: string,
): Descriptor {
  const named = top.manifests.filter((d) => d.annotations?.[REF_NAME] !== undefined);
  if (tag !== undefined) {
    const matches = top.manifests.filter((d) => d.annotations?.[REF_NAME] === tag);
    if (matches.length === 0) {
      throw new NotFoundError(
        `${where}: no image named "${tag}" in index.json; it names ${named.length ? named.map((d) => `"${d.annotations![REF_NAME]}"`).join(', ') : 'none'}`,
        'MANIFEST_UNKNOWN',
      );
    }
    return matches.length === 1
      ? matches[0]
      : selectPlatform({ ...top, manifests: matches }, platform, where);
  }
  if (top.manifests.length === 0)
    throw new NotFoundError(`${where}: index.json lists no images`, 'MANIFEST_UNKNOWN');
  if (top.manifests.length === 1) return top.manifests[0];
  // Several entries: platform variants of one image, or several images that must be chosen by name.
  if (top.manifests.every((d) => d.platform)) return selectPlatform(top, platform, where);
  throw new NotFoundError(
    `${where}: index.json holds ${top.manifests.length} images; name one with ${where}:NAME (names: ${named.map((d) => d.annotations![REF_NAME]).join(', ') || 'none'})`,
    'MANIFEST_UNKNOWN',
  );
}

async function readManifest(tree: FileTree, desc: Descriptor, where: string): Promise<Manifest> {
  const name = blobPath(desc.digest);
  if ((await tree.size(name)) === undefined) {
    throw new NotFoundError(
      `${where}: manifest blob ${desc.digest} is missing from the layout`,
      'MANIFEST_UNKNOWN',
    );
  }
  const body = await tree.readFile(name, MAX_MANIFEST_BYTES);
  const what = `${where} manifest ${desc.digest}`;
  verifyBuffer(body, desc.digest, desc.size, what);
  const m = parseManifest(body, desc.mediaType || undefined, what);
  if (desc.mediaType && isIndexMediaType(desc.mediaType) !== (m.kind === 'index')) {
    throw new UnsupportedContentError(
      `${what}: descriptor says ${desc.mediaType} but the content is ${m.mediaType}`,
    );
  }
  return m;
}
