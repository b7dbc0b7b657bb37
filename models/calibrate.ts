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
