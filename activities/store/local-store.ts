import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../errors';
import { type Body, type ObjectStore, validateKey, validatePrefix } from './object-store';

/** A directory behind the ObjectStore interface: the embedded default, no server needed. */
export class LocalStore implements ObjectStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.root = path.resolve(root);
    this.location = `file://${this.root}`;
  }

  private file(key: string): string {
    return path.join(this.root, ...validateKey(key).split('/'));
  }

  // Every write goes to a temporary sibling then renames, so a crash never leaves half an object
  // and a reader never sees one: rename(2) is atomic within a file system.
  private async writeAtomically(key: string, body: Body): Promise<string> {
    const target = this.file(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      if (body instanceof Readable) {
        await pipeline(body, createWriteStream(tmp));
      } else {
        await fs.writeFile(tmp, body);
      }
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
    return tmp;
  }

  async put(key: string, body: Body): Promise<void> {
    const tmp = await this.writeAtomically(key, body);
    await fs.rename(tmp, this.file(key));
  }

  async publish(key: string, body: Buffer | string): Promise<void> {
    await this.put(key, body);
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    const tmp = await this.writeAtomically(key, body);
    try {
      // link(2) fails with EEXIST instead of replacing: create-only, atomically.
      await fs.link(tmp, this.file(key));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(key));
    } catch (e) {
      throw this.mapError(e, key);
    }
  }

  async getStream(key: string): Promise<Readable> {
    const file = this.file(key);
    try {
      await fs.access(file);
    } catch (e) {
      throw this.mapError(e, key);
    }
    return createReadStream(file);
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fs.stat(this.file(key))).isFile();
    } catch {
      return false;
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const out: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const ent of entries) {
        const key = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) await walk(path.join(dir, ent.name), key);
        else if (ent.isFile() && !ent.name.includes('.tmp-') && key.startsWith(prefix)) out.push(key);
      }
    };
    // Walk only the directory part of the prefix; the rest filters names.
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash >= 0 ? prefix.slice(0, slash) : '';
    await walk(dirPart ? path.join(this.root, ...dirPart.split('/')) : this.root, dirPart);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  private mapError(e: unknown, key: string): unknown {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') {
      return new NotFoundError(`no object at key ${key} in ${this.location}`, undefined, 'KEY_NOT_FOUND');
    }
    return e;
  }
}
