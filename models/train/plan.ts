import { setTag, type Tagset } from '../../activities/tagging/tagset';
import { withoutTags } from '../../activities/tagging/shared-tags';
import { packageOf, parseLabel } from '../label';
import { makeRng, shuffle } from '../synthetic';
import { expertVocabulary, type FeatureEncoding, featureValue, vectorize } from '../vectorize';
import { type BoosterParams, type DenseMatrix, MISSING } from '../xgboost/booster';
import type { ExpertJob } from './expert-training';
import { yielder } from '../yield';
import { MIN_TAG_LENGTH } from '../../activities/tagging/columbus';

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
  /**
   * Train also on copies of the labels' samples with only the tags their packages own (see
   * {@link TrainingIndex.ownTags}): the package without its dependencies or its install method's traces.
   */
  ownTagCopies: boolean;
  /** A tag is core to a package (its signature, which merging asks a share of) when this share of its samples carry it. */
  coreShare: number;
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
  /** Package → samples that carry it as a dependency (`also`) but not as a label. */
  private readonly byDependency = new Map<string, number[]>();
  private readonly owned = new Map<string, Set<number>>();
  /** Scratch counts per interned tag for {@link TrainingIndex.ownTags}, all zero between calls. */
  private tagCounts = new Int32Array(0);
  private readonly byTag = new Map<number, number[]>();
  private readonly unlabelled: number[] = [];
  private maxDf = 0;
  /** Per sample, the packages its install brought along as dependencies (`also`), when any. */
  private alongside: (Set<string> | undefined)[] = [];
  /** Per interned tag, the number of samples that carry it. */
  private df = new Int32Array(0);

  /** Every tag interned once: rows are built from integer ids, not by walking tag objects per expert. */
  private readonly tagId = new Map<string, number>();
  private readonly tagNames: string[] = [];
  private readonly sampleTags: Int32Array[] = [];
  private readonly sampleValues: Float32Array[] = [];
  private colOf = new Int32Array(0);

  /**
   * Builds the index at once; training code uses {@link TrainingIndex.create}, which lets timers run.
   * With `only`, the index serves only experts for those labels (incremental training): the samples of
   * those labels are indexed whole, the others only for the tags that can enter those experts'
   * vocabularies (seen in `minSupport` samples of one label, see expertVocabulary). No other tag can be
   * in a vocabulary, a hard-negative search or a package's core tags, so the jobs are the same, and
   * indexing skips the millions of tags of the other samples.
   */
  constructor(
    readonly samples: readonly Tagset[],
    build = true,
    private readonly only?: { labels: readonly string[]; minSupport: number },
  ) {
    if (build) for (const _ of this.build());
  }

  /** The index, built with a turn for the event loop now and then (activity heartbeats are timers). */
  static async create(
    samples: readonly Tagset[],
    only?: { labels: readonly string[]; minSupport: number },
  ): Promise<TrainingIndex> {
    const index = new TrainingIndex(samples, false, only);
    const pause = yielder();
    for (const _ of index.build()) await pause();
    return index;
  }

  /** Yields between samples so a caller may pause. */
  private *build(): Generator<void> {
    const samples = this.samples;
    let keep: Set<string> | undefined;
    let whole: Set<Tagset> | undefined;
    if (this.only) {
      const labels = new Set(this.only.labels);
      whole = new Set(samples.filter((s) => s.labels?.some((l) => labels.has(l))));
      keep = new Set(expertVocabulary([...whole], this.only.labels, this.only.minSupport));
    }
    // A few thousand wanted tags are cheaper to look up in each sample than a large layer's 100k tags are
    // to list.
    const wanted = keep && keep.size <= 5000 ? [...keep] : undefined;
    const wantedIds = wanted?.map((t) => this.intern(t)) ?? [];
    for (const s of samples) {
      if (whole && !whole.has(s)) this.indexSample(s.tags, keep, wanted, wantedIds);
      else this.indexSample(s.tags);
      yield;
    }
    this.colOf = new Int32Array(this.tagId.size).fill(-1);
    samples.forEach((s, i) => {
      const labels = s.labels ?? [];
      if (labels.length === 0) this.unlabelled.push(i);
      for (const l of labels) push(this.byLabel, l, i);
      for (const p of new Set(labels.map(packageOf))) push(this.byPackage, p, i);
    });
    const debs = new Set([...this.byPackage.keys()].filter((p) => p.startsWith('deb:')));
    this.alongside = samples.map((s) => {
      const along = (s.also ?? []).map(packageOf);
      // A base image's packages are no install's dependencies, so collection leaves its layer without
      // `also`; dpkg's records in it still say what it holds, and it must be no negative for those.
      if (!s.labels?.length) along.push(...debPackagesRecorded(s.tags, debs));
      return along.length ? new Set(along) : undefined;
    });
    this.alongside.forEach((along, i) => {
      const own = new Set((samples[i].labels ?? []).map(packageOf));
      for (const p of along ?? []) if (!own.has(p)) push(this.byDependency, p, i);
    });
    this.tagCounts = new Int32Array(this.tagId.size);
    // Tags in more than 2% of samples say nothing about which samples are similar.
    this.maxDf = Math.max(10, Math.ceil(samples.length * 0.02));
    // Two passes so the many tags seen once (hashes, temp names) never get a postings list.
    const df = (this.df = new Int32Array(this.tagId.size));
    for (const ids of this.sampleTags) for (let k = 0; k < ids.length; k++) df[ids[k]]++;
    yield;
    for (let i = 0; i < this.sampleTags.length; i++) {
      const ids = this.sampleTags[i];
      for (let k = 0; k < ids.length; k++) {
        const n = df[ids[k]];
        if (n > 1 && n <= this.maxDf) push(this.byTag, ids[k], i);
      }
      yield;
    }
  }

  private intern(t: string): number {
    let id = this.tagId.get(t);
    if (id === undefined) {
      this.tagId.set(t, (id = this.tagId.size));
      this.tagNames.push(t);
    }
    return id;
  }

  /** One sample's tags (those in `keep`, when given: `wanted` lists them when there are few) as ids. */
  private indexSample(
    tags: Record<string, number>,
    keep?: Set<string>,
    wanted?: string[],
    wantedIds: number[] = [],
  ): void {
    const ids: number[] = [];
    const vals: number[] = [];
    if (wanted) {
      for (let k = 0; k < wanted.length; k++) {
        if (!Object.hasOwn(tags, wanted[k])) continue;
        ids.push(wantedIds[k]);
        vals.push(tags[wanted[k]]);
      }
    } else {
      for (const t of Object.keys(tags)) {
        if (keep && !keep.has(t)) continue;
        ids.push(this.intern(t));
        vals.push(tags[t]);
      }
    }
    this.sampleTags.push(Int32Array.from(ids));
    this.sampleValues.push(Float32Array.from(vals));
  }

  labels(): string[] {
    return [...this.byLabel.keys()].sort();
  }

  job(labels: string[], o: PlanOptions, groupIndex: number): ExpertJob {
    const r = makeRng(o.seed * 7919 + groupIndex);
    const positives = new Set<number>();
    for (const l of labels) for (const i of this.byLabel.get(l) ?? []) positives.add(i);
    const posSamples = [...positives].map((i) => this.samples[i]);
    let vocabulary = expertVocabulary(posSamples, labels, o.minSupport);

    const family = new Set(labels.map(packageOf));
    const negatives = new Set<number>();
    for (const p of family)
      for (const i of this.byPackage.get(p) ?? []) if (!positives.has(i)) negatives.add(i);
    const overlap = new Map<number, number>();
    for (const t of vocabulary)
      for (const i of this.byTag.get(this.tagId.get(t) ?? -1) ?? [])
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

    // A layer that holds one of these packages as a dependency holds its files: it is no negative.
    for (const i of negatives) {
      const along = this.alongside[i];
      if (along && [...family].some((p) => along.has(p))) negatives.delete(i);
    }
    const rows = [...positives, ...negatives];
    const rowSamples = rows.map((i) => this.samples[i]);
    // Version rows after the plain ones: a copy keeps its version's evidence, so every booster learns from it.
    const ownOnly = o.ownTagCopies ? this.ownTagCopies([...positives], family, new Set(vocabulary)) : [];
    rowSamples.push(...ownOnly);
    const augmented: Tagset[] = [];
    if (o.metadataDropout) {
      // Copies of the packages' own samples without their versioned metadata tags, for the package boosters
      // only: with metadata, a `NAME-VERSION.dist-info` tag separates a package perfectly and the trees
      // need nothing else, so a layer whose records were deleted (the case praxi exists for) would go
      // unseen. The version boosters keep the plain rows: for them, two versions' stripped copies are the
      // same layer with opposite labels.
      for (const s of rowSamples) {
        const own = (s.labels ?? []).filter((l) => family.has(packageOf(l)));
        if (own.length) augmented.push({ ...s, tags: withoutVersionedTags(s.tags, own) });
      }
    }
    const full = this.vectorizeRows(rows, [...ownOnly, ...augmented], vocabulary, o.encoding);
    const { matrix, kept } = distinctColumns(full, (c) => debNameRank(vocabulary[c], family));
    vocabulary = kept.map((c) => vocabulary[c]);
    const packages = [...family].sort();
    const allSamples = [...rowSamples, ...augmented];
    const targets = [
      ...labels.map((l) => Float32Array.from(rowSamples, (s) => (s.labels?.includes(l) ? 1 : 0))),
      ...packages.map((p) =>
        Float32Array.from(allSamples, (s) => (s.labels?.some((l) => packageOf(l) === p) ? 1 : 0)),
      ),
    ];
    return {
      labels,
      packages,
      vocabulary,
      encoding: o.encoding,
      matrix,
      versionRows: rowSamples.length,
      targets,
      signatures: labels.map((l) => this.signature(l)),
      packageSignatures: packages.map((p) => this.packageSignature(p, o.coreShare)),
      params: o.params,
      positives: positives.size,
      negatives: negatives.size,
    };
  }

  /** Rows for training samples (by index) then extra samples, over a vocabulary; absent tags MISSING. */
  private vectorizeRows(
    rows: number[],
    extra: Tagset[],
    vocabulary: string[],
    encoding: FeatureEncoding,
  ): DenseMatrix {
    const cols = vocabulary.length;
    const ids = vocabulary.map((t) => this.tagId.get(t) ?? -1);
    ids.forEach((id, c) => id >= 0 && (this.colOf[id] = c));
    try {
      const data = new Float32Array((rows.length + extra.length) * cols).fill(MISSING);
      rows.forEach((i, r) => {
        const tags = this.sampleTags[i];
        const vals = this.sampleValues[i];
        for (let k = 0; k < tags.length; k++) {
          const c = this.colOf[tags[k]];
          if (c >= 0) data[r * cols + c] = featureValue(vals[k], encoding);
        }
      });
      const tail = vectorize(extra, vocabulary, encoding);
      data.set(tail.data, rows.length * cols);
      return { rows: rows.length + extra.length, cols, data };
    } finally {
      for (const id of ids) if (id >= 0) this.colOf[id] = -1;
    }
  }

  /**
   * Labels of one package that the data cannot tell apart: a layer of one installed alone shows exactly
   * the same tags as a layer of the other (the same file names: many npm releases change only file
   * contents), or their samples, taken together, do. Groups of two or more (joined transitively), each
   * sorted, for the labels given.
   */
  indistinctGroups(labels: readonly string[]): string[][] {
    const parent = new Map(labels.map((l) => [l, l]));
    const find = (l: string): string => {
      let r = l;
      while (parent.get(r) !== r) r = parent.get(r) as string;
      parent.set(l, r);
      return r;
    };
    const join = (group: string[]) => {
      for (const l of group.slice(1)) parent.set(find(l), find(group[0]));
    };
    const keyOf = (l: string, ids: Iterable<number>) =>
      `${packageOf(l)}\n${Int32Array.from(ids).sort().join(',')}`;
    const byUnion = new Map<string, string[]>();
    const byLayer = new Map<string, Set<string>>();
    for (const l of labels) {
      const tags = new Set<number>();
      for (const i of this.byLabel.get(l) ?? []) {
        for (const t of this.sampleTags[i]) tags.add(t);
        if (this.samples[i].labels?.length !== 1) continue;
        const key = keyOf(l, this.sampleTags[i]);
        byLayer.set(key, (byLayer.get(key) ?? new Set()).add(l));
      }
      const key = keyOf(l, tags);
      byUnion.set(key, [...(byUnion.get(key) ?? []), l]);
    }
    for (const g of byUnion.values()) join(g);
    for (const g of byLayer.values()) join([...g]);
    const groups = new Map<string, string[]>();
    for (const l of labels) groups.set(find(l), [...(groups.get(find(l)) ?? []), l]);
    return [...groups.values()]
      .filter((g) => g.length > 1)
      .map((g) => g.sort())
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /**
   * The tags that nearly all of a package's samples carry (`share` of them, across its versions and
   * variants) and few other samples do: what must be in a layer for the package to be there at all. Merging
   * asks for a share of them before it names the package, so a booster swayed by a few generic tags stays
   * quiet. At half, a Debian package's signature was mostly its dependencies' files (three of its four
   * install variants bring them), and the package installed alone (`dpkg -i`) failed the gate.
   */
  packageSignature(pkg: string, share: number): string[] {
    const own = this.byPackage.get(pkg) ?? [];
    const seen = new Map<number, number>();
    for (const i of own) {
      const ids = this.sampleTags[i];
      for (let k = 0; k < ids.length; k++) seen.set(ids[k], (seen.get(ids[k]) ?? 0) + 1);
    }
    const owned = this.ownedTags(pkg);
    return (
      [...seen]
        .filter(([id, n]) => n >= share * own.length && this.df[id] <= Math.max(this.maxDf, n))
        // Ties by name, not by interning order, which depends on which samples the index holds.
        .map(([id, n]) => [this.tagNames[id], n, owned.has(id) ? 1 : 0] as const)
        .sort((a, b) => b[2] - a[2] || b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 64)
        .map(([t]) => t)
        .sort()
    );
  }

  /**
   * The tags of a package's samples that only samples holding the package carry (as a label or as a
   * dependency): its own files, not those of the dependencies its installs brought along, which other
   * packages' layers carry too. A package's own file that some unrelated layer happens to share is not
   * counted; a dependency installed with this package only is (nothing can tell it apart here).
   */
  ownTags(pkg: string): string[] {
    return [...this.ownedTags(pkg)].map((id) => this.tagNames[id]).sort();
  }

  private ownedTags(pkg: string): Set<number> {
    const cached = this.owned.get(pkg);
    if (cached) return cached;
    const labelled = this.byPackage.get(pkg) ?? [];
    const counts = this.tagCounts;
    const touched: number[] = [];
    for (const i of [...labelled, ...(this.byDependency.get(pkg) ?? [])]) {
      const ids = this.sampleTags[i];
      for (let k = 0; k < ids.length; k++) if (counts[ids[k]]++ === 0) touched.push(ids[k]);
    }
    const owned = new Set<number>();
    for (const i of labelled) {
      const ids = this.sampleTags[i];
      for (let k = 0; k < ids.length; k++) if (counts[ids[k]] === this.df[ids[k]]) owned.add(ids[k]);
    }
    for (const id of touched) counts[id] = 0;
    this.owned.set(pkg, owned);
    return owned;
  }

  /**
   * Copies of the positives with only the tags the family's packages own, labelled with those packages
   * only (a copy that would keep every tag of the vocabulary the sample has is the same row: left out).
   * Every install in the data brings a package's dependencies along and leaves its install method's
   * traces (apt's logs and lists, a prefix), but in an image the dependencies are often in an earlier
   * layer and the method may be another (`dpkg -i` of the file alone): boosters that learned from those
   * tags miss the package there.
   */
  private ownTagCopies(
    positives: number[],
    family: ReadonlySet<string>,
    vocabulary: ReadonlySet<string>,
  ): Tagset[] {
    const out: Tagset[] = [];
    for (const i of positives) {
      const s = this.samples[i];
      const labels = (s.labels ?? []).filter((l) => family.has(packageOf(l)));
      const owned = labels.map((l) => this.ownedTags(packageOf(l)));
      const ids = this.sampleTags[i];
      const vals = this.sampleValues[i];
      const tags: Record<string, number> = {};
      let dropped = false;
      for (let k = 0; k < ids.length; k++) {
        const t = this.tagNames[ids[k]];
        if (!vocabulary.has(t)) continue;
        if (owned.some((o) => o.has(ids[k]))) setTag(tags, t, vals[k]);
        else dropped = true;
      }
      if (dropped && Object.keys(tags).length) out.push({ ...s, tags, labels, also: undefined });
    }
    return out;
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
 * Keeps one column of each group of identical columns. Columbus emits every prefix of a path part, so
 * chains like `changel`, `changelo`, `changelog` carry the same values in every row: the trees could
 * split on any of them, and training time grows with the number of columns (~5× fewer here).
 *
 * Identical over the training rows is not identical in every layer: a dependency that only ever came
 * along with the package (`cmake-data` with `cmake`) matches the package's own files here but is missing
 * from a layer of the package alone. So of each group the column `preference` ranks highest is kept
 * (the first on ties), in the place of the group's first column: the matrix is the same, only which tag
 * stands for the group changes.
 */
export function distinctColumns(
  x: DenseMatrix,
  preference: (column: number) => number = () => 0,
): { matrix: DenseMatrix; kept: number[] } {
  const seen = new Map<string, number>();
  const kept: number[] = [];
  const rank: number[] = [];
  for (let c = 0; c < x.cols; c++) {
    // Two independent 32-bit hashes of the column: a collision (which would drop a distinct column)
    // needs both to collide, about 1 in 2^64 per pair.
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let r = 0; r < x.rows; r++) {
      const v = x.data[r * x.cols + c];
      if (v === MISSING) continue;
      h1 = Math.imul(h1 ^ r, 0x01000193) ^ Math.imul(v | 0, 0x5bd1e995);
      h2 = Math.imul(h2 ^ (r + 0x9e3779b9), 0x85ebca6b) ^ Math.imul((v | 0) + 7, 0xc2b2ae35);
    }
    const key = `${h1 >>> 0}:${h2 >>> 0}`;
    const at = seen.get(key);
    const r = preference(c);
    if (at === undefined) {
      seen.set(key, kept.length);
      kept.push(c);
      rank.push(r);
    } else if (r > rank[at]) {
      kept[at] = c;
      rank[at] = r;
    }
  }
  const data = new Float32Array(x.rows * kept.length);
  for (let r = 0; r < x.rows; r++)
    for (let k = 0; k < kept.length; k++) data[r * kept.length + k] = x.data[r * x.cols + kept[k]];
  return { matrix: { rows: x.rows, cols: kept.length, data }, kept };
}

/**
 * How plainly a tag names one of these Debian packages: 2 for dpkg's records of it
 * (`/var/lib/dpkg/info/NAME.md5sums`, `NAME.list`, and `NAME:amd64.*` for multi-arch packages, whose `:`
 * the tokenizer deletes), which every install of the package writes however it was made; 1 for another
 * tag that starts with its name (`/usr/share/doc/NAME`, `NAME.1.gz`); 0 otherwise, and for packages of
 * other ecosystems.
 */
export function debNameRank(tag: string, packages: ReadonlySet<string>): number {
  let best = 0;
  for (const p of packages) {
    if (!p.startsWith('deb:')) continue;
    const name = p.slice(4);
    if (!tag.startsWith(name)) continue;
    const rest = tag.slice(name.length);
    const record = rest.startsWith('amd64') ? rest.slice(5) : rest;
    if (record === '.md5sum' || record === '.lis') return 2;
    // The name must end there: package `at` does not own `at-spi2-common`.
    if (rest === '' || rest.startsWith('.') || rest.startsWith('amd64')) best = 1;
  }
  return best;
}

/**
 * The packages among `known` (`deb:NAME`) whose dpkg records are in a layer with these tags:
 * `info/NAME.md5sums` makes the tag `NAME.md5sum` (`NAMEamd64.md5sum` for `NAME:amd64`).
 */
export function debPackagesRecorded(
  tags: Readonly<Record<string, number>>,
  known: ReadonlySet<string>,
): string[] {
  // Probed per known package: a few hundred lookups, where listing a base layer's tags costs ms.
  const out: string[] = [];
  for (const p of known) {
    if (!p.startsWith('deb:')) continue;
    const name = p.slice('deb:'.length);
    if (Object.hasOwn(tags, `${name}.md5sum`) || Object.hasOwn(tags, `${name}amd64.md5sum`)) out.push(p);
  }
  return out.sort();
}

/** Files only package records hold (pip's `*.dist-info`, setuptools' `*.egg-info`). */
const RECORD_FILES = ['INSTALLER', 'METADATA', 'RECORD', 'REQUESTED', 'WHEEL', 'PKG-INFO', 'SOURCES.txt'];
const RECORD_FILES_LOWER = ['top_level.txt', 'entry_points.txt', 'direct_url.json', 'dependency_links.txt'];

/**
 * What a layer's tags would be had its package records been deleted (the case praxi exists for): drops
 * the tags a `NAME-VERSION.dist-info` or `.egg-info` directory contributes (`rich-13.7`, `rich_core-1.2.dist-inf`,
 * `rich-`) and the prefixes Columbus makes of the record files' names (`METADAT`, `top_level.t`). An
 * approximation from tags alone: a tag that other files also make (`REC`) goes too.
 */
export function withoutVersionedTags(tags: Record<string, number>, labels: string[]): Record<string, number> {
  const names = new Set<string>();
  for (const l of labels) {
    const { name } = parseLabel(l);
    const lower = name.toLowerCase();
    for (const n of [lower, lower.replace(/-/g, '_'), lower.replace(/_/g, '-')]) names.add(n);
  }
  const removed: string[] = [];
  for (const t of Object.keys(tags)) {
    const lower = t.toLowerCase();
    let record =
      RECORD_FILES.some((f) => t.length >= 3 && f.startsWith(t)) ||
      RECORD_FILES_LOWER.some((f) => t.length >= 6 && f.startsWith(t));
    for (const name of names) {
      if (!lower.startsWith(name)) continue;
      const rest = lower.slice(name.length);
      if (/^[-_]\d/.test(rest) || rest === '-' || rest === '_') record = true;
    }
    if (record) removed.push(t);
  }
  const out = withoutTags(tags, new Set(removed));
  // Columbus keeps a string only while some longer string continues it: `requests` is a tag because
  // `requests-2.32.5.dist-info` extends it, not because the `requests` directory is there. So a prefix of
  // a removed tag stays a tag only if a remaining tag one character longer continues it. If its count is
  // all in removed strings, it is gone altogether and no longer continues its own prefix; else it is
  // still counted (a token of its own, or one no longer string extends) and does.
  const children = new Map<string, number>();
  const parent = (t: string) => t.slice(0, -1);
  for (const t of Object.keys(out))
    if (t.length > MIN_TAG_LENGTH) children.set(parent(t), (children.get(parent(t)) ?? 0) + 1);
  const goneBelow = new Map<string, number>();
  for (const r of removed)
    if (r.length > MIN_TAG_LENGTH) goneBelow.set(parent(r), (goneBelow.get(parent(r)) ?? 0) + tags[r]);
  // Longest first: whether a prefix stays depends on its longer ones.
  const prefixes = new Set<string>();
  for (const r of removed) for (let k = MIN_TAG_LENGTH; k < r.length; k++) prefixes.add(r.slice(0, k));
  for (const p of [...prefixes].sort((a, b) => b.length - a.length)) {
    if (!Object.hasOwn(out, p) || (children.get(p) ?? 0) > 0) continue;
    const n = out[p];
    delete out[p];
    if (n - (goneBelow.get(p) ?? 0) > 0 || p.length <= MIN_TAG_LENGTH) continue;
    children.set(parent(p), (children.get(parent(p)) ?? 1) - 1);
    goneBelow.set(parent(p), (goneBelow.get(parent(p)) ?? 0) + n);
  }
  return out;
}

function push<K>(m: Map<K, number[]>, k: K, v: number): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}
