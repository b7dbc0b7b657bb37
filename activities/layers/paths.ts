/**
 * Tar member names as a layer means them: relative to the image root, `./` and `/` prefixes
 * dropped, `.` and `..` resolved lexically and never above the root, so `../../etc/passwd` is
 * `etc/passwd`. Nothing is ever written to disk; this only keeps paths comparable and honest.
 */
export function normaliseLayerPath(name: string): string {
  // Fast path: the common, already-clean name (no `.` segments, no doubled or leading slashes).
  if (
    name.length > 0 &&
    name[0] !== '/' &&
    name[0] !== '.' &&
    !name.includes('//') &&
    !name.includes('/.') &&
    name[name.length - 1] !== '/'
  ) {
    return name;
  }
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export type WhiteoutKind =
  /** `DIR/.wh.NAME`: `DIR/NAME` is deleted. */
  | { kind: 'delete'; path: string }
  /** `DIR/.wh..wh..opq`: everything below `DIR` from lower layers is hidden, recorded as `DIR/`. */
  | { kind: 'opaque'; path: string }
  /** `.wh..wh.plnk`, `.wh..wh.aufs`, `.wh..wh.orph`: AUFS bookkeeping, neither file nor deletion. */
  | { kind: 'meta' };

/** The whiteout a normalised path stands for, or `undefined` for an ordinary member. */
export function whiteoutOf(path: string): WhiteoutKind | undefined {
  if (!path.includes(WHITEOUT_PREFIX)) return undefined;
  const slash = path.lastIndexOf('/');
  // Anything inside an AUFS bookkeeping directory (`.wh..wh.plnk/...`) is bookkeeping too.
  if (
    path
      .slice(0, slash + 1)
      .split('/')
      .some((p) => p.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`))
  ) {
    return { kind: 'meta' };
  }
  const base = path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  const dir = slash < 0 ? '' : path.slice(0, slash);
  if (base === OPAQUE_WHITEOUT) return dir === '' ? { kind: 'meta' } : { kind: 'opaque', path: `${dir}/` };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '') return { kind: 'meta' };
  return { kind: 'delete', path: dir === '' ? name : `${dir}/${name}` };
}
