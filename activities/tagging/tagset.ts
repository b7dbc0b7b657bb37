/** A bag of path tokens with counts: the model's input for one layer or one training sample. */
export interface TokenizerId {
  name: string;
  version: string;
}

export interface Tagset {
  schema: 'praxi.tagset/v1';
  tokenizer: TokenizerId;
  tags: Record<string, number>;
  /** Training data only: the labels (see models/label.ts) of what this sample installed. */
  labels?: string[];
  /**
   * Training data only: what the install also put in the layer (its dependencies), as labels. Their files
   * are there, so they are neither positives to learn nor negatives to unlearn, and finding them is not
   * a false positive.
   */
  also?: string[];
}
