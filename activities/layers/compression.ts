import { UnsupportedContentError } from '../errors';

/** How a layer blob's bytes are compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2_MAGIC = [0x42, 0x5a, 0x68];

/** Bytes needed to tell the formats above apart. */
export const MAGIC_BYTES = 6;

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * What a layer media type says about compression: OCI (`...layer.v1.tar+gzip`, `+zstd`, plain
 * `.tar`), Docker v2 (`...rootfs.diff.tar.gzip`, foreign layers alike). `undefined` when the type
 * does not say (absent, or not a layer type at all).
 */
export function compressionFromMediaType(mediaType: string | undefined): Compression | undefined {
  if (!mediaType) return undefined;
  const mt = mediaType.toLowerCase();
  if (mt.endsWith('+gzip') || mt.endsWith('.tar.gzip')) return 'gzip';
  if (mt.endsWith('+zstd') || mt.endsWith('.tar.zstd')) return 'zstd';
  if (mt.endsWith('.tar') || mt.endsWith('.tar.v1')) return 'none';
  return undefined;
}

/**
 * The compression of a blob from its first bytes, falling back to its media type. The bytes win
 * when the two disagree: registries and image tools mislabel layers (gzip blobs labelled as plain
 * tar are common), and the bytes cannot lie about their own format. A tar archive has no magic at
 * its start, so "neither gzip nor zstd" means plain tar.
 */
export function detectCompression(head: Uint8Array, mediaType?: string): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  if (startsWith(head, XZ_MAGIC) || startsWith(head, BZIP2_MAGIC)) {
    const kind = startsWith(head, XZ_MAGIC) ? 'xz' : 'bzip2';
    throw new UnsupportedContentError(
      `layer is ${kind}-compressed${mediaType ? ` (media type ${mediaType})` : ''}: OCI layers are gzip, zstd or plain tar`,
      kind,
    );
  }
  return 'none';
}
