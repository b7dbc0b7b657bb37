import { type Ecosystem, normalizeName } from '../../models/label';
import type { PackageRecord } from '../records/package-record';

/**
 * One package found in one layer, with the evidence it rests on: the model's prediction (`ml`), a
 * package-manager record (`metadata`), or both agreeing. Part of the report format `praxi.report/v1`.
 */
export type Evidence = 'ml' | 'metadata' | 'both';

export interface Finding {
  ecosystem: Ecosystem;
  /** Normalized as labels are (models/label.ts normalizeName). */
  name: string;
  version: string;
  /** The model's probability for `ml`; 1.0 when a record says so (`metadata`, `both`). */
  score: number;
  evidence: Evidence;
  /** The expert that predicted it, for `ml` and `both`. */
  expert?: string;
  /** Record files that list it, for `metadata` and `both`. */
  locations?: string[];
  /** The model's own probability, kept when a record settled the answer (`both`). */
  mlScore?: number;
  /**
   * Versions the model predicted for this package that the record contradicts; for an `ml` finding with
   * `versionUncertain`, the other versions its evidence cannot rule out (score 0: not scored).
   */
  alternatives?: Array<{ version: string; score: number; expert?: string }>;
  /** `ml` only: the package is there but its files do not show which version (records deleted, or versions that ship the same files). */
  versionUncertain?: true;
  /** Debian: the source package named by the record (advisories use source names). */
  sourceName?: string;
}

/** What the model says about one layer: a label's package and version with its probability. */
export interface MlFinding {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  score: number;
  expert?: string;
  versionUncertain?: true;
  alternatives?: Array<{ version: string; score: number }>;
}

const key = (ecosystem: string, name: string) => `${ecosystem}:${name}`;

/** For a finding whose version is a guess, the other versions it may be; undefined when the version is known. */
export function uncertainVersions(
  f: Pick<Finding, 'versionUncertain' | 'alternatives'>,
): string[] | undefined {
  return f.versionUncertain ? (f.alternatives ?? []).map((a) => a.version) : undefined;
}

/**
 * Combines the model's findings for a layer with the package records read from the same layer.
 * Records are exact, so a record always yields a finding with score 1.0; where the model predicted the
 * same version the evidence is `both`; where it predicted another version of the same package the
 * record wins and the model's version is kept as an alternative. Packages with no record (built from
 * source, records deleted) keep the model's finding, evidence `ml`.
 */
export function mergeEvidence(
  mlFindings: readonly MlFinding[],
  records: readonly PackageRecord[],
): Finding[] {
  const recordsByPackage = new Map<string, Map<string, PackageRecord[]>>();
  for (const r of records) {
    const name = normalizeName(r.ecosystem, r.name);
    const k = key(r.ecosystem, name);
    let versions = recordsByPackage.get(k);
    if (!versions) recordsByPackage.set(k, (versions = new Map()));
    const list = versions.get(r.version) ?? [];
    list.push(r);
    versions.set(r.version, list);
  }
  const mlByPackage = new Map<string, MlFinding[]>();
  for (const f of mlFindings) {
    const k = key(f.ecosystem, normalizeName(f.ecosystem, f.name));
    const list = mlByPackage.get(k) ?? [];
    list.push(f);
    mlByPackage.set(k, list);
  }

  const out: Finding[] = [];
  for (const [k, versions] of recordsByPackage) {
    const predictions = mlByPackage.get(k) ?? [];
    const recorded = new Set(versions.keys());
    const alternatives = predictions
      .filter((p) => !recorded.has(p.version))
      .sort((a, b) => b.score - a.score)
      .map((p) => ({ version: p.version, score: p.score, ...(p.expert ? { expert: p.expert } : {}) }));
    for (const [version, recs] of versions) {
      const agree = predictions.filter((p) => p.version === version).sort((a, b) => b.score - a.score)[0];
      const first = recs[0];
      const sourceName = recs.find((r) => r.sourceName)?.sourceName;
      out.push({
        ecosystem: first.ecosystem,
        name: normalizeName(first.ecosystem, first.name),
        version,
        score: 1,
        evidence: agree ? 'both' : 'metadata',
        ...(agree?.expert ? { expert: agree.expert } : {}),
        locations: [...new Set(recs.map((r) => r.path))].sort(),
        ...(agree ? { mlScore: agree.score } : {}),
        ...(alternatives.length ? { alternatives } : {}),
        ...(sourceName ? { sourceName } : {}),
      });
    }
  }
  for (const [k, predictions] of mlByPackage) {
    if (recordsByPackage.has(k)) continue;
    // Two experts may predict the same label: keep the more confident.
    const best = new Map<string, MlFinding>();
    for (const p of predictions) if ((best.get(p.version)?.score ?? -1) < p.score) best.set(p.version, p);
    for (const p of best.values()) {
      out.push({
        ecosystem: p.ecosystem,
        name: normalizeName(p.ecosystem, p.name),
        version: p.version,
        score: p.score,
        evidence: 'ml',
        ...(p.expert ? { expert: p.expert } : {}),
        ...(p.versionUncertain
          ? { versionUncertain: true as const, alternatives: p.alternatives ?? [] }
          : {}),
      });
    }
  }
  return out.sort(compareFindings);
}

export function compareFindings(a: Finding, b: Finding): number {
  if (a.ecosystem !== b.ecosystem) return a.ecosystem < b.ecosystem ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}
