import type { LoadedExpert } from './expert';
import { type LayerTags, sharedTags } from './layer-tags';

/**
 * The inverted index from tag to the experts whose trees split on it — more precisely, on it as positive
 * evidence (see LoadedExpert.evidenceTags). A layer is scored only by experts it shares such a tag with:
 * without one, an expert's score cannot exceed its all-missing score, which training drove towards
 * "absent" (every expert sees base-image layers as negatives); experts for which that is not so are
 * always scored. Built when a model version loads: a pure function of its experts and thresholds.
 */
export class Selector {
  private readonly index = new Map<string, Int32Array>();
  /** Experts that would report something even on an empty layer: always scored (should be none). */
  readonly alwaysOn: number[] = [];

  /** `threshold(label)` is the probability at which a label is reported. */
  constructor(experts: readonly LoadedExpert[], threshold: (label: string) => number) {
    const lists = new Map<string, number[]>();
    experts.forEach((e, i) => {
      const empty = e.emptyProbabilities();
      if (e.boosters.some((b, k) => empty[k] >= threshold(b.label))) this.alwaysOn.push(i);
      for (const t of e.evidenceTags) {
        const l = lists.get(t);
        if (l) l.push(i);
        else lists.set(t, [i]);
      }
    });
    for (const [t, l] of lists) this.index.set(t, Int32Array.from(l));
  }

  get tags(): number {
    return this.index.size;
  }

  /** Indexes of the selected experts, ascending. */
  select(layer: LayerTags): number[] {
    const hit = new Set<number>(this.alwaysOn);
    for (const t of sharedTags(layer, this.index))
      for (const i of this.index.get(t) as Int32Array) hit.add(i);
    return [...hit].sort((a, b) => a - b);
  }
}
