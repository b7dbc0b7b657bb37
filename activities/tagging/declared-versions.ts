import { npmCataloger } from '../records/npm';
import type { PackageRecord } from '../records/package-record';
import { sortedRecord } from './size-signatures';

/**
 * The versions a layer's npm package directories declare, keyed by package (`npm:NAME`): the `version`
 * of each `node_modules/NAME/package.json` the layer writes.
 *
 * Some npm releases ship byte-for-byte the same files at the same sizes (a monorepo bumps every package's
 * version together; `@typescript-eslint/types` 8.72.2, 8.73.0 and 8.74.0): only `package.json` says which
 * one is installed. It is npm's install record, as a `NAME-VERSION.dist-info` directory is pip's, whose
 * name the path tokens already carry. The model uses it only to choose among releases whose files and
 * sizes the layer matches exactly (models/size-evidence.ts); a layer whose records were deleted has none.
 */
export function declaredVersions(
  contents: ReadonlyArray<{ path: string; data: Buffer }>,
): Record<string, string[]> {
  const records: PackageRecord[] = [];
  for (const { path, data } of contents)
    if (npmCataloger.matches(path) && data.length <= npmCataloger.maxBytes)
      records.push(...npmCataloger.parse(path, data));
  return declaredVersionsOf(records);
}

/**
 * The same from package records already parsed (records/index.ts `recordsFromContents`), so a scan reads
 * each `package.json` once. Records of other ecosystems are ignored.
 */
export function declaredVersionsOf(records: readonly PackageRecord[]): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const r of records) {
    if (r.ecosystem !== 'npm') continue;
    const key = `npm:${r.name}`;
    const set = out.get(key) ?? new Set<string>();
    set.add(r.version);
    out.set(key, set);
  }
  // Keys start with `npm:`, so no package name can make one `__proto__`.
  return sortedRecord(out);
}
