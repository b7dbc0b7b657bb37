import * as pep440 from '@renovatebot/pep440';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';
import { type Ecosystem, normalizeName } from '../../models/label';
import { BadInputError, NotFoundError, TransientError } from '../errors';
import { repoRoot } from '../repo-root';
import { VERSION_SCHEMES } from './versions';

/**
 * Latest-version index and the "outdated" check. The index is fed by whatever knows releases: the
 * offline files shipped in ./data (generated from the advisory snapshot; see data/README.md), the
 * training data's label space, and, when configured, a package index's JSON API. A finding is
 * outdated when it is at least N released versions or M days behind the latest known version.
 * The shipped data knows fewer versions than the real indexes do, so counts are lower bounds: the
 * check can miss an outdated package but does not flag a current one as far behind.
 */
export interface LatestEntry {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** Release date (ISO 8601), when known. */
  released?: string;
}

export interface KnownVersions {
  /** Ascending by the ecosystem's version order; final releases and pre-releases alike. */
  versions: Array<{ version: string; released?: string }>;
  latest: { version: string; released?: string };
}

export interface LatestIndex {
  get(ecosystem: Ecosystem, name: string): KnownVersions | undefined;
  readonly size: number;
  entries(): Iterable<LatestEntry>;
}

function isPrerelease(ecosystem: Ecosystem, v: string): boolean {
  if (ecosystem === 'pypi') return pep440.explain(v)?.is_prerelease ?? false;
  if (ecosystem === 'npm') return (semver.prerelease(v, { loose: true }) ?? []).length > 0;
  return v.includes('~');
}

/** Builds an index; the same version listed twice keeps the entry that has a date. Invalid versions are dropped. */
export function buildLatestIndex(entries: Iterable<LatestEntry>): LatestIndex {
  const byPackage = new Map<string, Map<string, string | undefined>>();
  for (const e of entries) {
    const scheme = VERSION_SCHEMES[e.ecosystem];
    if (!scheme.valid(e.version)) continue;
    const k = `${e.ecosystem}:${normalizeName(e.ecosystem, e.name)}`;
    let m = byPackage.get(k);
    if (!m) byPackage.set(k, (m = new Map()));
    if (!m.has(e.version) || e.released) m.set(e.version, e.released ?? m.get(e.version));
  }
  const known = new Map<string, KnownVersions>();
  for (const [k, m] of byPackage) {
    const ecosystem = k.slice(0, k.indexOf(':')) as Ecosystem;
    const scheme = VERSION_SCHEMES[ecosystem];
    const versions = [...m].map(([version, released]) => ({ version, ...(released ? { released } : {}) }));
    versions.sort((a, b) => scheme.compare(a.version, b.version));
    // "Latest" is the highest final release, as `pip install` and `npm install` would choose.
    const finals = versions.filter((v) => !isPrerelease(ecosystem, v.version));
    const latest = (finals.length ? finals : versions)[(finals.length ? finals : versions).length - 1];
    known.set(k, { versions, latest });
  }
  return {
    get: (ecosystem, name) => known.get(`${ecosystem}:${normalizeName(ecosystem, name)}`),
    size: known.size,
    *entries() {
      for (const [k, kv] of known) {
        const ecosystem = k.slice(0, k.indexOf(':')) as Ecosystem;
        const name = k.slice(k.indexOf(':') + 1);
        for (const v of kv.versions) yield { ecosystem, name, ...v };
      }
    },
  };
}

export function mergeLatestIndexes(...indexes: LatestIndex[]): LatestIndex {
  return buildLatestIndex(indexes.flatMap((i) => [...i.entries()]));
}

export interface OutdatedPolicy {
  /** Flag when at least this many final releases came after the version. */
  versionsBehind: number;
  /** Flag when the latest came out at least this many days after the version (both dates needed). */
  daysBehind: number;
}

export interface OutdatedResult {
  latest: string;
  versionsBehind: number;
  daysBehind?: number;
}

/** Undefined when the package is unknown, current, ahead of the index, or not far enough behind. */
export function checkOutdated(
  index: LatestIndex,
  pkg: { ecosystem: Ecosystem; name: string; version: string },
  policy: OutdatedPolicy,
): OutdatedResult | undefined {
  const known = index.get(pkg.ecosystem, pkg.name);
  const scheme = VERSION_SCHEMES[pkg.ecosystem];
  if (!known || !scheme.valid(pkg.version)) return undefined;
  if (scheme.compare(pkg.version, known.latest.version) >= 0) return undefined;
  const newer = known.versions.filter(
    (v) =>
      !isPrerelease(pkg.ecosystem, v.version) &&
      scheme.compare(v.version, pkg.version) > 0 &&
      scheme.compare(v.version, known.latest.version) <= 0,
  );
  const own = known.versions.find((v) => scheme.compare(v.version, pkg.version) === 0);
  let daysBehind: number | undefined;
  if (own?.released && known.latest.released) {
    const ms = Date.parse(known.latest.released) - Date.parse(own.released);
    if (Number.isFinite(ms)) daysBehind = Math.max(0, Math.floor(ms / 86_400_000));
  }
  const flagged =
    newer.length >= policy.versionsBehind || (daysBehind !== undefined && daysBehind >= policy.daysBehind);
  if (!flagged) return undefined;
  return {
    latest: known.latest.version,
    versionsBehind: newer.length,
    ...(daysBehind !== undefined ? { daysBehind } : {}),
  };
}

/** The offline file format in ./data: `praxi.latest/v1`, one file per ecosystem. */
export interface LatestFile {
  format: 'praxi.latest/v1';
  ecosystem: Ecosystem;
  generatedAt: string;
  source: string;
  /** Normalized name → versions, each `[version]` or `[version, releaseDate]`. */
  packages: Record<string, Array<[string] | [string, string]>>;
}

export function latestFileOf(
  ecosystem: Ecosystem,
  index: LatestIndex,
  source: string,
  now = new Date(),
): LatestFile {
  const packages: LatestFile['packages'] = {};
  for (const e of index.entries()) {
    if (e.ecosystem !== ecosystem) continue;
    (packages[e.name] ??= []).push(e.released ? [e.version, e.released] : [e.version]);
  }
  const sorted = Object.fromEntries(
    Object.keys(packages)
      .sort()
      .map((k) => [k, packages[k]]),
  );
  return { format: 'praxi.latest/v1', ecosystem, generatedAt: now.toISOString(), source, packages: sorted };
}

export function entriesOfLatestFile(file: LatestFile): LatestEntry[] {
  if (file.format !== 'praxi.latest/v1')
    throw new BadInputError(`not a praxi.latest/v1 file (format ${String(file.format)})`);
  return Object.entries(file.packages).flatMap(([name, versions]) =>
    versions.map(([version, released]) => ({
      ecosystem: file.ecosystem,
      name,
      version,
      ...(released ? { released } : {}),
    })),
  );
}

/** Source files, not dist/: tsc does not copy JSON it does not import. */
export const SHIPPED_LATEST_DIR = path.join(repoRoot(), 'activities', 'risk', 'data');

/** The shipped offline files (or files in `dir`), all ecosystems that have one. */
export function loadLatestFiles(dir: string = SHIPPED_LATEST_DIR): LatestIndex {
  const entries: LatestEntry[] = [];
  for (const eco of ['pypi', 'npm', 'deb'] as const) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, `latest-${eco}.json`), 'utf8');
    } catch {
      continue;
    }
    entries.push(...entriesOfLatestFile(JSON.parse(text) as LatestFile));
  }
  return buildLatestIndex(entries);
}

/**
 * Asks a package index for a package's releases. `baseUrl` is the index's JSON API root (PyPI's JSON
 * API shape `<base>/pypi/<name>/json`, or an npm registry `<base>/<name>`); it is configuration, so
 * offline installations and mirrors work alike. Unknown packages give no entries.
 */
export async function fetchReleases(
  ecosystem: 'pypi' | 'npm',
  name: string,
  baseUrl: string,
  opts: { timeoutMs?: number } = {},
): Promise<LatestEntry[]> {
  const base = baseUrl.replace(/\/+$/, '');
  const url =
    ecosystem === 'pypi'
      ? `${base}/pypi/${encodeURIComponent(name)}/json`
      : `${base}/${name.replace('/', '%2f')}`;
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      headers: { accept: 'application/json' },
    });
  } catch (e) {
    throw new TransientError(`cannot reach ${url}: ${(e as Error).message}`, 'NETWORK', { cause: e });
  }
  if (res.status === 404) return [];
  if (res.status === 429 || res.status >= 500) throw new TransientError(`${url} answered ${res.status}`);
  if (!res.ok) throw new NotFoundError(`${url} answered ${res.status}`);
  const body = (await res.json()) as Record<string, unknown>;
  const out: LatestEntry[] = [];
  if (ecosystem === 'pypi') {
    const releases = (body.releases ?? {}) as Record<
      string,
      Array<{ upload_time_iso_8601?: string; yanked?: boolean }>
    >;
    for (const [version, files] of Object.entries(releases)) {
      if (!files.length || files.every((f) => f.yanked)) continue;
      const released = files
        .map((f) => f.upload_time_iso_8601)
        .filter(Boolean)
        .sort()[0];
      out.push({ ecosystem, name, version, ...(released ? { released } : {}) });
    }
  } else {
    const time = (body.time ?? {}) as Record<string, string>;
    for (const version of Object.keys((body.versions ?? {}) as object)) {
      out.push({ ecosystem, name, version, ...(time[version] ? { released: time[version] } : {}) });
    }
  }
  return out;
}
