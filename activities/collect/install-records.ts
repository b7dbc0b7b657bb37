import { formatLabel } from '../../models/label';

/**
 * The packages an install really added, read from the package managers' own records in the changed
 * files: `*.dist-info` directory names (PyPI), `node_modules/.../package.json` (npm), and the dpkg
 * `info/*.list` files with versions from the new `status` (Debian). Used to list the dependencies an
 * install brought along, so a sample says what else its layer holds.
 */
const DIST_INFO = /(?:^|\/)([^/]+)-([^-/]+)\.dist-info$/;
const NPM_PACKAGE_JSON = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/@.][^/]*)\/package\.json$/;
const DPKG_LIST = /^var\/lib\/dpkg\/info\/([^/:]+)(?::[a-z0-9]+)?\.list$/;

/** Which changed files install-records needs to read. */
export function isRecordFile(p: string): boolean {
  return NPM_PACKAGE_JSON.test(p) || p === 'var/lib/dpkg/status';
}

export function installedLabels(paths: string[], captured: Map<string, string>): string[] {
  const labels = new Set<string>();
  for (const p of paths) {
    const d = DIST_INFO.exec(p);
    if (d) labels.add(formatLabel({ ecosystem: 'pypi', name: d[1], version: d[2] }));
  }
  for (const [p, text] of captured) {
    if (!NPM_PACKAGE_JSON.test(p)) continue;
    try {
      const pkg = JSON.parse(text) as { name?: string; version?: string };
      if (pkg.name && pkg.version)
        labels.add(formatLabel({ ecosystem: 'npm', name: pkg.name, version: pkg.version }));
    } catch {
      // A package.json that is not JSON is not a package record (test fixtures ship such files).
    }
  }
  const status = captured.get('var/lib/dpkg/status');
  if (status) {
    const versions = dpkgVersions(status);
    for (const p of paths) {
      const m = DPKG_LIST.exec(p);
      const v = m && versions.get(m[1]);
      if (m && v) labels.add(formatLabel({ ecosystem: 'deb', name: m[1], version: v }));
    }
  }
  return [...labels].sort();
}

/** Installed package versions from a dpkg status file. */
export function dpkgVersions(status: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const para of status.split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(para)?.[1];
    const version = /^Version: (\S+)$/m.exec(para)?.[1];
    const installed = /^Status: .* installed$/m.test(para);
    if (name && version && installed) out.set(name, version);
  }
  return out;
}
