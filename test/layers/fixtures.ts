import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** A tar member to build. `data` defaults to empty; directories and links carry none. */
export interface FixtureEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
}

/** A tar archive built with tar-stream's packer (ustar, with PAX headers for names ustar cannot hold). */
export async function makeTar(entries: FixtureEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        linkname: e.linkname,
        mtime: new Date(0),
      };
      if (type === 'file')
        p.entry({ ...header, size: data.length }, data, (err) => (err ? reject(err) : resolve()));
      else p.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface RawHeader {
  name: string;
  /** Typeflag character: '0' file, '5' directory, 'L' GNU long name, 'x' PAX. */
  typeflag?: string;
  size?: number;
  /** The 12-byte size field verbatim, to make impossible headers. */
  sizeField?: Buffer;
  mode?: number;
  linkname?: string;
  /** 'gnu' writes `ustar  \0`, 'ustar' writes `ustar\0` + `00`. */
  magic?: 'gnu' | 'ustar';
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One 512-byte tar header written by hand, with a correct checksum. */
export function rawHeader(h: RawHeader): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'utf8');
  b.write(octal(h.mode ?? 0o644, 8), 100, 'ascii');
  b.write(octal(0, 8), 108, 'ascii');
  b.write(octal(0, 8), 116, 'ascii');
  if (h.sizeField) h.sizeField.copy(b, 124, 0, 12);
  else b.write(octal(h.size ?? 0, 12), 124, 'ascii');
  b.write(octal(0, 12), 136, 'ascii');
  b.write(h.typeflag ?? '0', 156, 'ascii');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  if ((h.magic ?? 'ustar') === 'gnu') b.write('ustar  \0', 257, 'binary');
  else b.write('ustar\x0000', 257, 'binary');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return b;
}

/** Data padded to whole 512-byte blocks. */
export function blocks(data: Buffer | string): Buffer {
  const buf = Buffer.from(data);
  const padded = Buffer.alloc(Math.ceil(buf.length / 512) * 512);
  buf.copy(padded);
  return padded;
}

/** A GNU long-name member (`././@LongLink`, typeflag L) followed by the file it names. */
export function gnuLongNameFile(longName: string, data: string): Buffer {
  const name = Buffer.from(longName + '\0');
  return Buffer.concat([
    rawHeader({ name: '././@LongLink', typeflag: 'L', size: name.length, magic: 'gnu' }),
    blocks(name),
    rawHeader({ name: longName.slice(0, 99), typeflag: '0', size: Buffer.byteLength(data), magic: 'gnu' }),
    blocks(data),
  ]);
}

/** The two zero blocks that end a tar archive. */
export const TAR_END = Buffer.alloc(1024);

export function gzip(buf: Buffer): Buffer {
  return gzipSync(buf);
}

/** zstd with the system `zstd` CLI (what image builders use), with a frame checksum. */
export function zstd(buf: Buffer, level = 3): Buffer {
  const r = spawnSync('/usr/bin/zstd', [`-${level}`, '-c', '-q', '--check'], {
    input: buf,
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A blob as a stream in small chunks, so parsers meet headers split across chunk boundaries. */
export function blobStream(buf: Buffer, chunkSize = 7919): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
    })(),
  );
}

/**
 * Headers for many same-sized regular files, fast: one template, the name patched in and the
 * checksum adjusted by the name's bytes (for generating huge layers in tests and benchmarks).
 */
export function fileHeaderFactory(size: number): (name: string) => Buffer {
  const template = rawHeader({ name: '', size });
  template.fill(0x20, 148, 156);
  let base = 0;
  for (const byte of template) base += byte;
  return (name: string) => {
    const h = Buffer.from(template);
    const n = h.write(name, 0, 100, 'utf8');
    let sum = base;
    for (let i = 0; i < n; i++) sum += h[i];
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    return h;
  };
}
