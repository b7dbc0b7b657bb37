import { normalizeLayerPath } from './package-record';

/**
 * Which distribution release an image is (`/etc/os-release`, os-release(5)). Advisories for Debian are
 * per release (`Debian:12`): the same fixed version does not apply to bookworm and bullseye alike, so
 * matching a Debian package needs the release its image runs. Sees: any image with an os-release file
 * (Debian, Ubuntu, distroless, Alpine...). Cannot see: images that deleted it or never had one (scratch).
 */
export interface OsRelease {
  /** `ID`, e.g. `debian`. */
  id: string;
  /** `VERSION_ID`, e.g. `12`; absent on testing/unstable. */
  versionId?: string;
  /** `VERSION_CODENAME`, e.g. `bookworm`. */
  codename?: string;
  path: string;
}

const OS_RELEASE_RE = /^(?:etc|usr\/lib)\/os-release$/;

export function isOsReleasePath(path: string): boolean {
  return OS_RELEASE_RE.test(normalizeLayerPath(path));
}

export function parseOsRelease(path: string, data: Buffer): OsRelease | undefined {
  const fields = new Map<string, string>();
  for (const line of data.toString('utf8').split(/\r?\n/)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  const id = fields.get('ID');
  if (!id) return undefined;
  return {
    id,
    ...(fields.get('VERSION_ID') ? { versionId: fields.get('VERSION_ID') } : {}),
    ...(fields.get('VERSION_CODENAME') ? { codename: fields.get('VERSION_CODENAME') } : {}),
    path: normalizeLayerPath(path),
  };
}

/** The release named by the layers' os-release files; `etc/` wins over `usr/lib/` (os-release(5)). */
export function osReleaseFromContents(
  contents: ReadonlyArray<{ path: string; data: Buffer }>,
): OsRelease | undefined {
  const found = contents
    .filter((c) => isOsReleasePath(c.path))
    .map((c) => parseOsRelease(c.path, c.data))
    .filter((r): r is OsRelease => r !== undefined)
    .sort((a, b) => (a.path.startsWith('etc/') ? -1 : 0) - (b.path.startsWith('etc/') ? -1 : 0));
  return found[0];
}

/** The OSV ecosystem suffix for an image's Debian release (`12`), when it is Debian and says which. */
export function debianReleaseOf(os: { id: string; versionId?: string } | undefined): string | undefined {
  return os?.id === 'debian' ? os.versionId?.split('.')[0] : undefined;
}
