import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ChangesetEntry, EntryType } from '../layers/changeset';

/**
 * Reads what a container changed straight from its overlay2 upper directory: exactly the files its
 * layer tar would hold (types, sizes, modes), without exporting or committing anything. Overlay marks
 * a deleted file with a 0/0 character device and an opaque directory with the `trusted.overlay.opaque`
 * xattr; we cannot read xattrs from Node, so opaque directories show as ordinary changed directories.
 */
export interface UpperDirChanges {
  entries: ChangesetEntry[];
  deletions: string[];
}

function typeOf(st: import('node:fs').Stats): EntryType {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

export async function readUpperDir(
  upper: string,
  ignore: ReadonlySet<string> = new Set(),
): Promise<UpperDirChanges> {
  const entries: ChangesetEntry[] = [];
  const deletions: string[] = [];
  // Depth-first, names sorted, parents before children: the order `tar` and docker would write.
  async function walk(rel: string): Promise<void> {
    const names = (await fs.readdir(path.join(upper, rel))).sort();
    for (const name of names) {
      const p = rel ? `${rel}/${name}` : name;
      if (ignore.has(p)) continue;
      const st = await fs.lstat(path.join(upper, p));
      if (st.isCharacterDevice() && st.rdev === 0) {
        deletions.push(p);
        continue;
      }
      const entry: ChangesetEntry = {
        path: p,
        type: typeOf(st),
        size: st.isFile() ? st.size : 0,
        mode: st.mode & 0o7777,
      };
      if (entry.type === 'symlink') entry.linkname = await fs.readlink(path.join(upper, p));
      entries.push(entry);
      if (entry.type === 'dir') await walk(p);
    }
  }
  await walk('');
  return { entries: pruneEmptyAncestors(entries, ignore), deletions };
}

/**
 * A bind-mount point docker had to create leaves its parent directories in the upper dir; drop those
 * parents when nothing else changed under them, so the mount leaves no trace in the sample.
 */
function pruneEmptyAncestors(entries: ChangesetEntry[], ignore: ReadonlySet<string>): ChangesetEntry[] {
  const ancestors = new Set<string>();
  for (const p of ignore) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('/'));
  }
  if (ancestors.size === 0) return entries;
  const hasChild = new Set<string>();
  for (const e of entries) {
    const i = e.path.lastIndexOf('/');
    if (i > 0) hasChild.add(e.path.slice(0, i));
  }
  return entries.filter((e) => !(e.type === 'dir' && ancestors.has(e.path) && !hasChild.has(e.path)));
}
