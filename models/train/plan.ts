import type { Tagset } from '../../activities/tagging/tagset';
import { packageOf, parseLabel } from '../label';
import { makeRng, shuffle } from '../synthetic';
import { expertVocabulary, type FeatureEncoding, vectorize } from '../vectorize';
import type { BoosterParams } from '../xgboost/booster';
import type { ExpertJob } from './expert-training';

export interface PlanOptions {
  encoding: FeatureEncoding;
  params: BoosterParams;
  /** A tag must be in this many of a label's samples to enter the vocabulary. */
  minSupport: number;
  /** Negatives most similar to the expert's data (they teach it what it must not confuse itself with). */
  hardNegatives: number;
  /** Negatives drawn at random, unlabelled (base-image) layers first among them. */
  randomNegatives: number;
  /** Train also on copies of the packages' samples with their versioned metadata tags removed. */
  metadataDropout: boolean;
  seed: number;
}

/**
 * The training set of every expert, over a shared index of the samples. Positives are the samples of the
 * expert's labels; negatives are (1) other versions of its packages, (2) the samples sharing the most of
 * its rarer tags, (3) random ones, with unlabelled base-image layers always included so every expert
 * learns to stay silent on them.
 */
export class TrainingIndex {
  private readonly byLabel = new Map<string, number[]>();
  private readonly byPackage = new Map<string, number[]>();
  private readonly byTag = new Map<string, number[]>();
  private readonly unlabelled: number[] = [];
  private readonly maxDf: number;

  constructor(readonly samples: readonly Tagset[]) {
    samples.forEach((s, i) => {
      const labels = s.labels ?? [];
      if (labels.length === 0) this.unlabelled.push(i);
      for (const l of labels) push(this.byLabel, l, i);
      for (const p of new Set(labels.map(packageOf))) push(this.byPackage, p, i);
    });
    // Tags in more than 2% of samples say nothing about which samples are similar.
    this.maxDf = Math.max(10, Math.ceil(samples.length * 0.02));
    // Two passes so the many tags seen once (hashes, temp names) never get a postings list.
    const df = new Map<string, number>();
    for (const s of samples) for (const t of Object.keys(s.tags)) df.set(t, (df.get(t) ?? 0) + 1);
    samples.forEach((s, i) => {
      for (const t of Object.keys(s.tags)) {
        const n = df.get(t) as number;
        if (n > 1 && n <= this.maxDf) push(this.byTag, t, i);
      }
    });
  }

  labels(): string[] {
    return [...this.byLabel.keys()].sort();
  }

  job(labels: string[], o: PlanOptions, groupIndex: number): ExpertJob {
    const r = makeRng(o.seed * 7919 + groupIndex);
    const positives = new Set<number>();
    for (const l of labels) for (const i of this.byLabel.get(l) ?? []) positives.add(i);
    const posSamples = [...positives].map((i) => this.samples[i]);
    const vocabulary = expertVocabulary(posSamples, labels, o.minSupport);

    const negatives = new Set<number>();
    for (const p of new Set(labels.map(packageOf)))
      for (const i of this.byPackage.get(p) ?? []) if (!positives.has(i)) negatives.add(i);
    const overlap = new Map<number, number>();
    for (const t of vocabulary)
      for (const i of this.byTag.get(t) ?? [])
        if (!positives.has(i)) overlap.set(i, (overlap.get(i) ?? 0) + 1);
    [...overlap]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, o.hardNegatives)
      .forEach(([i]) => negatives.add(i));
    const base = shuffle(r, [...this.unlabelled]).slice(0, Math.ceil(o.randomNegatives / 4));
    for (const i of base) negatives.add(i);
    for (
      let tries = 0;
      negatives.size < positives.size + o.hardNegatives + o.randomNegatives && tries < o.randomNegatives * 3;
      tries++
    ) {
      const i = Math.floor(r() * this.samples.length);
      if (!positives.has(i)) negatives.add(i);
    }

    const rows = [...positives, ...negatives];
    const rowSamples = rows.map((i) => this.samples[i]);
    if (o.metadataDropout) {
      // Copies of every sample of the expert's packages without their versioned metadata tags, so the
      // version boosters also learn the files that tell versions apart (see withoutVersionedTags).
      const family = new Set(labels.map(packageOf));
      for (const i of rows) {
        const s = this.samples[i];
        const own = (s.labels ?? []).filter((l) => family.has(packageOf(l)));
        if (own.length) rowSamples.push({ ...s, tags: withoutVersionedTags(s.tags, own) });
      }
    }
    const matrix = vectorize(rowSamples, vocabulary, o.encoding);
    const packages = [...new Set(labels.map(packageOf))].sort();
    const targets = [
      ...labels.map((l) => Float32Array.from(rowSamples, (s) => (s.labels?.includes(l) ? 1 : 0))),
      ...packages.map((p) =>
        Float32Array.from(rowSamples, (s) => (s.labels?.some((l) => packageOf(l) === p) ? 1 : 0)),
      ),
    ];
    return {
      labels,
      packages,
      vocabulary,
      encoding: o.encoding,
      matrix,
      targets,
      signatures: labels.map((l) => this.signature(l)),
      params: o.params,
      positives: positives.size,
      negatives: negatives.size,
    };
  }

  /**
   * Tags in at least half of a label's samples and in no sample of the package's other versions that
   * does not also carry this label: the evidence that tells this version apart.
   */
  signature(label: string): string[] {
    const own = this.byLabel.get(label) ?? [];
    const others = (this.byPackage.get(packageOf(label)) ?? []).filter(
      (i) => !this.samples[i].labels?.includes(label),
    );
    const seen = new Map<string, number>();
    for (const i of own)
      for (const t of Object.keys(this.samples[i].tags)) seen.set(t, (seen.get(t) ?? 0) + 1);
    const foreign = new Set<string>();
    for (const i of others) for (const t of Object.keys(this.samples[i].tags)) foreign.add(t);
    // Capped: a label whose package has no other versions would otherwise list every tag it has.
    return [...seen]
      .filter(([t, n]) => n * 2 >= own.length && !foreign.has(t))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 64)
      .map(([t]) => t)
      .sort();
  }
}

/**
 * Drops tags that name a package with a version (`rich-13.7`, `rich_core-1.2.dist-inf`): what a
 * `NAME-VERSION.dist-info` or `.egg-info` directory contributes. Installs whose metadata was deleted
 * (the case praxi exists for) look like this.
 */
export function withoutVersionedTags(tags: Record<string, number>, labels: string[]): Record<string, number> {
  const names = new Set<string>();
  for (const l of labels) {
    const { name } = parseLabel(l);
    const lower = name.toLowerCase();
    for (const n of [lower, lower.replace(/-/g, '_'), lower.replace(/_/g, '-')]) names.add(n);
  }
  const out: Record<string, number> = {};
  for (const [t, n] of Object.entries(tags)) {
    const lower = t.toLowerCase();
    let versioned = false;
    for (const name of names) {
      if (lower.startsWith(name) && /^[-_]\d/.test(lower.slice(name.length, name.length + 2)))
        versioned = true;
    }
    if (versioned) continue;
    if (t === '__proto__')
      Object.defineProperty(out, t, { value: n, enumerable: true, writable: true, configurable: true });
    else out[t] = n;
  }
  return out;
}

function push<K>(m: Map<K, number[]>, k: K, v: number): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}
