import { inflateRawSync } from 'node:zlib';
import { CorruptContentError, UnsupportedContentError } from '../../errors';

/**
 * A zip's central directory read from its tail, so a wheel's file list costs one or two small range
 * requests instead of the whole wheel (some of the most downloaded wheels are hundreds of MB).
 */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** Reads `length` bytes at `offset` of the archive. */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export async function readZipDirectory(
  read: RangeReader,
  size: number,
  tailBytes = 64 * 1024,
): Promise<ZipEntry[]> {
  const tailStart = Math.max(0, size - Math.min(size, tailBytes + 22));
  const tail = await read(tailStart, size - tailStart);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CorruptContentError('no zip end-of-central-directory record in the last bytes');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff || cdSize === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR_SIG) {
      throw new UnsupportedContentError('zip64 archive whose locator is not next to the end record');
    }
    const z64Offset = Number(tail.readBigUInt64LE(loc + 8));
    const z64 = z64Offset >= tailStart ? tail.subarray(z64Offset - tailStart) : await read(z64Offset, 56);
    if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new CorruptContentError('bad zip64 end record');
    count = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  const cd =
    cdOffset >= tailStart
      ? tail.subarray(cdOffset - tailStart, cdOffset - tailStart + cdSize)
      : await read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDIR_SIG)
      throw new CorruptContentError(`bad central directory entry ${n}`);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    // Zip64 sizes live in extra field 0x0001, in this order, only for the fields that overflowed.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 1) {
        let q = x + 4;
        if (usize === 0xffffffff) {
          usize = Number(cd.readBigUInt64LE(q));
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(cd.readBigUInt64LE(q));
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(cd.readBigUInt64LE(q));
      }
      x += 4 + len;
    }
    entries.push({ name, method, compressedSize, size: usize, localHeaderOffset });
    p = xEnd + commentLen;
  }
  return entries;
}

/** One member's bytes (stored or deflated), read through its local header. */
export async function readZipMember(read: RangeReader, entry: ZipEntry): Promise<Buffer> {
  const head = await read(entry.localHeaderOffset, 30);
  if (head.readUInt32LE(0) !== LOCAL_SIG) throw new CorruptContentError(`bad local header for ${entry.name}`);
  const dataStart = entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const data = await read(dataStart, entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new UnsupportedContentError(`zip member ${entry.name} uses compression method ${entry.method}`);
}
