import { dpkgCataloger } from './dpkg';
import { npmCataloger } from './npm';
import { type Cataloger, normalizeLayerPath, type PackageRecord } from './package-record';
import { pythonCataloger } from './python';
import { isOsReleasePath } from './os-release';

export type { Cataloger, PackageRecord } from './package-record';
export { dpkgCataloger } from './dpkg';
export { npmCataloger } from './npm';
export { pythonCataloger } from './python';
export * from './os-release';

export const CATALOGERS: readonly Cataloger[] = [pythonCataloger, dpkgCataloger, npmCataloger];

/**
 * The largest file any cataloger reads: pass it as the layer reader's `maxContentBytes` (its 1 MiB
 * default would skip a large dpkg status file).
 */
export const RECORDS_MAX_CONTENT_BYTES = Math.max(...CATALOGERS.map((c) => c.maxBytes));

/**
 * What the layer reader should hand over: a record file of some cataloger, no larger than that
 * cataloger reads. Everything else stays in the stream unread.
 */
export function wantContent(path: string, size: number): boolean {
  const p = normalizeLayerPath(path);
  // os-release too: Debian advisories apply per release (see ./os-release). A few hundred bytes.
  return (
    CATALOGERS.some((c) => c.matches(p) && size <= c.maxBytes) || (isOsReleasePath(p) && size <= 64 * 1024)
  );
}

/** Package records from the files a layer reader kept; duplicates (same package, same file) collapse. */
export function recordsFromContents(
  contents: ReadonlyArray<{ path: string; data: Buffer }>,
): PackageRecord[] {
  const out = new Map<string, PackageRecord>();
  for (const { path, data } of contents) {
    const p = normalizeLayerPath(path);
    const cataloger = CATALOGERS.find((c) => c.matches(p));
    if (!cataloger || data.length > cataloger.maxBytes) continue;
    for (const r of cataloger.parse(p, data))
      out.set(`${r.ecosystem}\0${r.name}\0${r.version}\0${r.path}`, r);
  }
  return [...out.values()].sort((a, b) =>
    a.ecosystem !== b.ecosystem
      ? a.ecosystem < b.ecosystem
        ? -1
        : 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0,
  );
}

/**
 * Keeps each record only in the lowest layer that shows it. dpkg rewrites its whole status file in
 * every layer that installs anything, so without this every later layer would "find" the base image's
 * packages again. Input and output are indexed by layer, lowest first.
 */
export function firstLayerOfRecords(perLayer: ReadonlyArray<readonly PackageRecord[]>): PackageRecord[][] {
  const seen = new Set<string>();
  return perLayer.map((records) =>
    records.filter((r) => {
      const key = `${r.ecosystem}\0${r.name}\0${r.version}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  );
}
