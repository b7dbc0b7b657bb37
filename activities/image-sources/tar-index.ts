import { open as openFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BadInputError, CorruptContentError } from '../errors';

/**
 * A random-access index of a tar file built by reading its headers only: layer bytes are skipped, not
 * read, so indexing a multi-gigabyte `docker save` archive costs a few hundred small reads. (tar-stream
 * parses a stream and would have to read every byte to reach the next header; it does not give member
 * offsets either.) Handles ustar, GNU long names (`L`/`K`) and PAX extended headers.
 */

export interface TarMember {
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '5' directory, ... (the raw typeflag). */
  type: string;
  /** Byte offset of the member's data in the file. */
  offset: number;
  size: number;
  linkname?: string;
}

export interface TarIndex {
  members: Map<string, TarMember>;
  /** The regular file a name leads to, following hard links and symlinks inside the archive. */
  resolve(name: string): TarMember | undefined;
}

const BLOCK = 512;

export async function indexTar(file: string): Promise<TarIndex> {
  let fh;
  try {
    fh = await openFile(file, 'r');
  } catch (e) {
    throw new BadInputError(
      `cannot open archive ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const members = new Map<string, TarMember>();
  try {
    const { size: fileSize } = await fh.stat();
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    const readAt = async (buf: Buffer, at: number): Promise<void> => {
      const { bytesRead } = await fh!.read(buf, 0, buf.length, at);
      if (bytesRead < buf.length)
        throw new CorruptContentError(
          `${file} is truncated: a tar header or extension at byte ${at} is cut off`,
        );
    };
    if (fileSize >= 4) {
      const magic = Buffer.alloc(4);
      await readAt(magic, 0);
      const kind =
        magic[0] === 0x1f && magic[1] === 0x8b
          ? 'gzip'
          : magic.readUInt32LE(0) === 0xfd2fb528
            ? 'zstd'
            : undefined;
      // Random access needs the plain tar; say so rather than report a checksum error.
      if (kind)
        throw new BadInputError(
          `${file} is ${kind}-compressed; decompress it first (praxi reads uncompressed archives by offset)`,
        );
    }
    while (pos + BLOCK <= fileSize) {
      await readAt(header, pos);
      if (header.every((b) => b === 0)) break;
      verifyChecksum(header, file, pos);
      const size = readSize(header, file, pos);
      const type = String.fromCharCode(header[156] || 0x30);
      const dataOffset = pos + BLOCK;
      const next = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
      if (dataOffset + size > fileSize)
        throw new CorruptContentError(
          `${file} is truncated: member at byte ${pos} needs ${size} bytes that are not there`,
        );
      if (type === 'L' || type === 'K' || type === 'x') {
        if (size > 1024 * 1024)
          throw new CorruptContentError(
            `${file}: implausible ${size}-byte tar extension header at byte ${pos}`,
          );
        const data = Buffer.alloc(size);
        await readAt(data, dataOffset);
        if (type === 'L') longName = cstr(data, 0, size);
        else if (type === 'K') longLink = cstr(data, 0, size);
        else pax = parsePax(data);
      } else if (type !== 'g') {
        const magic = header.toString('latin1', 257, 263);
        const prefix = magic === 'ustar\0' ? cstr(header, 345, 155) : '';
        let name =
          pax.path ?? longName ?? (prefix ? `${prefix}/${cstr(header, 0, 100)}` : cstr(header, 0, 100));
        const linkname = pax.linkpath ?? longLink ?? cstr(header, 157, 100);
        const realSize = pax.size !== undefined ? Number(pax.size) : size;
        name = normalise(name);
        members.set(name, {
          name,
          type,
          offset: dataOffset,
          size: type === '0' || type === '7' ? realSize : 0,
          ...(linkname ? { linkname } : {}),
        });
        longName = longLink = undefined;
        pax = {};
      }
      pos = next;
    }
  } finally {
    await fh.close();
  }
  return {
    members,
    resolve(name: string): TarMember | undefined {
      let m = members.get(normalise(name));
      for (let hops = 0; m && (m.type === '1' || m.type === '2') && hops < 16; hops++) {
        const target =
          m.type === '2' ? path.posix.join(path.posix.dirname(m.name), m.linkname ?? '') : (m.linkname ?? '');
        m = members.get(normalise(target));
      }
      return m && (m.type === '0' || m.type === '7') ? m : undefined;
    },
  };
}

function normalise(name: string): string {
  return path.posix
    .normalize(name)
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/$/, '');
}

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
}

function readSize(h: Buffer, file: string, pos: number): number {
  // GNU base-256 for sizes of 8 GiB and more: high bit set, big-endian binary in the rest.
  if (h[124] & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i];
    return n;
  }
  const text = h
    .toString('latin1', 124, 136)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text))
    throw new CorruptContentError(`${file}: impossible tar header at byte ${pos} (size field "${text}")`);
  return parseInt(text, 8);
}

function verifyChecksum(h: Buffer, file: string, pos: number): void {
  const stored = parseInt(
    h
      .toString('latin1', 148, 156)
      .replace(/[\0 ]+$/, '')
      .trim(),
    8,
  );
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  if (stored !== sum)
    throw new CorruptContentError(
      `${file}: not a tar archive, or corrupt at byte ${pos} (header checksum mismatch)`,
    );
}

/** PAX records: "LEN key=value\n", LEN counting the whole record. */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(data.toString('latin1', i, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}
