import type { ChangesetEntry } from '../../layers/changeset';

/**
 * File paths to the entries a layer holding them would have: each file plus every ancestor
 * directory (a layer tar, and a container's upper directory, carry the parents of what changed).
 * Sorted so the result compares with the container collector's walk.
 */
export function entriesFromPaths(
  files: Iterable<string>,
  links: Iterable<string> = [],
  sizes: ReadonlyMap<string, number> = new Map(),
): ChangesetEntry[] {
  const byPath = new Map<string, ChangesetEntry>();
  const add = (p: string, type: ChangesetEntry['type']) => {
    const clean = p.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (!clean || byPath.has(clean)) return;
    byPath.set(clean, { path: clean, type, size: sizes.get(p) ?? 0, mode: type === 'dir' ? 0o755 : 0o644 });
    const parts = clean.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { path: dir, type: 'dir', size: 0, mode: 0o755 });
    }
  };
  for (const f of files) add(f, f.endsWith('/') ? 'dir' : 'file');
  for (const l of links) add(l, 'symlink');
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
