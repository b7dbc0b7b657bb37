import { createHash } from 'node:crypto';
import { PraxiError } from '../activities/errors';
import type { FeatureEncoding } from './vectorize';
import { CompiledEnsemble, type TreeEnsemble } from './xgboost/trees';

/**
 * One expert: a group of labels, one XGBoost booster per label over the expert's own vocabulary.
 * The artifact is what the registry stores, content-addressed by the SHA-256 of its canonical JSON, so an
 * unchanged expert keeps its digest across model versions.
 */
export interface BoosterArtifact {
  /** A label (`pypi:rich==13.7.1`) for a version booster, a package key (`pypi:rich`) for a package one. */
  label: string;
  /**
   * Version boosters tell versions apart; the package booster says whether any version is there. The
   * latter learns the files all versions share, so it still fires when version evidence (a `dist-info`
   * directory) is missing, and merging then names the best-supported version.
   */
  level: 'version' | 'package';
  /** The tags this booster's trees split on; tree features index this list. */
  tags: string[];
  /** Trees as base64 typed arrays (see packEnsemble): compact and lossless. */
  trees: PackedEnsemble;
  /** Tags seen in most of this label's training samples and in none of its other versions' samples. */
  signature: string[];
}

export interface ExpertArtifact {
  schema: 'praxi.expert/v1';
  kind: 'xgboost';
  labels: string[];
  /** All tags of the expert's training data it was trained over. */
  vocabulary: string[];
  encoding: FeatureEncoding;
  params: Record<string, number | string>;
  boosters: BoosterArtifact[];
  training: { positives: number; negatives: number; ms: number };
}

export interface PackedEnsemble {
  baseMargin: number;
  roots: string;
  left: string;
  right: string;
  split: string;
  value: string;
  defaultLeft: string;
}

const b64 = (a: ArrayBufferView): string =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function unb64<T>(s: string, make: (buf: ArrayBuffer) => T): T {
  const b = Buffer.from(s, 'base64');
  // Copy into a fresh, aligned buffer: typed arrays need their byte offset aligned to their element size.
  return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

export function packEnsemble(e: TreeEnsemble): PackedEnsemble {
  return {
    baseMargin: e.baseMargin,
    roots: b64(Int32Array.from(e.roots)),
    left: b64(Int32Array.from(e.left)),
    right: b64(Int32Array.from(e.right)),
    split: b64(Int32Array.from(e.split)),
    value: b64(Float32Array.from(e.value)),
    defaultLeft: b64(Uint8Array.from(e.defaultLeft)),
  };
}

/** Typed-array form straight from the artifact: what loading a model uses (no intermediate arrays). */
export function unpackArrays(p: PackedEnsemble, features: ArrayLike<number>) {
  return {
    baseMargin: p.baseMargin,
    features,
    roots: unb64(p.roots, (b) => new Int32Array(b)),
    left: unb64(p.left, (b) => new Int32Array(b)),
    right: unb64(p.right, (b) => new Int32Array(b)),
    split: unb64(p.split, (b) => new Int32Array(b)),
    value: unb64(p.value, (b) => new Float32Array(b)),
    defaultLeft: unb64(p.defaultLeft, (b) => new Uint8Array(b)),
  };
}

export function unpackEnsemble(p: PackedEnsemble, features: number[]): TreeEnsemble {
  const arr = <T extends ArrayLike<number>>(s: string, make: (b: ArrayBuffer) => T) =>
    Array.from(unb64(s, make));
  return {
    baseMargin: p.baseMargin,
    features,
    roots: arr(p.roots, (b) => new Int32Array(b)),
    left: arr(p.left, (b) => new Int32Array(b)),
    right: arr(p.right, (b) => new Int32Array(b)),
    split: arr(p.split, (b) => new Int32Array(b)),
    value: arr(p.value, (b) => new Float32Array(b)),
    defaultLeft: arr(p.defaultLeft, (b) => new Uint8Array(b)),
  };
}

/** Canonical bytes of an artifact: keys in insertion order as built by training, no whitespace. */
export function encodeExpert(a: ExpertArtifact): Buffer {
  return Buffer.from(JSON.stringify(a));
}

export function digestOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function decodeExpert(bytes: Buffer, where: string): ExpertArtifact {
  let a: ExpertArtifact;
  try {
    a = JSON.parse(bytes.toString('utf8')) as ExpertArtifact;
  } catch (e) {
    throw new PraxiError('MODEL_ERROR', `expert artifact ${where} is not JSON`, { cause: e });
  }
  if (a?.schema !== 'praxi.expert/v1' || !Array.isArray(a.boosters))
    throw new PraxiError('MODEL_ERROR', `expert artifact ${where} is not a praxi.expert/v1 document`);
  return a;
}

/** An expert ready to score: per booster, the compiled trees and the tags they read. */
export class LoadedExpert {
  readonly labels: string[];
  /** Union of the tags its boosters split on: the selector's keys for this expert. */
  readonly splitTags: string[];
  readonly boosters: {
    label: string;
    level: 'version' | 'package';
    tags: string[];
    trees: CompiledEnsemble;
    signature: string[];
  }[];
  readonly encoding: FeatureEncoding;

  constructor(
    readonly id: string,
    a: ExpertArtifact,
  ) {
    this.labels = a.labels;
    this.encoding = a.encoding;
    this.boosters = a.boosters.map((b) => ({
      label: b.label,
      level: b.level,
      tags: b.tags,
      signature: b.signature,
      trees: new CompiledEnsemble(
        unpackArrays(
          b.trees,
          Int32Array.from(b.tags, (_, i) => i),
        ),
      ),
    }));
    this.splitTags = [...new Set(a.boosters.flatMap((b) => b.tags))].sort();
    const evidence = new Set<string>();
    for (const b of this.boosters) {
      const pos = b.trees.positiveEvidence(this.encoding);
      if (pos === undefined) b.tags.forEach((t) => evidence.add(t));
      else pos.forEach((i) => evidence.add(b.tags[i]));
    }
    this.evidenceTags = [...evidence].sort();
  }

  /**
   * The tags whose presence can raise some booster's score. For depth-1 trees (the default) the margin is a
   * sum of per-tag terms, so a layer with none of these tags scores at most the all-missing margin; deeper
   * trees fall back to every split tag.
   */
  readonly evidenceTags: string[];

  /** Per booster, the probability of a layer with none of the expert's tags. */
  emptyProbabilities(): number[] {
    return this.boosters.map((b) => b.trees.probability(new Float64Array(b.tags.length).fill(NaN)));
  }

  /** Margins of every booster for one layer's tags (a Map: a tag may be called `constructor`). */
  margins(tags: ReadonlyMap<string, number>): number[] {
    return this.boosters.map((b) => {
      const x = new Float64Array(b.tags.length);
      for (let i = 0; i < b.tags.length; i++) {
        const n = tags.get(b.tags[i]);
        x[i] = n === undefined ? NaN : this.encoding === 'presence' ? 1 : n;
      }
      return b.trees.margin(x);
    });
  }
}
