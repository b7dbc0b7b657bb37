import { createReadStream } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BadInputError, CorruptContentError, NotFoundError } from '../errors';
import { type TarIndex, indexTar } from './tar-index';

/**
 * Read access to the files of an image held on disk, whether unpacked in a directory (an OCI layout)
 * or packed in a tar (`docker save` output, an OCI archive). Sources read manifests and layers through
 * this, so one OCI-layout reader serves both `oci:` and `oci-archive:`.
 */
export interface FileTree {
  /** For messages: the directory or archive path. */
  readonly location: string;
  /** Size in bytes, or undefined when there is no such file. */
  size(name: string): Promise<number | undefined>;
  /** A small file read whole (manifests, configs); `maxBytes` guards against reading a layer by mistake. */
  readFile(name: string, maxBytes?: number): Promise<Buffer>;
  /** A stream of the file's bytes, optionally only its first `length` bytes. */
  open(name: string, length?: number): Readable;
}

const SMALL_FILE_LIMIT = 16 * 1024 * 1024;

export class DirTree implements FileTree {
  constructor(readonly location: string) {}

  private resolve(name: string): string {
    const full = path.resolve(this.location, name);
    if (!full.startsWith(path.resolve(this.location) + path.sep)) {
      throw new BadInputError(`${this.location}: refusing path "${name}" outside the layout`);
    }
    return full;
  }

  async size(name: string): Promise<number | undefined> {
    try {
      const s = await stat(this.resolve(name));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  }

  async readFile(name: string, maxBytes = SMALL_FILE_LIMIT): Promise<Buffer> {
    const size = await this.size(name);
    if (size === undefined) throw new NotFoundError(`${this.location}: no file ${name}`);
    if (size > maxBytes)
      throw new CorruptContentError(
        `${this.location}/${name}: ${size} bytes, more than ${maxBytes} expected`,
      );
    const fh = await openFile(this.resolve(name), 'r');
    try {
      const buf = Buffer.alloc(size);
      await fh.read(buf, 0, size, 0);
      return buf;
    } finally {
      await fh.close();
    }
  }

  open(name: string, length?: number): Readable {
    if (length === 0) return Readable.from([]);
    return createReadStream(this.resolve(name), length === undefined ? {} : { start: 0, end: length - 1 });
  }
}

/** A tar archive indexed once by header offsets: every member is then a byte range of the file. */
export class TarTree implements FileTree {
  private constructor(
    readonly location: string,
    private readonly index: TarIndex,
  ) {}

  static async open(file: string): Promise<TarTree> {
    return new TarTree(file, await indexTar(file));
  }

  private member(name: string) {
    return this.index.resolve(name.replace(/^\.\//, ''));
  }

  async size(name: string): Promise<number | undefined> {
    return this.member(name)?.size;
  }

  async readFile(name: string, maxBytes = SMALL_FILE_LIMIT): Promise<Buffer> {
    const m = this.member(name);
    if (!m) throw new NotFoundError(`${this.location}: the archive has no member ${name}`);
    if (m.size > maxBytes)
      throw new CorruptContentError(
        `${this.location}: member ${name} is ${m.size} bytes, more than ${maxBytes} expected`,
      );
    const fh = await openFile(this.location, 'r');
    try {
      const buf = Buffer.alloc(m.size);
      const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
      if (bytesRead < m.size) throw new CorruptContentError(`${this.location}: member ${name} is truncated`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  open(name: string, length?: number): Readable {
    const m = this.member(name);
    if (!m) throw new NotFoundError(`${this.location}: the archive has no member ${name}`);
    const n = Math.min(length ?? m.size, m.size);
    if (n === 0) return Readable.from([]);
    return createReadStream(this.location, { start: m.offset, end: m.offset + n - 1 });
  }
}

/** The first bytes of a file (to sniff compression), or fewer when it is shorter. */
export async function readHead(tree: FileTree, name: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tree.open(name, n)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
