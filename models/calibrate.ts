import type { Tagset } from '../activities/tagging/tagset';
import { type Ecosystem, packageOf, parseLabel, presentLabels, withoutAlongside } from './label';
import { type Calibration, fitThreshold, mergeCandidates } from './merge';
import type { Model } from './model';
import { yielder } from './yield';

/**
 * Per-label (and per-package, for package boosters) thresholds fitted on held-out samples (never the training samples: boosters are overconfident
 * on what they have seen). Only labels in `labels` are fitted; a label without held-out positives keeps
 * the default.
 */
export async function calibrateThresholds(
  model: Model,
  validation: readonly Tagset[],
  labels: ReadonlySet<string>,
): Promise<Record<string, number>> {
  const pause = yielder();
  const pos = new Map<string, number[]>();
  const neg = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, l: string, v: number) => {
    const a = m.get(l);
    if (a) a.push(v);
    else m.set(l, [v]);
  };
  for (const s of validation) {
    await pause();
    // Package boosters are keyed by package (`pypi:rich`), version boosters by label: one set holds both.
    // Dependencies the install brought along are in the layer too: a booster firing on them is right.
    const present = presentLabels(s);
    const truth = new Set([...present, ...present.map(packageOf)]);
    const scored = new Set<string>();
    for (const r of model.predictExperts(s, model.select(s))) {
      if (!labels.has(r.label)) continue;
      scored.add(r.label);
      push(truth.has(r.label) ? pos : neg, r.label, r.margin);
    }
    for (const l of [...(s.labels ?? []), ...(s.labels ?? []).map(packageOf)])
      if (labels.has(l) && !scored.has(l)) push(pos, l, -Infinity);
  }
  const out: Record<string, number> = {};
  for (const l of [...labels].sort()) {
    const t = fitThreshold(pos.get(l) ?? [], neg.get(l) ?? []);
    if (t !== undefined) out[l] = t;
  }
  return out;
}

const VERSION_FLOORS = [0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85];
const PACKAGE_FLOORS = [0, 0.8, 0.88, 0.9, 0.92, 0.94];
const PACKAGE_COVERAGE = [0, 0.25, 0.5, 0.75];

export interface MergeSettings {
  minThreshold: number;
  minPackageThreshold: number;
  requirePackage: boolean;
  minPackageCoverage: number;
  /** Per ecosystem, where a share other than `minPackageCoverage` measured better. */
  packageCoverage: Partial<Record<Ecosystem, number>>;
}

/** A calibration with these merge settings in place of any it had (an old per-ecosystem share included). */
export function withMergeSettings(c: Calibration, m: MergeSettings): Calibration {
  const { packageCoverage: _previous, ...rest } = c;
  return {
    ...rest,
    minThreshold: m.minThreshold,
    minPackageThreshold: m.minPackageThreshold,
    requirePackage: m.requirePackage,
    minPackageCoverage: m.minPackageCoverage,
    ...(Object.keys(m.packageCoverage).length ? { packageCoverage: m.packageCoverage } : {}),
  };
}

/**
 * The merge settings, picked on held-out samples: floors under the per-label thresholds (per-label fits
 * see only the few held-out layers their expert was selected for, so across thousands of experts they
 * under-estimate how many foreign layers each will meet) and the two package gates. Maximizes
 * version-level plus package-level micro-F1 among settings that keep base-image layers at ≤
 * `maxBaseFindings` findings on average (when there are any). Coordinate search (floors, gates, floors
 * again): the full grid is 336 settings, each a merge of every held-out layer.
 */
export async function tuneFloors(
  model: Model,
  validation: readonly Tagset[],
  maxBaseFindings = 1,
): Promise<MergeSettings & { score: number }> {
  const pause = yielder();
  // Floors only raise thresholds, so what merging can use without any floor is all it can use under every
  // setting tried: keeping just that makes each of the ~90 merges of every held-out layer far cheaper.
  const unfloored = { ...model.manifest.calibration, minThreshold: 0, minPackageThreshold: 0 };
  const scored: { s: Tagset; raw: ReturnType<Model['predictExperts']> }[] = [];
  for (const s of validation) {
    scored.push({ s, raw: mergeCandidates(model.predictExperts(s, model.select(s)), unfloored) });
    await pause();
  }
  const score = async (m: MergeSettings): Promise<number> => {
    const calibration = { ...model.manifest.calibration, ...m };
    let vt = 0;
    let vp = 0;
    let vg = 0;
    let pt = 0;
    let pp = 0;
    let pg = 0;
    let baseFindings = 0;
    let baseLayers = 0;
    for (const { s, raw } of scored) {
      await pause();
      const truth = new Set(s.labels ?? []);
      const predicted = withoutAlongside(
        model.merge(raw, s, calibration).map((p) => p.label),
        s,
      );
      if (truth.size === 0) {
        baseLayers++;
        baseFindings += predicted.length;
        continue;
      }
      vp += predicted.length;
      vg += truth.size;
      for (const p of predicted) if (truth.has(p)) vt++;
      const tp = new Set([...truth].map(packageOf));
      const ppk = new Set(predicted.map(packageOf));
      pp += ppk.size;
      pg += tp.size;
      for (const p of ppk) if (tp.has(p)) pt++;
    }
    if (baseLayers && baseFindings / baseLayers > maxBaseFindings) return -Infinity;
    return (2 * vt) / (vp + vg || 1) + (2 * pt) / (pp + pg || 1);
  };
  let best: MergeSettings & { score: number } = {
    minThreshold: 0,
    minPackageThreshold: 0,
    requirePackage: false,
    minPackageCoverage: 0,
    packageCoverage: {},
    score: -Infinity,
  };
  const consider = async (m: MergeSettings) => {
    const sc = await score(m);
    if (sc > best.score + 1e-9) best = { ...m, score: sc };
  };
  const floors = async () => {
    const { requirePackage, minPackageCoverage, packageCoverage } = best;
    for (const minThreshold of VERSION_FLOORS)
      for (const minPackageThreshold of PACKAGE_FLOORS)
        await consider({
          minThreshold,
          minPackageThreshold,
          requirePackage,
          minPackageCoverage,
          packageCoverage,
        });
  };
  await floors();
  const { minThreshold, minPackageThreshold } = best;
  for (const requirePackage of [false, true])
    for (const minPackageCoverage of PACKAGE_COVERAGE)
      await consider({
        minThreshold,
        minPackageThreshold,
        requirePackage,
        minPackageCoverage,
        packageCoverage: {},
      });
  // Then each ecosystem's own share, the others held.
  const ecosystems = [
    ...new Set(validation.flatMap((s) => (s.labels ?? []).map((l) => parseLabel(l).ecosystem))),
  ].sort();
  for (const e of ecosystems)
    for (const share of PACKAGE_COVERAGE)
      if (share !== best.minPackageCoverage)
        await consider({ ...best, packageCoverage: { ...best.packageCoverage, [e]: share } });
  await floors();
  return best;
}
