import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createBrotliCompress, createBrotliDecompress } from 'node:zlib';
import { BadInputError } from '../errors';
import type { Tagset, TokenizerId } from '../tagging/tagset';
import { repoRoot } from '../repo-root';
import { ECOSYSTEMS, type Ecosystem, packageOf } from '../../models/label';
import type { CollectMethod } from './recipe';

/**
 * The training dataset as committed: one tagset per sample with its labels and provenance, the
 * recorded failures, and a manifest. Files, in one directory:
 * - `samples.jsonl.br`: one {@link DatasetSample} per line (brotli), sorted by ecosystem, labels, variant;
 * - `failures.jsonl.br`: one {@link DatasetFailure} per line;
 * - `manifest.json`: {@link DatasetManifest}.
 */
export interface DatasetSample {
  id: string;
  split: 'train' | 'test';
  ecosystem: Ecosystem;
  variant: string;
  method: CollectMethod;
  /** `[]` for base-image layers (negatives). */
  labels: string[];
  /** Dependencies the install brought into the same layer (not training labels). */
  also?: string[];
  /** Size signatures of the layer's npm package directories and Python modules, where the collector had sizes (tagging/size-signatures.ts). */
  sizeSignatures?: Record<string, string[]>;
  /** The versions its npm package directories' `package.json` files declare (tagging/declared-versions.ts). */
  declaredVersions?: Record<string, string[]>;
  tags: Record<string, number>;
}

export interface DatasetFailure {
  id: string;
  ecosystem: Ecosystem;
  variant: string;
  method: CollectMethod;
  labels: string[];
  reason: string;
}

export interface DatasetManifest {
  schema: 'praxi.dataset/v1';
  created: string;
  tokenizer: TokenizerId;
  /** How the split was made, in words (also in the data card). */
  split: string;
  samples: number;
  failures: number;
}

export interface Dataset {
  manifest: DatasetManifest;
  samples: DatasetSample[];
  failures: DatasetFailure[];
}

export const SHIPPED_DATASET_DIR = (): string => path.join(repoRoot(), 'models', 'dataset');

export const SPLIT_RULE =
  'by sample, with identical samples kept together: a sample is in test when the first byte of ' +
  'sha256(JSON of its sorted tags and counts) is below 52 (about 20% of distinct tagsets), else in train. ' +
  'Samples with exactly the same tagset share a split, so no test tagset occurs in train. ' +
  'Base-image layers made for evaluation only (variant base-heldout/...) are always in test.';

/**
 * Fixed split by sample. The hash is over the tagset itself, so samples whose tagsets are identical
 * (the same package under variants the tokenizer cannot tell apart) always land together and no
 * test tagset is ever seen in training.
 */
export function assignSplit(samples: Array<Omit<DatasetSample, 'split'>>): DatasetSample[] {
  return samples.map((s) => ({ ...s, split: splitOf(s.tags) }));
}

export function splitOf(tags: Record<string, number>): 'train' | 'test' {
  return createHash('sha256').update(JSON.stringify(tags)).digest()[0] < 52 ? 'test' : 'train';
}

// Brotli with a 16 MB window: the samples of one label (its variants) sit next to each other and share
// most tags, which gzip's 32 KB window cannot see across: about 5x smaller than gzip -9 here.
// Streamed: a full dataset is far larger uncompressed than one string may be.
export class JsonlBrWriter {
  private readonly tmp: string;
  private readonly brotli = createBrotliCompress({
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_LGWIN]: 24 },
  });
  private readonly done: Promise<void>;
  rows = 0;

  constructor(private readonly file: string) {
    this.tmp = `${file}.tmp-${process.pid}`;
    this.done = pipeline(this.brotli, createWriteStream(this.tmp));
  }

  async write(row: unknown): Promise<void> {
    await this.writeLine(JSON.stringify(row));
  }

  /** One line as it is (a row already in JSON). */
  async writeLine(line: string): Promise<void> {
    this.rows++;
    if (!this.brotli.write(line + '\n')) await once(this.brotli, 'drain');
  }

  async close(): Promise<void> {
    this.brotli.end();
    await this.done;
    await rename(this.tmp, this.file);
  }
}

async function writeJsonlBr(file: string, rows: unknown[]): Promise<void> {
  const w = new JsonlBrWriter(file);
  for (const r of rows) await w.write(r);
  await w.close();
}

export const sampleOrder = (
  a: Omit<DatasetSample, 'split' | 'tags'>,
  b: Omit<DatasetSample, 'split' | 'tags'>,
): number =>
  cmp(a.ecosystem, b.ecosystem) ||
  cmp(a.labels.join(' '), b.labels.join(' ')) ||
  cmp(a.variant, b.variant) ||
  cmp(a.id, b.id);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function writeDataset(dir: string, dataset: Dataset): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeJsonlBr(
    path.join(dir, 'samples.jsonl.br'),
    [...dataset.samples].sort(sampleOrder).map(tagsLast),
  );
  await writeJsonlBr(path.join(dir, 'failures.jsonl.br'), dataset.failures);
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(dataset.manifest, null, 2) + '\n');
}

export async function* readJsonlBr<T>(
  file: string,
  parse: (line: string) => T = JSON.parse,
): AsyncGenerator<T> {
  const lines = readline.createInterface({
    input: createReadStream(file).pipe(createBrotliDecompress()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) if (line.trim()) yield parse(line);
}

/** The sample with `tags` as its last field, the line layout parseSampleHead relies on. */
export function tagsLast({ tags, ...rest }: DatasetSample): DatasetSample {
  return { ...rest, tags };
}

/**
 * A sample line without its tags. The writer puts `tags` last, and nothing before it can hold `,"tags":`
 * (ids, variants and labels are plain tokens; size signatures are hex under package names), so the head of
 * the line up to it is the rest of the sample: parsing it skips nearly all the bytes (the tags are ~99%).
 */
export function parseSampleHead(line: string): Omit<DatasetSample, 'tags'> {
  const cut = line.indexOf(',"tags":');
  if (cut < 0) {
    const { tags: _t, ...rest } = JSON.parse(line) as DatasetSample;
    return rest;
  }
  return JSON.parse(`${line.slice(0, cut)}}`) as Omit<DatasetSample, 'tags'>;
}

/** A dataset's manifest, samples without their tags, and failures: what statistics need, fast. */
export async function loadDatasetSummary(dir: string = SHIPPED_DATASET_DIR()): Promise<{
  manifest: DatasetManifest;
  samples: Array<Omit<DatasetSample, 'tags'>>;
  failures: DatasetFailure[];
}> {
  const manifest = await readManifest(dir);
  const samples: Array<Omit<DatasetSample, 'tags'>> = [];
  for await (const s of readJsonlBr(path.join(dir, 'samples.jsonl.br'), parseSampleHead)) samples.push(s);
  return { manifest, samples, failures: await readFailures(dir) };
}

async function readManifest(dir: string): Promise<DatasetManifest> {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new BadInputError(`${dir} is not a praxi dataset: no manifest.json`);
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as DatasetManifest;
  if (manifest.schema !== 'praxi.dataset/v1')
    throw new BadInputError(`${dir}: unknown dataset schema ${manifest.schema}`);
  return manifest;
}

async function readFailures(dir: string): Promise<DatasetFailure[]> {
  const failures: DatasetFailure[] = [];
  const ff = path.join(dir, 'failures.jsonl.br');
  if (existsSync(ff)) for await (const f of readJsonlBr<DatasetFailure>(ff)) failures.push(f);
  return failures;
}

/**
 * Reads a dataset directory (default: the shipped one), streaming the compressed files. With `split`,
 * only that split's samples are kept, and the others' tags are never parsed: evaluating needs the test
 * split only, a few hundred MB of the several GB the whole dataset takes as objects.
 */
export async function loadDataset(
  dir: string = SHIPPED_DATASET_DIR(),
  opts: { split?: DatasetSample['split'] } = {},
): Promise<Dataset> {
  const manifest = await readManifest(dir);
  const samples: DatasetSample[] = [];
  const want = opts.split;
  const parse = want
    ? (line: string): DatasetSample | undefined =>
        parseSampleHead(line).split === want ? (JSON.parse(line) as DatasetSample) : undefined
    : (line: string): DatasetSample => JSON.parse(line) as DatasetSample;
  for await (const s of readJsonlBr(path.join(dir, 'samples.jsonl.br'), parse)) if (s) samples.push(s);
  return { manifest, samples, failures: await readFailures(dir) };
}

export interface EcosystemStats {
  labels: number;
  packages: number;
  singleLabelSamples: number;
  multiLabelSamples: number;
  negativeSamples: number;
  failedRecipes: number;
  trainSamples: number;
  testSamples: number;
  /** Labels with at least 4 single-label samples. */
  labelsWith4Samples: number;
  /** Failures by reason. */
  failureReasons: Record<string, number>;
}

export function datasetStats(dataset: {
  samples: Array<Omit<DatasetSample, 'tags'>>;
  failures: DatasetFailure[];
}): Record<Ecosystem, EcosystemStats> {
  const out = {} as Record<Ecosystem, EcosystemStats>;
  for (const eco of ECOSYSTEMS) {
    const samples = dataset.samples.filter((s) => s.ecosystem === eco);
    const failures = dataset.failures.filter((f) => f.ecosystem === eco);
    const labels = new Set(samples.flatMap((s) => s.labels));
    const single = new Map<string, number>();
    for (const s of samples)
      if (s.labels.length === 1) single.set(s.labels[0], (single.get(s.labels[0]) ?? 0) + 1);
    const reasons: Record<string, number> = {};
    for (const f of failures) reasons[f.reason] = (reasons[f.reason] ?? 0) + 1;
    out[eco] = {
      labels: labels.size,
      packages: new Set([...labels].map(packageOf)).size,
      singleLabelSamples: samples.filter((s) => s.labels.length === 1).length,
      multiLabelSamples: samples.filter((s) => s.labels.length > 1).length,
      negativeSamples: samples.filter((s) => s.labels.length === 0).length,
      failedRecipes: failures.length,
      trainSamples: samples.filter((s) => s.split === 'train').length,
      testSamples: samples.filter((s) => s.split === 'test').length,
      labelsWith4Samples: [...single.values()].filter((n) => n >= 4).length,
      failureReasons: reasons,
    };
  }
  return out;
}

export interface VersionCeiling {
  /** Single-label layers of the test split. */
  testLayers: number;
  /** Of them, layers whose tags equal those of a layer (any split) of another version of the package. */
  sharedWithAnotherVersion: number;
  /**
   * The expected version accuracy on the test layers of the best model that reads only tags: on a layer
   * that k versions share, it can do no better than name one of them (1/k).
   */
  ceiling: number;
  /** Layers whose tags and size signatures both equal another version's (a layer without signatures counts by tags). */
  sharedWithSizes: number;
  /** The same bound for a model that also reads the layer's size signatures. */
  ceilingWithSizes: number;
}

/**
 * How well any model that reads only a layer's tags (paths) could name versions, per ecosystem: releases
 * that change only file contents leave layers no path-based model can tell apart. The same with the
 * layers' size signatures, where the dataset has them.
 */
export function versionCeiling(
  samples: ReadonlyArray<Pick<DatasetSample, 'ecosystem' | 'labels' | 'split' | 'tags' | 'sizeSignatures'>>,
): Partial<Record<Ecosystem, VersionCeiling>> {
  const single = samples.filter((s) => s.labels.length === 1);
  const tagsKeys = single.map(
    (s) =>
      `${packageOf(s.labels[0])}\n${createHash('sha256')
        .update(Object.keys(s.tags).sort().join('\n'))
        .digest('hex')}`,
  );
  const sizeKeys = single.map((s, i) => {
    const sigs = s.sizeSignatures?.[packageOf(s.labels[0])];
    return sigs?.length ? `${tagsKeys[i]}\n${sigs.join(' ')}` : undefined;
  });
  const versions = new Map<string, Set<string>>();
  const note = (k: string, label: string) => versions.set(k, (versions.get(k) ?? new Set()).add(label));
  single.forEach((s, i) => {
    note(tagsKeys[i], s.labels[0]);
    if (sizeKeys[i]) note(sizeKeys[i] as string, s.labels[0]);
  });
  const out: Partial<Record<Ecosystem, VersionCeiling>> = {};
  single.forEach((s, i) => {
    if (s.split !== 'test') return;
    const c = (out[s.ecosystem] ??= {
      testLayers: 0,
      sharedWithAnotherVersion: 0,
      ceiling: 0,
      sharedWithSizes: 0,
      ceilingWithSizes: 0,
    });
    const k = (versions.get(tagsKeys[i]) as Set<string>).size;
    const kSizes = sizeKeys[i] ? (versions.get(sizeKeys[i] as string) as Set<string>).size : k;
    c.testLayers++;
    if (k > 1) c.sharedWithAnotherVersion++;
    if (kSizes > 1) c.sharedWithSizes++;
    c.ceiling += 1 / k;
    c.ceilingWithSizes += 1 / kSizes;
  });
  for (const c of Object.values(out)) {
    c.ceiling = c.testLayers ? c.ceiling / c.testLayers : 1;
    c.ceilingWithSizes = c.testLayers ? c.ceilingWithSizes / c.testLayers : 1;
  }
  return out;
}

/**
 * The dataset as tagsets for training, with the one validation rule every trainer uses (the shipped
 * model's build and the retrain workflow): the test split as written; from the train split, one sample
 * of every label set with at least three training samples moves to validation (for calibration), the one
 * whose id hashes lowest, so which variant is held out varies from label to label.
 */
export function trainingSplits(ds: Dataset): { train: Tagset[]; validation: Tagset[]; test: Tagset[] } {
  // Samples that are predicted (validation, test) carry their tag count, as scanned layers do; training
  // samples are only indexed, and counting 66M tags costs seconds.
  const toTagset = (s: DatasetSample, predicted = false): Tagset => ({
    schema: 'praxi.tagset/v1',
    tokenizer: ds.manifest.tokenizer,
    tags: s.tags,
    ...(predicted ? { tagCount: Object.keys(s.tags).length } : {}),
    labels: s.labels,
    ...(s.also?.length ? { also: s.also } : {}),
    ...(s.sizeSignatures ? { sizeSignatures: s.sizeSignatures } : {}),
    ...(s.declaredVersions ? { declaredVersions: s.declaredVersions } : {}),
  });
  const byKey = new Map<string, DatasetSample[]>();
  const test: Tagset[] = [];
  for (const s of ds.samples) {
    if (s.split === 'test') {
      test.push(toTagset(s, true));
      continue;
    }
    const k = s.labels.join(' ');
    const list = byKey.get(k);
    if (list) list.push(s);
    else byKey.set(k, [s]);
  }
  const rank = (s: DatasetSample) => createHash('sha256').update(s.id).digest('hex');
  const train: Tagset[] = [];
  const validation: Tagset[] = [];
  for (const [k, list] of byKey) {
    if (k === '' || list.length < 3) {
      train.push(...list.map((s) => toTagset(s)));
      continue;
    }
    const ranks = list.map(rank);
    const held = list[ranks.indexOf(ranks.reduce((a, b) => (b < a ? b : a)))];
    for (const s of list) (s === held ? validation : train).push(toTagset(s, s === held));
  }
  return { train, validation, test };
}
