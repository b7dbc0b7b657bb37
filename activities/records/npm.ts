import type { Cataloger, PackageRecord } from './package-record';

/**
 * npm packages: the `package.json` at the root of each installed package, `node_modules/NAME/` or
 * `node_modules/@SCOPE/NAME/`, at any nesting depth (`node_modules/a/node_modules/b`), global
 * (`usr/lib/node_modules/npm`) or local.
 *
 * Sees: every installed package whose root package.json has a name and a version. Skips package.json
 * files deeper inside a package (test fixtures, examples, sub-builds) because only a package root sits
 * directly under `node_modules`. Cannot see: bundled or minified code without node_modules, Yarn PnP
 * zip caches, and the application's own package.json outside node_modules.
 */
const PACKAGE_ROOT_RE = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;

export const npmCataloger: Cataloger = {
  name: 'npm-installed',
  matches: (p) => PACKAGE_ROOT_RE.test(p),
  maxBytes: 1024 * 1024,
  parse(path, data): PackageRecord[] {
    let pkg: unknown;
    try {
      pkg = JSON.parse(data.toString('utf8'));
    } catch {
      return [];
    }
    if (typeof pkg !== 'object' || pkg === null) return [];
    const { name, version } = pkg as { name?: unknown; version?: unknown };
    if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) return [];
    return [{ ecosystem: 'npm', name, version, path }];
  },
};
