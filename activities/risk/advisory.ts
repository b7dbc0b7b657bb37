import type { Ecosystem } from '../../models/label';
import type { Severity } from './severity';

/**
 * One advisory, compiled from an OSV record down to what matching and reports need. Stable and
 * versioned with the advisory database format (`praxi.advisories/v1`): reports and alarms carry these
 * fields, so rename nothing without bumping the format.
 */
export interface Advisory {
  id: string;
  aliases: string[];
  summary?: string;
  published?: string;
  modified?: string;
  /** The highest rating among the advisory's CVSS vectors and its databases' own ratings; absent when none says. */
  severity?: Severity;
  /** CVSS base score, when a vector was scored. */
  cvssScore?: number;
  /** A page about the advisory (its ADVISORY reference, else its first one). */
  url?: string;
  affected: AffectedPackage[];
}

export type RangeEvent =
  { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface VersionRange {
  /** GIT ranges name commits, which no finding has, so they are dropped at import. */
  type: 'ECOSYSTEM' | 'SEMVER';
  events: RangeEvent[];
}

export interface AffectedPackage {
  ecosystem: Ecosystem;
  /** As OSV spells it: `PyPI`, `npm`, `Debian:12`. */
  osvEcosystem: string;
  /** Normalized with models/label.ts normalizeName, so lookups meet findings. */
  name: string;
  ranges: VersionRange[];
  /** Explicitly affected versions (OSV `versions`), canonical spellings. */
  versions: string[];
  /** A rating given for this package only (`ecosystem_specific`/`database_specific` severity). */
  severity?: Severity;
}

/** One advisory that applies to one package version. */
export interface AdvisoryHit {
  id: string;
  aliases: string[];
  summary?: string;
  severity: Severity;
  /** True when no source rated the advisory and the configured default stands in. */
  severityAssumed: boolean;
  cvssScore?: number;
  url?: string;
  /** Versions that fix it, lowest first; empty when none is known. */
  fixed: string[];
}
