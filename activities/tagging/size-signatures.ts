import { createHash } from 'node:crypto';

/**
 * Size signatures: which release of an npm package a layer holds, read from its files' sizes.
 *
 * npm releases often change no file name (chalk 5.5.0 and 5.6.2 ship the same 12 paths), so no path
 * token can tell them apart; 461 of the 726 npm single-label test layers of the shipped dataset have
 * exactly the tags of another release's layer. Their sizes differ in all but 17 of 844 release pairs
 * measured. A tar header carries each member's size, so a layer gives them for free, with no content read.
 *
 * One signature per installed package directory (`.../node_modules/NAME/`): a digest of its files'
 * relative paths and sizes. npm writes a tarball's files as they are, so an install anywhere (`-g`, a
 * project, a prefix) gives the tarball's signature. `package.json` is left out: it is the record a
 * stripped layer may lack, and the signature should still work there.
 *
 * PyPI versions are told apart by their `*.dist-info` records, which images often strip. pip writes a
 * wheel's files as they are too, so each top-level module under `site-packages`/`dist-packages` (a
 * directory, or one file such as `six.py`) gets a signature, keyed `pypi-module:NAME`: which distribution a
 * module belongs to is learned from training layers. Byte code (`__pycache__`) is left out (its size
 * depends on the interpreter), and so are the records.
 */

const NODE_MODULES = 'node_modules/';

/** The package directory (`.../node_modules/NAME` or `.../node_modules/@SCOPE/NAME`) a path lies in, and the rest. */
export function npmPackageFile(path: string): { dir: string; name: string; rel: string } | undefined {
  const at = path.lastIndexOf(NODE_MODULES);
  if (at < 0 || (at > 0 && path[at - 1] !== '/')) return undefined;
  const after = path.slice(at + NODE_MODULES.length);
  const parts = after.split('/');
  const width = parts[0].startsWith('@') ? 2 : 1;
  if (parts.length <= width) return undefined;
  const name = parts.slice(0, width).join('/');
  // `.bin`, `.package-lock.json`, `.cache`: npm's own files, not a package.
  if (name.startsWith('.') || parts.slice(0, width).some((p) => p === '')) return undefined;
  const rel = parts.slice(width).join('/');
  if (rel === '') return undefined;
  return { dir: path.slice(0, at + NODE_MODULES.length) + name, name, rel };
}

const SITE_DIRS = ['site-packages/', 'dist-packages/'];

/** The top-level Python module (directory or file under `site-packages`) a path belongs to, and the rest. */
export function pythonModuleFile(path: string): { dir: string; name: string; rel: string } | undefined {
  let at = -1;
  let width = 0;
  for (const d of SITE_DIRS) {
    const i = path.lastIndexOf(d);
    if (i > at && (i === 0 || path[i - 1] === '/')) [at, width] = [i, d.length];
  }
  if (at < 0) return undefined;
  const after = path.slice(at + width);
  const slash = after.indexOf('/');
  const top = slash < 0 ? after : after.slice(0, slash);
  if (top === '' || top === '__pycache__' || /\.(dist|egg)-info$/.test(top) || top.endsWith('.pth'))
    return undefined;
  if (after.includes('__pycache__/') || after.endsWith('.pyc')) return undefined;
  // A module file (`six.py`) is its own directory: its name and size are its signature.
  const rel = slash < 0 ? top : after.slice(slash + 1);
  if (rel === '') return undefined;
  const name = slash < 0 ? top.replace(/\.py$/, '') : top;
  return { dir: path.slice(0, at + width) + top, name, rel };
}

/**
 * The signature of one package directory from its files (paths relative to it) and sizes. A directory
 * with nothing but `package.json` still gets one (of no files): the key says the package is installed.
 */
export function signatureOf(files: Iterable<{ rel: string; size: number }>): string {
  const lines: string[] = [];
  for (const f of files) if (f.rel !== 'package.json') lines.push(`${f.rel}\0${f.size}`);
  lines.sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/**
 * Signatures of every npm package directory in a layer's regular files, keyed by package (`npm:NAME`):
 * every npm package the layer installs has a key. A package can be there more than once (nested at
 * another release), hence a list. Top-level Python modules under `site-packages` are keyed
 * `pypi-module:NAME`.
 */
export function sizeSignatures(
  files: Iterable<{ path: string; size: number; type?: string }>,
): Record<string, string[]> {
  const dirs = new Map<string, { key: string; files: Array<{ rel: string; size: number }> }>();
  for (const f of files) {
    if (f.type !== undefined && f.type !== 'file') continue;
    const npm = npmPackageFile(f.path);
    const py = npm ? undefined : pythonModuleFile(f.path);
    const hit = npm ?? py;
    if (!hit) continue;
    let d = dirs.get(hit.dir);
    if (!d)
      dirs.set(hit.dir, (d = { key: npm ? `npm:${hit.name}` : `${PYTHON_MODULE}${hit.name}`, files: [] }));
    d.files.push({ rel: hit.rel, size: f.size });
  }
  const out = new Map<string, Set<string>>();
  for (const d of dirs.values()) {
    const sig = signatureOf(d.files);
    const set = out.get(d.key) ?? new Set<string>();
    set.add(sig);
    out.set(d.key, set);
  }
  // Keys start with `npm:` or `pypi-module:`, so no path part can make one `__proto__`.
  return sortedRecord(out);
}

/** A map of sets as a plain record, keys and values sorted (stable JSON for tagsets and manifests). */
export function sortedRecord(m: ReadonlyMap<string, ReadonlySet<string>>): Record<string, string[]> {
  const record: Record<string, string[]> = {};
  for (const k of [...m.keys()].sort()) record[k] = [...(m.get(k) as ReadonlySet<string>)].sort();
  return record;
}

/** Key prefix of Python module signatures. */
export const PYTHON_MODULE = 'pypi-module:';
