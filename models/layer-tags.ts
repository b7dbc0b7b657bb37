import type { Tagset } from '../activities/tagging/tagset';

/**
 * The tags a layer shares with a model's vocabulary, found from whichever side is smaller.
 *
 * Walking the layer's own tags costs a key enumeration of its tag object, and on the heaviest layers
 * (100k–250k distinct tags: torch, a desktop Debian stack) V8 enumerates such an object at about half a
 * microsecond per key, over 100 ms a layer. The vocabulary of a model's scoring index is an order of
 * magnitude smaller (some 17k tags for the shipped model), and probing the layer for each of them costs a
 * few ms whatever the layer's size. A small layer is still cheaper from its own side.
 */

/**
 * Probing the layer for one vocabulary tag costs about this many times less than enumerating one of the
 * layer's tags and looking it up. Measured on the shipped model's test split: ~0.12 µs against ~0.24 µs
 * up to 8k tags, and enumeration grows worse than linear beyond (0.5 µs per tag at 250k), so the sides
 * break even near a layer of half the vocabulary's size.
 */
const PROBE_ADVANTAGE = 2;

/** What inference reads of a layer's tags: the tags, and their number when the maker knew it. */
export type LayerTags = Pick<Tagset, 'tags' | 'tagCount'>;

/**
 * The layer's tags that are keys of `vocabulary`, each once. `tagCount` only picks the side to walk, so a
 * wrong or missing count costs time, never a different answer. The order is the walked side's, so it is
 * the same for the same layer.
 */
export function sharedTags(
  { tags, tagCount }: LayerTags,
  vocabulary: ReadonlyMap<string, unknown>,
): string[] {
  const out: string[] = [];
  if (tagCount !== undefined && tagCount * PROBE_ADVANTAGE > vocabulary.size) {
    for (const t of vocabulary.keys()) if (Object.hasOwn(tags, t)) out.push(t);
  } else {
    for (const t of Object.keys(tags)) if (vocabulary.has(t)) out.push(t);
  }
  return out;
}
