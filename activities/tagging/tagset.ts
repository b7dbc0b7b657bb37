/** A bag of path tokens with counts: the model's input for one layer or one training sample. */
export interface TokenizerId {
  name: string;
  version: string;
}

export interface Tagset {
  schema: 'praxi.tagset/v1';
  tokenizer: TokenizerId;
  tags: Record<string, number>;
  /**
   * How many distinct tags `tags` holds, when the maker knew it. Inference uses it only to choose how to
   * intersect the layer with a model's vocabulary (models/layer-tags.ts): a missing or wrong count costs
   * time on a huge layer, never a different finding.
   */
  tagCount?: number;
  /** Training data only: the labels (see models/label.ts) of what this sample installed. */
  labels?: string[];
  /**
   * Training data only: what the install also put in the layer (its dependencies), as labels. Their files
   * are there, so they are neither positives to learn nor negatives to unlearn, and finding them is not
   * a false positive.
   */
  also?: string[];
  /**
   * Size signatures of the npm package directories in the layer, by package (`npm:NAME`): see
   * size-signatures.ts. Scans always set it (`{}` when there are none); training data has it where the
   * collector could read sizes.
   */
  sizeSignatures?: Record<string, string[]>;
  /**
   * The versions the layer's npm `package.json` files declare, by package (`npm:NAME`): see
   * declared-versions.ts. Scans set it (`{}` when the layer has none); training data has it where the
   * collector knew them. Absent or empty when the records were deleted.
   */
  declaredVersions?: Record<string, string[]>;
}

/** Sets one tag. A path part may be called anything, `__proto__` included: it must become a key, never the prototype. */
export function setTag(tags: Record<string, number>, tag: string, n: number): void {
  if (tag === '__proto__')
    Object.defineProperty(tags, tag, { value: n, enumerable: true, writable: true, configurable: true });
  else tags[tag] = n;
}
