import { parseLabel, packageOf, type Ecosystem } from './label';
import { logit, sigmoid } from './xgboost/trees';

/** One booster's output for one layer, before merging. */
export interface RawScore {
  expert: string;
  /** A label, or a package key for a package-level booster. */
  label: string;
  level: 'version' | 'package';
  margin: number;
}

/**
 * The scores merging can use, for callers that ship scores between processes and want to keep few: those
 * above their threshold, and every version score of a package whose package booster passed in the same
 * expert (merging may name the best of them). Merging these gives the same findings as merging all.
 */
export function mergeCandidates(raw: RawScore[], calibration: Calibration): RawScore[] {
  const passes = (r: RawScore) => calibratedScore(r.margin, thresholdOf(calibration, r.label)) >= 0.5;
  const packagesOn = new Set(
    raw.filter((r) => r.level === 'package' && passes(r)).map((r) => `${r.expert}\n${r.label}`),
  );
  return raw.filter(
    (r) => passes(r) || (r.level === 'version' && packagesOn.has(`${r.expert}\n${packageOf(r.label)}`)),
  );
}

/** A finding after calibration and arbitration. `score` is calibrated: 0.5 is the label's own threshold. */
export interface Prediction {
  label: string;
  ecosystem: Ecosystem;
  name: string;
  version: string;
  score: number;
  expert: string;
  /**
   * The layer shows the package but not which version: no version's own evidence passed (records
   * deleted), or the versions in `alternatives` leave exactly the same files. The version named is the
   * best guess; `alternatives` are the others the evidence cannot rule out.
   */
  versionUncertain?: true;
  alternatives?: string[];
}

export interface Calibration {
  /** Per label, the probability at which it is reported (default 0.5 for labels never calibrated). */
  thresholds: Record<string, number>;
  /** A second version of one package is kept only when this share of its signature tags is present. */
  extraVersionCoverage: number;
  /** Report the best version of a package whose package booster passes when no version does (default true). */
  packageFallback?: boolean;
  /**
   * Report a version only when its package's booster passes too (default false, as models published
   * before it existed were tuned without it). Package boosters learn from every version's samples, so
   * they are the sturdier witness that the package is there at all; a version booster firing alone is
   * most often a few generic tags (`compat.py`, `platform`) of a foreign layer.
   */
  requirePackage?: boolean;
  /**
   * Name a package only when at least this share of its core tags (the package booster's signature: what
   * most of its training layers carry) is in the layer (default none). Boosters of depth-1 trees add up
   * small votes, and a foreign layer can collect enough of them from generic tags alone.
   */
  minPackageCoverage?: number;
  /**
   * Per ecosystem, a share that replaces `minPackageCoverage`. Installs differ in how much of a package's
   * core tags one layer shows: a Debian package installed alone (`dpkg -i`) lacks the dependencies' files
   * that its other installs carry, while a PyPI wheel always lays down the same files.
   */
  packageCoverage?: Partial<Record<Ecosystem, number>>;
  /** Floor for every version booster's threshold (default none: the calibrated one). */
  minThreshold?: number;
  /** Floor for package boosters' thresholds (default none). */
  minPackageThreshold?: number;
}

export const DEFAULT_THRESHOLD = 0.5;

/** The probability at which a label (or package) is reported. */
export function thresholdOf(c: Calibration, label: string): number {
  const floor = label.includes('==') ? c.minThreshold : c.minPackageThreshold;
  return Math.max(floor ?? 0, c.thresholds[label] ?? DEFAULT_THRESHOLD);
}
/** The share of a package's core tags a layer must show before the package is named (`pypi:rich`). */
export function packageCoverageOf(c: Calibration, pkg: string): number | undefined {
  return c.packageCoverage?.[pkg.slice(0, pkg.indexOf(':')) as Ecosystem] ?? c.minPackageCoverage;
}

/** Calibrated thresholds stay within these bounds: a few held-out samples must not push a label to extremes. */
const MIN_THRESHOLD = 0.1;
const MAX_THRESHOLD = 0.9;

/**
 * Scores of different experts become comparable by shifting each label's margin by its threshold's logit:
 * every label then reports at 0.5, and higher means more margin above its own calibrated boundary.
 */
export function calibratedScore(margin: number, threshold: number): number {
  return sigmoid(margin - logit(threshold));
}

/**
 * The threshold that maximizes this label's F1 on held-out margins, placed in the middle of the gap between
 * the scores it separates (not on a sample's score, which would overfit the split), then bounded.
 * Positives the selector never sent to the expert count as misses at any threshold.
 */
export function fitThreshold(positives: number[], negatives: number[]): number | undefined {
  if (positives.length === 0) return undefined;
  const pts = [...positives.map((m) => ({ m, pos: 1 })), ...negatives.map((m) => ({ m, pos: 0 }))].filter(
    (p) => Number.isFinite(p.m),
  );
  pts.sort((a, b) => b.m - a.m);
  const P = positives.length;
  let tp = 0;
  let fp = 0;
  let best = { f1: -1, cut: 0 };
  for (let i = 0; i < pts.length; i++) {
    if (pts[i].pos) tp++;
    else fp++;
    if (i + 1 < pts.length && pts[i + 1].m === pts[i].m) continue;
    const f1 = (2 * tp) / (2 * tp + fp + (P - tp));
    const next = i + 1 < pts.length ? pts[i + 1].m : pts[i].m - 2;
    const cut = (pts[i].m + next) / 2;
    if (f1 > best.f1) best = { f1, cut };
  }
  if (best.f1 <= 0) return undefined;
  return Math.min(MAX_THRESHOLD, Math.max(MIN_THRESHOLD, sigmoid(best.cut)));
}

/**
 * Arbitration, per package:
 * - a version above its threshold is reported; among several, the best-supported one (highest calibrated
 *   score), and a further one only when its own signature tags (seen in its training data, never in the
 *   other versions') are present: two versions in one layer happen (nested node_modules), but far less
 *   often than near-identical versions being confused;
 * - when no version passes but the package booster does (the files every version shares are there, the
 *   version evidence is not: metadata deleted), the version with the highest score is reported, with the
 *   package's score.
 */
export function mergeScores(
  raw: RawScore[],
  calibration: Calibration,
  signatureCoverage: (label: string) => number | undefined,
): Prediction[] {
  type Cand = { label: string; score: number; expert: string };
  const versions = new Map<string, Map<string, Cand>>();
  const packages = new Map<string, Cand>();
  for (const r of raw) {
    const score = calibratedScore(r.margin, thresholdOf(calibration, r.label));
    const c = { label: r.label, score, expert: r.expert };
    if (r.level === 'package') {
      // The same package may have boosters in several experts (nover routing): the best one speaks.
      if ((packages.get(r.label)?.score ?? -1) < score) packages.set(r.label, c);
      continue;
    }
    const p = packageOf(r.label);
    let m = versions.get(p);
    if (!m) versions.set(p, (m = new Map()));
    if ((m.get(r.label)?.score ?? -1) < score) m.set(r.label, c);
  }
  const out: Prediction[] = [];
  const emit = (c: Cand, score: number, others?: Cand[]) =>
    out.push({
      label: c.label,
      ...parseLabel(c.label),
      score,
      expert: c.expert,
      ...(others
        ? { versionUncertain: true as const, alternatives: others.map((o) => parseLabel(o.label).version) }
        : {}),
    });
  for (const [p, m] of versions) {
    const ranked = [...m.values()].sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : 1));
    const pkg = packages.get(p);
    if (calibration.requirePackage && !(pkg && pkg.score >= 0.5)) continue;
    const minCoverage = packageCoverageOf(calibration, p);
    if (minCoverage && (signatureCoverage(p) ?? 1) < minCoverage) continue;
    const passing = ranked.filter((c) => c.score >= 0.5);
    if (passing.length === 0) {
      if ((calibration.packageFallback ?? true) && pkg && pkg.score >= 0.5 && ranked.length)
        emit(ranked[0], pkg.score, ranked.slice(1, 4));
      continue;
    }
    passing.forEach((c, i) => {
      if (i === 0 || (signatureCoverage(c.label) ?? 0) >= calibration.extraVersionCoverage) emit(c, c.score);
    });
  }
  return out.sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : 1));
}
