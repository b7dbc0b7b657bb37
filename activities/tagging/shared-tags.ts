/**
 * Praxi-Pipeline's shared-tag filter: a tag that turns up in the training data of many labels
 * (`site-packages`, `dist-info`, `LICENSE`) tells experts little and makes them fire together. The
 * model code finds such tags once over its training set and drops them from every tagset, in
 * training and in inference alike (so the same set must travel with the model).
 */
import { setTag } from './tagset';

export interface LabelledTags {
  tags: Record<string, number>;
  labels?: readonly string[];
}

/**
 * Tags seen in the samples of at least `limit` distinct labels. `limit` 0 turns the filter off
 * (empty set); samples without labels do not count. Praxi-Pipeline used 25.
 */
export function sharedTags(samples: Iterable<LabelledTags>, limit: number): Set<string> {
  const shared = new Set<string>();
  if (limit <= 0) return shared;
  const labelsByTag = new Map<string, Set<string>>();
  for (const sample of samples) {
    if (!sample.labels || sample.labels.length === 0) continue;
    for (const tag of Object.keys(sample.tags)) {
      if (shared.has(tag)) continue;
      let labels = labelsByTag.get(tag);
      if (!labels) labelsByTag.set(tag, (labels = new Set()));
      for (const l of sample.labels) labels.add(l);
      if (labels.size >= limit) {
        shared.add(tag);
        labelsByTag.delete(tag);
      }
    }
  }
  return shared;
}

/** A copy of `tags` without the tags in `drop` (key order kept). */
export function withoutTags(tags: Record<string, number>, drop: ReadonlySet<string>): Record<string, number> {
  if (drop.size === 0) return { ...tags };
  const out: Record<string, number> = {};
  for (const [tag, n] of Object.entries(tags)) {
    if (!drop.has(tag)) setTag(out, tag, n);
  }
  return out;
}
