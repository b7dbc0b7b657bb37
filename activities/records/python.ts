import type { Cataloger, PackageRecord } from './package-record';
import { parseHeaderBlocks } from './rfc822';

/**
 * Python packages installed by pip (or any installer following the packaging specifications):
 * `NAME-VERSION.dist-info/METADATA` (wheels, PEP 376/627) and `NAME-VERSION.egg-info/PKG-INFO` or a
 * bare `NAME-VERSION.egg-info` file (setuptools, distutils, Debian's python3-* packages).
 *
 * Sees: every distribution whose metadata directory sits anywhere in the layer (site-packages,
 * dist-packages, virtualenvs). When the headers cannot be read (truncated, empty), the directory name
 * still gives name and version. Cannot see: code copied in without metadata, packages vendored inside
 * others (pip's `_vendor`), eggs zipped into `.egg` files, conda's `conda-meta` records.
 */
const DIST_INFO_RE = /(?:^|\/)([^/]+)\.dist-info\/METADATA$/;
const EGG_INFO_RE = /(?:^|\/)([^/]+)\.egg-info(?:\/PKG-INFO)?$/;

/** `requests-2.32.3` or `zope.interface-6.0-py3.11`: name and version, from the directory name. */
function fromDirName(stem: string): { name: string; version: string } | undefined {
  const m = /^(.+?)-(\d[^-]*)(?:-.*)?$/.exec(stem);
  return m ? { name: m[1], version: m[2] } : undefined;
}

export const pythonCataloger: Cataloger = {
  name: 'python-installed',
  matches: (p) => DIST_INFO_RE.test(p) || EGG_INFO_RE.test(p),
  // Headers come first, and the long description after them can be large; 1 MiB holds any real one.
  maxBytes: 1024 * 1024,
  parse(path, data): PackageRecord[] {
    const stem = (DIST_INFO_RE.exec(path) ?? EGG_INFO_RE.exec(path))?.[1];
    if (stem === undefined) return [];
    const [headers] = parseHeaderBlocks(data.toString('utf8'), { firstOnly: true });
    const name = headers?.get('name');
    const version = headers?.get('version');
    const found = name && version ? { name, version } : fromDirName(stem);
    return found ? [{ ecosystem: 'pypi', name: found.name, version: found.version, path }] : [];
  },
};
