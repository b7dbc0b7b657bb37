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
}
