import type { Cataloger, PackageRecord } from './package-record';
import { parseHeaderBlocks } from './rfc822';

/**
 * Debian packages: the dpkg database `var/lib/dpkg/status`, and `var/lib/dpkg/status.d/*` (one file
 * per package, as distroless images write it).
 *
 * Sees: every package dpkg marks installed (`Status: ... installed`; half-installed and removed ones
 * are skipped) with its binary name, version and source package. Beware: a layer that installs one
 * package rewrites the whole status file, so its records list every package installed so far;
 * `firstLayerOfRecords` keeps each record only in the layer that introduced it. Cannot see: software
 * installed without dpkg (make install, copied binaries), and images whose status file was deleted.
 */
const STATUS_RE = /(?:^|\/)var\/lib\/dpkg\/status$/;
const STATUS_D_RE = /(?:^|\/)var\/lib\/dpkg\/status\.d\/[^/]+$/;

export const dpkgCataloger: Cataloger = {
  name: 'dpkg-db',
  matches: (p) => STATUS_RE.test(p) || (STATUS_D_RE.test(p) && !p.endsWith('.md5sums')),
  // A full Debian desktop's status file is a few MB; 16 MiB is far beyond any real one.
  maxBytes: 16 * 1024 * 1024,
  parse(path, data): PackageRecord[] {
    const out: PackageRecord[] = [];
    for (const stanza of parseHeaderBlocks(data.toString('utf8'))) {
      const name = stanza.get('package');
      const version = stanza.get('version');
      if (!name || !version) continue;
      const status = stanza.get('status');
      // status.d files often carry no Status field: their presence means installed.
      // The state is the last word: `installed`, not `not-installed`, `half-installed` or `config-files`.
      if (status !== undefined && status.trim().split(/\s+/).pop() !== 'installed') continue;
      // `Source: openssl (3.0.11-1~deb12u2)` names the source package and, when it differs, its version.
      const source = /^(\S+)/.exec(stanza.get('source') ?? '')?.[1];
      out.push({
        ecosystem: 'deb',
        name,
        version,
        path,
        ...(source && source !== name ? { sourceName: source } : {}),
      });
    }
    return out;
  },
};
