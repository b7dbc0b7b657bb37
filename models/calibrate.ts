import type { Tagset } from '../activities/tagging/tagset';
import { packageOf } from './label';
import { fitThreshold } from './merge';
import type { Model } from './model';

/**
 * Per-label (and per-package, for package boosters) thresholds fitted on held-out samples (never the training samples: boosters are overconfident
 * on what they have seen). Only labels in `labels` are fitted; a label without held-out positives keeps
 * the default.
 */
export function calibrateThresholds(
  model: Model,
  validation: readonly Tagset[],
  labels: ReadonlySet<string>,
): Record<string, number> {
  const pos = new Map<string, number[]>();
  const neg = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, l: string, v: number) => {
    const a = m.get(l);
    if (a) a.push(v);
    else m.set(l, [v]);
  };
  for (const s of validation) {
    // Package boosters are keyed by package (`pypi:rich`), version boosters by label: one set holds both.
    const truth = new Set([...(s.labels ?? []), ...(s.labels ?? []).map(packageOf)]);
    const scored = new Set<string>();
    for (const r of model.predictExperts(s, model.select(s))) {
      if (!labels.has(r.label)) continue;
      scored.add(r.label);
      push(truth.has(r.label) ? pos : neg, r.label, r.margin);
    }
    for (const l of truth) if (labels.has(l) && !scored.has(l)) push(pos, l, -Infinity);
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

/**
 * Floors under the per-label thresholds, picked on held-out samples: per-label fits see only the few
 * held-out layers their expert was selected for, so across thousands of experts they under-estimate how
 * many foreign layers each will meet. Maximizes version-level plus package-level micro-F1 among settings
 * that keep base-image layers at ≤ `maxBaseFindings` findings on average (when there are any).
 */
export function tuneFloors(
  model: Model,
  validation: readonly Tagset[],
  maxBaseFindings = 1,
): { minThreshold: number; minPackageThreshold: number; score: number } {
  const scored = validation.map((s) => ({ s, raw: model.predictExperts(s, model.select(s)) }));
  let best = { minThreshold: 0, minPackageThreshold: 0, score: -Infinity };
  for (const minThreshold of VERSION_FLOORS) {
    for (const minPackageThreshold of PACKAGE_FLOORS) {
      const calibration = { ...model.manifest.calibration, minThreshold, minPackageThreshold };
      let vt = 0;
      let vp = 0;
      let vg = 0;
      let pt = 0;
      let pp = 0;
      let pg = 0;
      let baseFindings = 0;
      let baseLayers = 0;
      for (const { s, raw } of scored) {
        const predicted = model.merge(raw, s, calibration).map((p) => p.label);
        const truth = new Set(s.labels ?? []);
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
      if (baseLayers && baseFindings / baseLayers > maxBaseFindings) continue;
      const score = (2 * vt) / (vp + vg || 1) + (2 * pt) / (pp + pg || 1);
      if (score > best.score + 1e-9) best = { minThreshold, minPackageThreshold, score };
    }
  }
  return best;
}
