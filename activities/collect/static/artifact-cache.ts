import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * File lists of artifacts (a wheel's members, a tarball's files, a .deb's listing) kept on local disk:
 * one artifact is mapped onto several variants and into several multi-label samples, and is read
 * from the network once. Concurrent asks for the same key share one fetch.
 */
export class ArtifactCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  constructor(readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, `${key.replace(/[^A-Za-z0-9._\-+=@/]/g, '_')}.json`);
  }

  async getOrMake<T>(key: string, make: () => Promise<T>): Promise<T> {
    const f = this.file(key);
    if (existsSync(f)) return JSON.parse(await readFile(f, 'utf8')) as T;
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    const p = (async () => {
      const value = await make();
      await mkdir(path.dirname(f), { recursive: true });
      const tmp = `${f}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, f);
      return value;
    })();
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }
}
