import type { ParsedBooster } from './model-format';

/**
 * A booster's trees flattened into plain arrays, evaluated natively in TypeScript. Features are renumbered
 * to index the booster's own split features only (`features`), so an expert looks up just the few tags its
 * trees test instead of building a row over its whole vocabulary. JSON-friendly: stored in expert artifacts.
 */
export interface TreeEnsemble {
  /** Margin added to the sum of leaves (XGBoost's base_score, stored as a margin). */
  baseMargin: number;
  /** Original column of each compact feature, ascending. */
  features: number[];
  /** Node offset of each tree's root in the arrays below. */
  roots: number[];
  /** Absolute node index of the children; -1 marks a leaf. */
  left: number[];
  right: number[];
  /** Compact feature index tested at an inner node. */
  split: number[];
  /** Threshold at inner nodes (left when value < threshold), leaf value at leaves. */
  value: number[];
  /** 1 when a missing value goes left. */
  defaultLeft: number[];
}

export function ensembleFromBooster(b: ParsedBooster): TreeEnsemble {
  const used = new Set<number>();
  for (const t of b.trees)
    for (let i = 0; i < t.left.length; i++) if (t.left[i] !== -1) used.add(t.feature[i]);
  const features = [...used].sort((a, c) => a - c);
  const compact = new Map(features.map((f, i) => [f, i]));
  const e: TreeEnsemble = {
    baseMargin: b.baseMargin,
    features,
    roots: [],
    left: [],
    right: [],
    split: [],
    value: [],
    defaultLeft: [],
  };
  for (const t of b.trees) {
    const off = e.left.length;
    e.roots.push(off);
    for (let i = 0; i < t.left.length; i++) {
      const leaf = t.left[i] === -1;
      e.left.push(leaf ? -1 : t.left[i] + off);
      e.right.push(leaf ? -1 : t.right[i] + off);
      e.split.push(leaf ? 0 : (compact.get(t.feature[i]) as number));
      e.value.push(t.value[i]);
      e.defaultLeft.push(t.defaultLeft[i]);
    }
  }
  return e;
}

/** Typed-array form of a TreeEnsemble for the hot path. */
export class CompiledEnsemble {
  readonly baseMargin: number;
  readonly features: Int32Array;
  private readonly roots: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly split: Int32Array;
  private readonly value: Float32Array;
  private readonly defaultLeft: Uint8Array;

  constructor(e: { [K in keyof TreeEnsemble]: TreeEnsemble[K] extends number ? number : ArrayLike<number> }) {
    this.baseMargin = Math.fround(e.baseMargin);
    this.features = Int32Array.from(e.features);
    this.roots = Int32Array.from(e.roots);
    this.left = Int32Array.from(e.left);
    this.right = Int32Array.from(e.right);
    this.split = Int32Array.from(e.split);
    this.value = Float32Array.from(e.value);
    this.defaultLeft = Uint8Array.from(e.defaultLeft);
  }

  /**
   * The margin for one row given the values of the compact features (NaN = missing), accumulated in
   * float32 in tree order exactly as XGBoost's CPU predictor does, so scores match the WASM path.
   */
  margin(x: ArrayLike<number>): number {
    const { left, right, split, value, defaultLeft } = this;
    let psum = 0;
    for (let t = 0; t < this.roots.length; t++) {
      let n = this.roots[t];
      while (left[n] !== -1) {
        const v = x[split[n]];
        if (v !== v) n = defaultLeft[n] ? left[n] : right[n];
        else n = v < value[n] ? left[n] : right[n];
      }
      psum = Math.fround(psum + value[n]);
    }
    return Math.fround(this.baseMargin + psum);
  }

  /**
   * For ensembles of stumps (every tree one split or none): the compact features whose presence moves some
   * tree to a higher leaf than missing would. With `presence` encoding a present value is exactly 1; with
   * `count` any value ≥ 1 may occur. Undefined when a tree is deeper (no such per-feature bound holds).
   */
  positiveEvidence(encoding: 'presence' | 'count'): number[] | undefined {
    const out = new Set<number>();
    for (let t = 0; t < this.roots.length; t++) {
      const n = this.roots[t];
      if (this.left[n] === -1) continue;
      const l = this.left[n];
      const r = this.right[n];
      if (this.left[l] !== -1 || this.left[r] !== -1) return undefined;
      const missing = this.defaultLeft[n] ? this.value[l] : this.value[r];
      const c = this.value[n];
      const reach = encoding === 'presence' ? [1 < c ? l : r] : c > 1 ? [l, r] : [r];
      if (reach.some((k) => this.value[k] > missing)) out.add(this.split[n]);
    }
    return [...out].sort((a, b) => a - b);
  }

  /**
   * For stump ensembles under presence encoding (a present tag's value is exactly 1), the margin is
   * `empty + Σ delta[f]` over present features f: each tree contributes its missing-branch leaf unless its
   * feature is present. Returns undefined for deeper trees. Sums in float64, so it differs from
   * XGBoost's float32 tree-order sum only by rounding (~1e-7).
   */
  linearized(): { empty: number; delta: Float64Array } | undefined {
    let empty = this.baseMargin;
    const delta = new Float64Array(this.features.length);
    for (let t = 0; t < this.roots.length; t++) {
      const n = this.roots[t];
      if (this.left[n] === -1) {
        empty += this.value[n];
        continue;
      }
      const l = this.left[n];
      const r = this.right[n];
      if (this.left[l] !== -1 || this.left[r] !== -1) return undefined;
      const missing = this.defaultLeft[n] ? this.value[l] : this.value[r];
      const present = 1 < this.value[n] ? this.value[l] : this.value[r];
      empty += missing;
      delta[this.split[n]] += present - missing;
    }
    return { empty, delta };
  }

  probability(x: ArrayLike<number>): number {
    return sigmoid(this.margin(x));
  }
}

export function sigmoid(margin: number): number {
  return Math.fround(1 / (1 + Math.exp(-margin)));
}

export function logit(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}
