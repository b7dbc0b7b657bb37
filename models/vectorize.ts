import type { Tagset } from '../activities/tagging/tagset';
import { type DenseMatrix, MISSING } from './xgboost/booster';

/**
 * How a tag's count becomes a feature value. `presence` (1 when present) is robust to layers that install
 * several packages at once, where counts of shared tags grow; `count` is Praxi's raw count.
 * Absent tags are always MISSING (-1), which XGBoost treats as missing: sparse and ~17× faster to train.
 */
export type FeatureEncoding = 'presence' | 'count';

export function featureValue(count: number, encoding: FeatureEncoding): number {
  return encoding === 'presence' ? 1 : count;
}

/**
 * An expert's vocabulary: the tags of its labels' training data that are seen in at least `minSupport`
 * samples of one label. A tag seen once is almost always noise (a cache file's hash, a temp name) and only
 * teaches trees to memorize single samples.
 */
export function expertVocabulary(
  positives: Tagset[],
  labels: readonly string[],
  minSupport: number,
): string[] {
  const vocab = new Set<string>();
  for (const label of labels) {
    const own = positives.filter((s) => s.labels?.includes(label));
    const need = Math.min(minSupport, own.length);
    const seen = new Map<string, number>();
    for (const s of own) for (const t of Object.keys(s.tags)) seen.set(t, (seen.get(t) ?? 0) + 1);
    for (const [t, n] of seen) if (n >= need) vocab.add(t);
  }
  return [...vocab].sort();
}

/** Rows over a vocabulary, absent tags MISSING. */
export function vectorize(
  samples: Tagset[],
  vocabulary: readonly string[],
  encoding: FeatureEncoding,
): DenseMatrix {
  const cols = vocabulary.length;
  const index = new Map(vocabulary.map((t, i) => [t, i]));
  const data = new Float32Array(samples.length * cols).fill(MISSING);
  samples.forEach((s, r) => {
    const keys = Object.keys(s.tags);
    // Walk whichever side is smaller: base-image layers carry thousands of tags, experts a few hundred.
    if (keys.length > cols) {
      for (let c = 0; c < cols; c++) {
        if (Object.hasOwn(s.tags, vocabulary[c]))
          data[r * cols + c] = featureValue(s.tags[vocabulary[c]], encoding);
      }
    } else {
      for (const t of keys) {
        const c = index.get(t);
        if (c !== undefined) data[r * cols + c] = featureValue(s.tags[t], encoding);
      }
    }
  });
  return { rows: samples.length, cols, data };
}
