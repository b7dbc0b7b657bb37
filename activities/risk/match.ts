import { type Ecosystem, normalizeName } from '../../models/label';
import type { AffectedPackage, Advisory, AdvisoryHit, VersionRange } from './advisory';
import type { Severity } from './severity';
import { maxSeverity } from './severity';
import { VERSION_SCHEMES, type VersionScheme } from './versions';

/**
 * Matching a package version against compiled advisories, following the OSV specification's
 * evaluation: a version is affected when it is listed in `versions` or falls inside a range, where a
 * range's events, sorted by version, switch "affected" on at `introduced` and off at `fixed` (and
 * after `last_affected`). `introduced: "0"` means "since the first version" in every ecosystem.
 */

export interface PackageQuery {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** Debian: the source package the binary was built from; advisories name source packages. */
  sourceName?: string;
  /**
   * Debian: the image's release (`12`, from os-release VERSION_ID). Advisories for another release
   * (`Debian:11`) are then ignored: their fixed versions are that release's. Unknown: all releases apply.
   */
  debianRelease?: string;
}

export interface MatchOptions {
  /** Rating used when no source rated an advisory. */
  defaultSeverity?: Severity;
}

export interface AdvisoryIndex {
  readonly advisories: readonly Advisory[];
  /** Advisory and affected entry per `ecosystem:normalized name`. */
  readonly byPackage: ReadonlyMap<string, Array<{ advisory: Advisory; affected: AffectedPackage }>>;
}

export function indexAdvisories(advisories: readonly Advisory[]): AdvisoryIndex {
  const byPackage = new Map<string, Array<{ advisory: Advisory; affected: AffectedPackage }>>();
  for (const advisory of advisories) {
    for (const affected of advisory.affected) {
      const key = `${affected.ecosystem}:${affected.name}`;
      let list = byPackage.get(key);
      if (!list) byPackage.set(key, (list = []));
      list.push({ advisory, affected });
    }
  }
  return { advisories, byPackage };
}

type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

function eventsOf(range: VersionRange): Array<{ kind: EventKind; version: string }> {
  return range.events.map((e) => {
    const kind = Object.keys(e)[0] as EventKind;
    return { kind, version: (e as Record<EventKind, string>)[kind] };
  });
}

/** `"0"` sorts below every version; an event version the scheme cannot read makes the range unusable. */
function cmp(scheme: VersionScheme, a: string, b: string): number {
  if (a === b) return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  return scheme.compare(a, b);
}

/** Sorting a range's events parses every version: done once per range, then kept beside it. */
const sortedEvents = new WeakMap<VersionRange, Array<{ kind: EventKind; version: string }>>();

function eventsInOrder(
  scheme: VersionScheme,
  range: VersionRange,
): Array<{ kind: EventKind; version: string }> {
  let events = sortedEvents.get(range);
  if (!events) {
    events = eventsOf(range).filter(
      (e) => e.kind !== 'limit' && (e.version === '0' || scheme.valid(e.version)),
    );
    events.sort((x, y) => cmp(scheme, x.version, y.version));
    sortedEvents.set(range, events);
  }
  return events;
}

export function inRange(scheme: VersionScheme, version: string, range: VersionRange): boolean {
  const events = eventsInOrder(scheme, range);
  let affected = false;
  for (const e of events) {
    if (e.kind === 'introduced' && cmp(scheme, version, e.version) >= 0) affected = true;
    else if (e.kind === 'fixed' && cmp(scheme, version, e.version) >= 0) affected = false;
    else if (e.kind === 'last_affected' && cmp(scheme, version, e.version) > 0) affected = false;
  }
  return affected;
}

const versionSets = new WeakMap<AffectedPackage, Set<string>>();

export function isAffected(
  scheme: VersionScheme,
  version: string,
  affected: AffectedPackage,
  canonical = scheme.canonical(version),
): boolean {
  if (affected.versions.length) {
    let set = versionSets.get(affected);
    if (!set) versionSets.set(affected, (set = new Set(affected.versions)));
    if (set.has(canonical)) return true;
  }
  return affected.ranges.some((r) => inRange(scheme, version, r));
}

function fixedVersions(scheme: VersionScheme, affected: AffectedPackage): string[] {
  const fixed = new Set<string>();
  for (const r of affected.ranges)
    for (const e of eventsOf(r)) if (e.kind === 'fixed' && scheme.valid(e.version)) fixed.add(e.version);
  return [...fixed].sort((a, b) => scheme.compare(a, b));
}

/**
 * Advisories that affect one package version, highest severity first. A version the ecosystem's
 * scheme cannot read (a model guess gone wrong, a vendor suffix) matches nothing rather than throwing.
 */
export function matchPackage(db: AdvisoryIndex, query: PackageQuery, opts: MatchOptions = {}): AdvisoryHit[] {
  const scheme = VERSION_SCHEMES[query.ecosystem];
  const version = query.version.trim();
  if (!scheme.valid(version)) return [];
  const canonical = scheme.canonical(version);
  const names = new Set([normalizeName(query.ecosystem, query.name)]);
  if (query.sourceName) names.add(normalizeName(query.ecosystem, query.sourceName));
  const hits = new Map<string, AdvisoryHit>();
  for (const name of names) {
    for (const { advisory, affected } of db.byPackage.get(`${query.ecosystem}:${name}`) ?? []) {
      if (hits.has(advisory.id)) continue;
      if (
        query.debianRelease &&
        /^Debian:/.test(affected.osvEcosystem) &&
        affected.osvEcosystem !== `Debian:${query.debianRelease}`
      )
        continue;
      if (!isAffected(scheme, version, affected, canonical)) continue;
      const rated = maxSeverity(advisory.severity, affected.severity);
      hits.set(advisory.id, {
        id: advisory.id,
        aliases: advisory.aliases,
        ...(advisory.summary ? { summary: advisory.summary } : {}),
        severity: rated ?? opts.defaultSeverity ?? 'MODERATE',
        severityAssumed: rated === undefined,
        ...(advisory.cvssScore !== undefined ? { cvssScore: advisory.cvssScore } : {}),
        ...(advisory.url ? { url: advisory.url } : {}),
        fixed: fixedVersions(scheme, affected),
      });
    }
  }
  const rank = { CRITICAL: 4, HIGH: 3, MODERATE: 2, LOW: 1 } as const;
  return [...hits.values()].sort((a, b) => rank[b.severity] - rank[a.severity] || (a.id < b.id ? -1 : 1));
}
