/**
 * Builds container images from files a test describes, and puts them where praxi reads images from:
 * a registry (over the HTTP API), a `docker save` archive, an OCI layout (directory or tar), or the
 * Docker engine (`docker load`). Everything is small and in memory: these are test images.
 *
 *   const layer = await buildLayer([{ type: 'file', path: 'usr/lib/python3/x.py', content: 'x' }], { compression: 'gzip' });
 *   const image = buildImage([layer]);                       // Docker schema 2; { format: 'oci' } for OCI
 *   await pushImage(registry.host, 'team/app', '1', image);  // or writeOciLayout(dir, image), importToDocker(...)
 *
 * Tar members are written by a small writer here rather than by tar-stream, so the readers under test
 * (which use tar-stream) are checked against an independent implementation, and GNU long names can be made.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type Docker from 'dockerode';
import { RegistryClient } from '../../activities/registry/client';
import { MediaTypes } from '../../activities/registry/media-types';

export type LayerEntry =
  | { type: 'file'; path: string; content: string | Buffer; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string }
  /** Deletes `path` from lower layers: written as `DIR/.wh.NAME`. */
  | { type: 'whiteout'; path: string }
  /** Hides everything lower layers put in directory `path`: written as `path/.wh..wh..opq`. */
  | { type: 'opaque'; path: string };

export type Compression = 'gzip' | 'zstd' | 'none';

export interface BuiltLayer {
  /** The stored blob (compressed as asked). */
  blob: Buffer;
  digest: string;
  size: number;
  /** The uncompressed tar and its digest (the config's diff id). */
  tar: Buffer;
  diffId: string;
  compression: Compression;
}

export interface BuiltImage {
  format: 'docker' | 'oci';
  layers: BuiltLayer[];
  /** Media type of each layer in the manifest, in layer order. */
  layerMediaTypes: string[];
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
  manifestMediaType: string;
  platform: { os: string; architecture: string; variant?: string };
}

export interface BuiltIndex {
  kind: 'index';
  index: Buffer;
  digest: string;
  mediaType: string;
  images: BuiltImage[];
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

// ---- tar writing -------------------------------------------------------------------------------

const BLOCK = 512;
const MTIME = 1_700_000_000; // fixed, so the same entries give the same digest

interface TarHeader {
  name: string;
  typeflag: string;
  size?: number;
  mode?: number;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function encodeHeader(h: TarHeader, gnu = false): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  b.write(octal(h.mode ?? (h.typeflag === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  b.write(octal(0, 8), 108, 'latin1');
  b.write(octal(0, 8), 116, 'latin1');
  b.write(octal(h.size ?? 0, 12), 124, 'latin1');
  b.write(octal(MTIME, 12), 136, 'latin1');
  b.write(h.typeflag, 156, 'latin1');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  if (gnu) b.write('ustar  \0', 257, 'latin1');
  else b.write('ustar\u000000', 257, 'latin1');
  b.write('root', 265, 'latin1');
  b.write('root', 297, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

function pad(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest ? [data, Buffer.alloc(BLOCK - rest)] : [data];
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  // The length counts its own digits; adding them can cross a power of ten.
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(bodyLen).length) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

/** Writes tar members; names over 100 bytes (or link names) get a PAX header, or GNU `L`/`K` records when asked. */
export class TarWriter {
  private readonly parts: Buffer[] = [];
  constructor(private readonly longNames: 'pax' | 'gnu' = 'pax') {}

  add(h: TarHeader, data: Buffer = Buffer.alloc(0)): this {
    const long = Buffer.byteLength(h.name) > 100;
    const longLink = h.linkname !== undefined && Buffer.byteLength(h.linkname) > 100;
    if ((long || longLink) && this.longNames === 'pax') {
      const records = Buffer.from(
        (long ? paxRecord('path', h.name) : '') + (longLink ? paxRecord('linkpath', h.linkname!) : ''),
      );
      this.parts.push(
        encodeHeader({
          name: `PaxHeaders/${path.posix.basename(h.name).slice(0, 80)}`,
          typeflag: 'x',
          size: records.length,
        }),
      );
      this.parts.push(...pad(records));
    }
    if ((long || longLink) && this.longNames === 'gnu') {
      for (const [flag, value] of [
        ['L', long ? h.name : undefined],
        ['K', longLink ? h.linkname : undefined],
      ] as const) {
        if (value === undefined) continue;
        const data = Buffer.from(`${value}\0`);
        this.parts.push(encodeHeader({ name: '././@LongLink', typeflag: flag, size: data.length }, true));
        this.parts.push(...pad(data));
      }
    }
    this.parts.push(
      encodeHeader(
        {
          ...h,
          name: long ? Buffer.from(h.name).subarray(0, 100).toString('utf8') : h.name,
          linkname: longLink ? Buffer.from(h.linkname!).subarray(0, 100).toString('utf8') : h.linkname,
          size: data.length,
        },
        this.longNames === 'gnu',
      ),
    );
    if (data.length) this.parts.push(...pad(data));
    return this;
  }

  file(name: string, content: Buffer | string, mode?: number): this {
    return this.add({ name, typeflag: '0', mode }, Buffer.from(content));
  }

  finish(): Buffer {
    return Buffer.concat([...this.parts, Buffer.alloc(2 * BLOCK)]);
  }
}

// ---- layers, images, indexes -------------------------------------------------------------------

function tarOf(entries: LayerEntry[], longNames: 'pax' | 'gnu'): Buffer {
  const w = new TarWriter(longNames);
  for (const e of entries) {
    const p = e.path.replace(/^\/+/, '');
    switch (e.type) {
      case 'file':
        w.add({ name: p, typeflag: '0', mode: e.mode }, Buffer.from(e.content));
        break;
      case 'dir':
        w.add({ name: p.endsWith('/') ? p : `${p}/`, typeflag: '5', mode: e.mode });
        break;
      case 'symlink':
        w.add({ name: p, typeflag: '2', linkname: e.target, mode: 0o777 });
        break;
      case 'hardlink':
        w.add({ name: p, typeflag: '1', linkname: e.target.replace(/^\/+/, '') });
        break;
      case 'whiteout': {
        const dir = path.posix.dirname(p);
        w.add({ name: `${dir === '.' ? '' : `${dir}/`}.wh.${path.posix.basename(p)}`, typeflag: '0' });
        break;
      }
      case 'opaque':
        w.add({ name: `${p.replace(/\/$/, '')}/.wh..wh..opq`, typeflag: '0' });
        break;
    }
  }
  return w.finish();
}

export function compress(data: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(data);
  // fzstd only decompresses; the zstd CLI compresses.
  if (compression === 'zstd')
    return execFileSync('zstd', ['-q', '-c', '-3', '-'], { input: data, maxBuffer: 1 << 30 });
  return data;
}

export async function buildLayer(
  entries: LayerEntry[],
  opts: { compression?: Compression; longNames?: 'pax' | 'gnu' } = {},
): Promise<BuiltLayer> {
  const compression = opts.compression ?? 'gzip';
  const tar = tarOf(entries, opts.longNames ?? 'pax');
  const blob = compress(tar, compression);
  return { blob, digest: sha256(blob), size: blob.length, tar, diffId: sha256(tar), compression };
}

function layerMediaType(format: 'docker' | 'oci', c: Compression): string {
  if (c === 'zstd') return MediaTypes.ociLayerZstd; // Docker schema 2 has no zstd type
  if (format === 'docker') return c === 'gzip' ? MediaTypes.dockerLayerGzip : MediaTypes.dockerLayerTar;
  return c === 'gzip' ? MediaTypes.ociLayerGzip : MediaTypes.ociLayerTar;
}

export function parsePlatformString(p: string): BuiltImage['platform'] {
  const [os, architecture, variant] = p.split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** An image config and manifest over the layers; `config` fields are merged into the image config. */
export function buildImage(
  layers: BuiltLayer[],
  opts: { format?: 'docker' | 'oci'; platform?: string; config?: Record<string, unknown> } = {},
): BuiltImage {
  const format = opts.format ?? 'docker';
  const platform = parsePlatformString(opts.platform ?? 'linux/amd64');
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      created: new Date(MTIME * 1000).toISOString(),
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({
        created: new Date(MTIME * 1000).toISOString(),
        created_by: 'praxi test image builder',
      })),
      ...opts.config,
    }),
  );
  const layerMediaTypes = layers.map((l) => layerMediaType(format, l.compression));
  const manifestMediaType = format === 'docker' ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: {
        mediaType: format === 'docker' ? MediaTypes.dockerConfig : MediaTypes.ociConfig,
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l, i) => ({ mediaType: layerMediaTypes[i], digest: l.digest, size: l.size })),
    }),
  );
  return {
    format,
    layers,
    layerMediaTypes,
    config,
    configDigest: sha256(config),
    manifest,
    manifestDigest: sha256(manifest),
    manifestMediaType,
    platform,
  };
}

/** A multi-platform index (Docker manifest list or OCI index) over images built for different platforms. */
export function buildIndex(images: BuiltImage[], opts: { format?: 'docker' | 'oci' } = {}): BuiltIndex {
  const format = opts.format ?? images[0]?.format ?? 'docker';
  const mediaType = format === 'docker' ? MediaTypes.dockerManifestList : MediaTypes.ociIndex;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: images.map((im) => ({
        mediaType: im.manifestMediaType,
        digest: im.manifestDigest,
        size: im.manifest.length,
        platform: im.platform,
      })),
    }),
  );
  return { kind: 'index', index, digest: sha256(index), mediaType, images };
}

function isIndex(x: BuiltImage | BuiltIndex): x is BuiltIndex {
  return (x as BuiltIndex).kind === 'index';
}

// ---- destinations ------------------------------------------------------------------------------

/** Pushes an image or index (with all blobs) to `registryHost` (loopback: plain HTTP); returns the top manifest digest. */
export async function pushImage(
  registryHost: string,
  repo: string,
  tag: string,
  image: BuiltImage | BuiltIndex,
  auth?: { username: string; password: string },
): Promise<string> {
  const client = new RegistryClient({
    keychain: () => (auth ? { credential: auth, source: 'test' } : {}),
    registry: { maxRetries: 2 },
    retryBaseDelayMs: 20,
  });
  const at = { host: registryHost, repository: repo };
  const images = isIndex(image) ? image.images : [image];
  for (const im of images) {
    for (const l of im.layers) await client.pushBlob(at, l.blob);
    await client.pushBlob(at, im.config);
    await client.pushManifest(
      at,
      isIndex(image) ? im.manifestDigest : tag,
      im.manifest,
      im.manifestMediaType,
    );
  }
  if (isIndex(image)) return client.pushManifest(at, tag, image.index, image.mediaType);
  return image.manifestDigest;
}

/**
 * `docker save` output as Docker 20.10 writes it: `<id>/layer.tar` (uncompressed; ids that are not
 * digests), `<config hex>.json`, manifest.json, repositories.
 */
export function dockerArchive(image: BuiltImage, repoTag?: string): Buffer {
  const w = new TarWriter();
  const configName = `${image.configDigest.slice(7)}.json`;
  const layerNames: string[] = [];
  let parent = '';
  for (const l of image.layers) {
    const id = createHash('sha256').update(`${parent} ${l.diffId}`).digest('hex');
    w.add({ name: `${id}/`, typeflag: '5' });
    w.file(`${id}/VERSION`, '1.0');
    w.file(`${id}/json`, JSON.stringify({ id, ...(parent ? { parent } : {}) }));
    w.file(`${id}/layer.tar`, l.tar);
    layerNames.push(`${id}/layer.tar`);
    parent = id;
  }
  w.file(configName, image.config);
  w.file(
    'manifest.json',
    JSON.stringify([{ Config: configName, RepoTags: repoTag ? [repoTag] : null, Layers: layerNames }]),
  );
  if (repoTag) {
    const colon = repoTag.lastIndexOf(':');
    w.file(
      'repositories',
      JSON.stringify({ [repoTag.slice(0, colon)]: { [repoTag.slice(colon + 1)]: parent } }),
    );
  }
  return w.finish();
}

export function writeDockerArchive(file: string, image: BuiltImage, repoTag?: string): void {
  writeFileSync(file, dockerArchive(image, repoTag));
}

/** The files of an OCI image layout: name → bytes. `tag` becomes the org.opencontainers.image.ref.name annotation. */
export function ociLayoutFiles(
  image: BuiltImage | BuiltIndex,
  opts: { tag?: string } = {},
): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const blob = (data: Buffer) => files.set(`blobs/sha256/${sha256(data).slice(7)}`, data);
  const images = isIndex(image) ? image.images : [image];
  for (const im of images) {
    for (const l of im.layers) blob(l.blob);
    blob(im.config);
    blob(im.manifest);
  }
  const top = isIndex(image)
    ? { mediaType: image.mediaType, digest: image.digest, size: image.index.length }
    : { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: image.manifest.length };
  if (isIndex(image)) blob(image.index);
  files.set('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  files.set(
    'index.json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          { ...top, ...(opts.tag ? { annotations: { 'org.opencontainers.image.ref.name': opts.tag } } : {}) },
        ],
      }),
    ),
  );
  return files;
}

export function writeOciLayout(
  dir: string,
  image: BuiltImage | BuiltIndex,
  opts: { tag?: string } = {},
): void {
  for (const [name, data] of ociLayoutFiles(image, opts)) {
    mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
    writeFileSync(path.join(dir, name), data);
  }
}

/** An OCI layout packed in a tar (what `oci-archive:` reads). */
export function writeOciArchive(
  file: string,
  image: BuiltImage | BuiltIndex,
  opts: { tag?: string } = {},
): void {
  const w = new TarWriter();
  for (const [name, data] of ociLayoutFiles(image, opts)) w.file(name, data);
  writeFileSync(file, w.finish());
}

/** `docker load` of the image under `nameTag` into a real engine; resolves when the engine has it. */
export async function importToDocker(docker: Docker, image: BuiltImage, nameTag: string): Promise<void> {
  const res = await docker.loadImage(Readable.from([dockerArchive(image, nameTag)]), { quiet: true });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(Buffer.from(c as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
  const failed = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { error?: string; errorDetail?: { message?: string } })
    .find((m) => m.error);
  if (failed) throw new Error(`docker load of ${nameTag} failed: ${failed.error}`);
}
