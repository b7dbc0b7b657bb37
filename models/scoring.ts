import type { LoadedExpert } from './expert';
import { type LayerTags, sharedTags } from './layer-tags';

/**
 * The inference engine for many experts at once. Depth-1 trees over presence features make each
 * booster's margin `empty + Σ delta[tag]` over the layer's tags, so all boosters of a model fold into one
 * sparse tag → (booster, delta) index and a layer costs one pass over its own tags, however many experts
 * the model has. Boosters that do not fit the form (deeper trees, count encoding) are evaluated as trees.
 */
export class ScoringEngine {
  /** Per expert (model order): its boosters' global ids, or undefined when evaluated as trees. */
  private readonly boosterIds: (Int32Array | undefined)[] = [];
  private readonly empty: Float64Array;
  private readonly postings = new Map<string, { ids: Int32Array; delta: Float64Array }>();
  private readonly acc: Float64Array;
  /** Per global booster id, the index of its expert. */
  private readonly expertOf: Int32Array;
  /** Every expert folds into the index (no tree evaluation): see {@link ScoringEngine.touched}. */
  readonly linear: boolean;

  constructor(private readonly experts: readonly LoadedExpert[]) {
    const empty: number[] = [];
    const lists = new Map<string, { ids: number[]; delta: number[] }>();
    for (const e of experts) {
      const lin = e.encoding === 'presence' ? e.boosters.map((b) => b.trees.linearized()) : [];
      if (lin.length !== e.boosters.length || lin.some((x) => x === undefined)) {
        this.boosterIds.push(undefined);
        continue;
      }
      const ids = new Int32Array(e.boosters.length);
      e.boosters.forEach((b, k) => {
        const { empty: e0, delta } = lin[k] as { empty: number; delta: Float64Array };
        const g = empty.length;
        ids[k] = g;
        empty.push(e0);
        b.tags.forEach((tag, f) => {
          if (delta[f] === 0) return;
          let p = lists.get(tag);
          if (!p) lists.set(tag, (p = { ids: [], delta: [] }));
          p.ids.push(g);
          p.delta.push(delta[f]);
        });
      });
      this.boosterIds.push(ids);
    }
    this.empty = Float64Array.from(empty);
    this.acc = new Float64Array(empty.length);
    this.expertOf = new Int32Array(empty.length);
    this.boosterIds.forEach((ids, i) => ids?.forEach((g) => (this.expertOf[g] = i)));
    this.linear = this.boosterIds.every((ids) => ids !== undefined);
    for (const [t, p] of lists)
      this.postings.set(t, { ids: Int32Array.from(p.ids), delta: Float64Array.from(p.delta) });
  }

  /**
   * For a model whose experts are all linear: the experts (ascending model index) that some tag of the
   * layer moves, with their boosters' margins, plus `also`. One pass over the layer's tags, where selecting
   * experts first and then scoring them takes two: on a layer of 100k tags those passes are most of the
   * time. An expert no tag moves scores its empty-layer margin.
   */
  touched(layer: LayerTags, also: readonly number[] = []): { experts: number[]; margins: number[][] } {
    if (!this.linear) throw new Error('touched() needs every expert linear');
    const touched = this.accumulate(layer);
    const experts = new Set<number>(also);
    for (const g of touched) experts.add(this.expertOf[g]);
    const sorted = [...experts].sort((a, b) => a - b);
    const margins = sorted.map((i) =>
      Array.from(this.boosterIds[i] as Int32Array, (g) => this.empty[g] + this.acc[g]),
    );
    for (const g of touched) this.acc[g] = 0;
    return { experts: sorted, margins };
  }

  /** Adds each tag's deltas into `acc`; returns the boosters touched (the caller zeroes them). */
  private accumulate(layer: LayerTags): number[] {
    const touched: number[] = [];
    const acc = this.acc;
    for (const t of sharedTags(layer, this.postings)) {
      const p = this.postings.get(t) as { ids: Int32Array; delta: Float64Array };
      for (let k = 0; k < p.ids.length; k++) {
        const g = p.ids[k];
        if (acc[g] === 0) touched.push(g);
        acc[g] += p.delta[k];
      }
    }
    return touched;
  }

  /** Margins of every booster of the given experts (by model index), in expert then booster order. */
  margins(layer: LayerTags, experts: readonly number[]): number[][] {
    const touched = this.accumulate(layer);
    const acc = this.acc;
    let lookup: Map<string, number> | undefined;
    const out = experts.map((i) => {
      const ids = this.boosterIds[i];
      if (!ids) {
        lookup ??= new Map(Object.entries(layer.tags));
        return this.experts[i].margins(lookup);
      }
      return Array.from(ids, (g) => this.empty[g] + acc[g]);
    });
    for (const g of touched) acc[g] = 0;
    return out;
  }
}
