import { CorruptContentError, NotFoundError, UnsupportedContentError } from '../errors';
import {
  isImageManifestMediaType,
  isIndexMediaType,
  isSchema1MediaType,
  MANIFEST_MEDIA_TYPES,
  MediaTypes,
} from './media-types';
import { isDigest } from './reference';

/** OCI content descriptor (the fields praxi uses). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export type Manifest = ImageIndex | ImageManifest;

/** The parts of an image config praxi reads. */
export interface ImageConfig {
  os?: string;
  architecture?: string;
  variant?: string;
  rootfs?: { type?: string; diff_ids?: string[] };
}

function stripParams(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

/**
 * Parses manifest bytes into an index or an image manifest. The media type comes from the body when it
 * says, else from the transport's Content-Type. Schema 1 and unknown types are refused with
 * UnsupportedContentError so a report can record why an image was skipped.
 */
export function parseManifest(body: Buffer, contentType: string | undefined, what: string): Manifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new CorruptContentError(`${what}: manifest is not valid JSON`, 'CORRUPT_CONTENT', e);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CorruptContentError(`${what}: manifest is not a JSON object`);
  }
  const header = stripParams(contentType);
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.schemaVersion === 1 || isSchema1MediaType(declared ?? '') || isSchema1MediaType(header ?? '')) {
    throw new UnsupportedContentError(
      `${what}: Docker image manifest schema 1 is deprecated and not supported; push the image again with a current client (schema 2 or OCI)`,
      MediaTypes.dockerSchema1,
    );
  }
  let mediaType = declared ?? header;
  // OCI manifests may omit mediaType and registries may answer with a generic Content-Type.
  if (
    mediaType === undefined ||
    mediaType === 'application/json' ||
    mediaType === 'application/octet-stream'
  ) {
    if (Array.isArray(doc.manifests)) mediaType = MediaTypes.ociIndex;
    else if (Array.isArray(doc.layers)) mediaType = MediaTypes.ociManifest;
  }
  if (mediaType === undefined || !MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new UnsupportedContentError(
      `${what}: unsupported manifest media type "${mediaType ?? '(none)'}"; praxi reads ${MANIFEST_MEDIA_TYPES.join(', ')}`,
      mediaType,
    );
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests))
      throw new CorruptContentError(`${what}: index has no "manifests" array`);
    return {
      kind: 'index',
      mediaType,
      manifests: doc.manifests.map((d, i) => descriptor(d, `${what} manifests[${i}]`)),
    };
  }
  if (!isImageManifestMediaType(mediaType))
    throw new UnsupportedContentError(`${what}: unexpected ${mediaType}`);
  if (!Array.isArray(doc.layers)) throw new CorruptContentError(`${what}: manifest has no "layers" array`);
  return {
    kind: 'manifest',
    mediaType,
    config: descriptor(doc.config, `${what} config`),
    layers: doc.layers.map((d, i) => descriptor(d, `${what} layers[${i}]`)),
  };
}

function descriptor(raw: unknown, what: string): Descriptor {
  const d = raw as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object') throw new CorruptContentError(`${what}: descriptor is not an object`);
  if (typeof d.digest !== 'string' || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d.digest)) {
    throw new CorruptContentError(`${what}: descriptor has no valid digest`);
  }
  if (!isDigest(d.digest)) {
    throw new UnsupportedContentError(
      `${what}: digest algorithm of ${d.digest} is not supported (only sha256)`,
    );
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new CorruptContentError(`${what}: descriptor has no valid size`);
  }
  return {
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
    digest: d.digest,
    size: d.size,
    ...(d.platform && typeof d.platform === 'object' ? { platform: d.platform } : {}),
    ...(d.annotations && typeof d.annotations === 'object' ? { annotations: d.annotations } : {}),
    ...(Array.isArray(d.urls) ? { urls: d.urls } : {}),
  };
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Partial<Platform> | undefined): string {
  if (!p?.os || !p.architecture) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * Picks the manifest for one platform from an index. A wanted variant must match exactly; with no
 * variant wanted, an entry without variant is preferred, else the first of that os/arch.
 * Entries with no platform (attestations, artifacts) are skipped unless the index has nothing else.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform, what: string): Descriptor {
  const candidates = index.manifests.filter(
    (d) => d.platform?.os === wanted.os && d.platform?.architecture === wanted.architecture,
  );
  const pick = wanted.variant
    ? candidates.find((d) => d.platform?.variant === wanted.variant)
    : (candidates.find((d) => !d.platform?.variant) ?? candidates[0]);
  if (pick) return pick;
  if (index.manifests.length === 1 && !index.manifests[0].platform) return index.manifests[0];
  const available = index.manifests
    .map((d) => formatPlatform(d.platform))
    .filter((p) => p !== 'unknown' && p !== 'unknown/unknown');
  throw new NotFoundError(
    `${what} has no image for platform ${formatPlatform(wanted)}; it has ${available.length ? available.join(', ') : 'no platform-specific images'} (set registry.platform or PRAXI_PLATFORM)`,
    'PLATFORM_UNKNOWN',
  );
}

/** Parses an image config blob (JSON) for the fields praxi uses. */
export function parseImageConfig(body: Buffer, what: string): ImageConfig {
  try {
    const doc = JSON.parse(body.toString('utf8'));
    if (doc && typeof doc === 'object') return doc as ImageConfig;
  } catch (e) {
    throw new CorruptContentError(`${what}: image config is not valid JSON`, 'CORRUPT_CONTENT', e);
  }
  throw new CorruptContentError(`${what}: image config is not a JSON object`);
}
