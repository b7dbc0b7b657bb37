import { BadInputError } from '../../activities/errors';
import { labelSizeSignatures } from '../size-evidence';
import type { ObjectStore } from '../../activities/store/object-store';
import type { Tagset } from '../../activities/tagging/tagset';
import { calibrateThresholds, tuneFloors, withMergeSettings } from '../calibrate';
import { encodeExpert, type ExpertArtifact, LoadedExpert, digestOf } from '../expert';
import { packageOf, parseLabel } from '../label';
import { Model } from '../model';
import {
  type ExpertEntry,
  getManifest,
  type ManifestDraft,
  MODEL_SCHEMA,
  type ModelManifest,
  publishModel,
  putExpert,
  getExpert,
  expertKey,
} from '../registry';
import { routeLabels, type RoutingStrategy } from '../routing';
import type { FeatureEncoding } from '../vectorize';
import { type BoosterParams, DEFAULT_BOOSTER_PARAMS } from '../xgboost/booster';
import { TrainingIndex } from './plan';
import { TrainingPool } from './pool';
import { yielder } from '../yield';

export interface TrainOptions {
  routing: RoutingStrategy;
  /** Labels per expert. */
  groupSize: number;
  encoding: FeatureEncoding;
  params: BoosterParams;
  minSupport: number;
  hardNegatives: number;
  randomNegatives: number;
  metadataDropout: boolean;
  /** Train also on copies of the labels' samples with only their packages' own tags (see PlanOptions). */
  ownTagCopies: boolean;
  /** Share of a package's samples a tag must be in to be one of its core tags (see TrainingIndex.packageSignature). */
  coreShare: number;
  extraVersionCoverage: number;
  seed: number;
  /** Training threads (default: one per core). */
  workers?: number;
  /** Held-out samples for threshold calibration; without them every label reports at 0.5. */
  validation?: readonly Tagset[];
  /** Reuse a running pool (benchmarks, repeated training) instead of starting threads per call. */
  pool?: TrainingPool;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  routing: 'verpak',
  groupSize: 3,
  encoding: 'presence',
  params: DEFAULT_BOOSTER_PARAMS,
  minSupport: 2,
  hardNegatives: 100,
  randomNegatives: 60,
  metadataDropout: true,
  ownTagCopies: true,
  coreShare: 0.9,
  extraVersionCoverage: 0.5,
  seed: 1,
};

/** A trained model not yet published: its experts' bytes and the manifest fields around them. */
export interface TrainedModel {
  draft: ManifestDraft;
  experts: { entry: ExpertEntry; bytes: Buffer; artifact: ExpertArtifact }[];
  timings: { planMs: number; trainMs: number; calibrateMs: number };
}

function checkSamples(samples: readonly Tagset[]): void {
  if (samples.length === 0) throw new BadInputError('no training samples');
  const t = samples[0].tokenizer;
  for (const s of samples) {
    if (s.tokenizer.name !== t.name || s.tokenizer.version !== t.version)
      throw new BadInputError(
        `training samples mix tokenizers (${t.name}@${t.version} and ${s.tokenizer.name}@${s.tokenizer.version})`,
      );
    for (const l of s.labels ?? []) parseLabel(l);
  }
}

async function trainGroups(
  index: TrainingIndex,
  groups: string[][],
  o: TrainOptions,
): Promise<{ experts: TrainedModel['experts']; planMs: number; trainMs: number }> {
  const pool = o.pool ?? new TrainingPool(o.workers);
  const t0 = performance.now();
  let planMs = 0;
  try {
    const jobs: Promise<ExpertArtifact>[] = [];
    const pause = yielder();
    for (let g = 0; g < groups.length; g++) {
      // A resolved job's await is a microtask only: timers (heartbeats) need a real turn.
      await pause();
      const p0 = performance.now();
      const job = index.job(groups[g], o, g);
      planMs += performance.now() - p0;
      jobs.push(pool.train(job));
      // Keep at most a few matrices queued per thread (memory); planning runs on this thread meanwhile.
      const lag = pool.size * 4;
      if (g >= lag) await jobs[g - lag];
    }
    const artifacts = await Promise.all(jobs);
    const experts = artifacts.map((artifact) => {
      const bytes = encodeExpert(artifact);
      const hex = digestOf(bytes);
      const entry: ExpertEntry = {
        id: hex,
        key: expertKey(hex),
        digest: `sha256:${hex}`,
        labels: artifact.labels,
        bytes: bytes.length,
      };
      return { entry, bytes, artifact };
    });
    return { experts, planMs, trainMs: performance.now() - t0 - planMs };
  } finally {
    if (!o.pool) await pool.close();
  }
}

/** A model over just-trained experts, to score held-out samples before anything is published. */
export function provisional(draft: ManifestDraft, experts: TrainedModel['experts']): Model {
  const manifest: ModelManifest = {
    schema: MODEL_SCHEMA,
    version: 'provisional',
    created: new Date().toISOString(),
    ...draft,
    labels: [],
    experts: experts.map((e) => e.entry),
  };
  return new Model(
    manifest,
    experts.map((e) => new LoadedExpert(e.entry.id, e.artifact)),
  );
}

/** Trains every label in `samples` (samples without labels are negatives) with the chosen routing. */
export async function trainFull(
  samples: readonly Tagset[],
  opts: Partial<TrainOptions> = {},
): Promise<TrainedModel> {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...opts };
  checkSamples(samples);
  const t0 = performance.now();
  const index = await TrainingIndex.create(samples);
  const labels = index.labels();
  if (labels.length === 0) throw new BadInputError('the training samples carry no labels');
  const groups = routeLabels(labels, samples, { strategy: o.routing, groupSize: o.groupSize, seed: o.seed });
  const indexMs = performance.now() - t0;
  const { experts, planMs, trainMs } = await trainGroups(index, groups, o);
  const draft: ManifestDraft = {
    tokenizer: samples[0].tokenizer,
    routing: { strategy: o.routing, groupSize: o.groupSize },
    encoding: o.encoding,
    params: { ...o.params },
    calibration: { thresholds: {}, extraVersionCoverage: o.extraVersionCoverage },
    indistinct: index.indistinctGroups(labels),
    sizeSignatures: labelSizeSignatures(samples),
    training: { samples: samples.length, ms: 0, expertsTrained: experts.length, expertsReused: 0 },
  };
  const c0 = performance.now();
  if (o.validation?.length) {
    // Package boosters are calibrated too: they are keyed by package.
    const keys = new Set([...labels, ...labels.map(packageOf)]);
    draft.calibration.thresholds = await calibrateThresholds(provisional(draft, experts), o.validation, keys);
    const floors = await tuneFloors(provisional(draft, experts), o.validation);
    draft.calibration = withMergeSettings(draft.calibration, floors);
  }
  const calibrateMs = performance.now() - c0;
  draft.training.ms = Math.round(performance.now() - t0);
  return { draft, experts, timings: { planMs: planMs + indexMs, trainMs, calibrateMs } };
}

/** Stores a trained model's experts and publishes it as a new version (current unless told otherwise). */
export async function publishTrained(
  store: ObjectStore,
  trained: TrainedModel,
  opts: { makeCurrent?: boolean; base?: ModelManifest } = {},
): Promise<ModelManifest> {
  const entries: ExpertEntry[] = [...(opts.base?.experts ?? [])];
  for (const e of trained.experts) entries.push(await putExpert(store, e.bytes, e.artifact));
  // The base version's experts were checked when it was published.
  return publishModel(store, trained.draft, entries, {
    makeCurrent: opts.makeCurrent,
    stored: new Set(opts.base?.experts.map((e) => e.key)),
  });
}

export interface AddResult {
  manifest: ModelManifest;
  added: string[];
  timings: TrainedModel['timings'];
}

/**
 * Incremental training: experts only for the labels of `samples` that the base version lacks; every
 * existing expert is reused unchanged (same artifact, same digest). The other samples serve as negatives.
 */
export async function trainAdd(
  store: ObjectStore,
  baseVersion: string | undefined,
  samples: readonly Tagset[],
  opts: Partial<TrainOptions> & { makeCurrent?: boolean } = {},
): Promise<AddResult> {
  checkSamples(samples);
  const base = await getManifest(store, baseVersion);
  const o: TrainOptions = {
    ...DEFAULT_TRAIN_OPTIONS,
    routing: base.routing.strategy,
    groupSize: base.routing.groupSize,
    encoding: base.encoding,
    params: { ...DEFAULT_BOOSTER_PARAMS, ...(base.params as Partial<BoosterParams>) },
    ...opts,
  };
  const t = samples[0].tokenizer;
  if (t.name !== base.tokenizer.name || t.version !== base.tokenizer.version)
    throw new BadInputError(
      `samples made by tokenizer ${t.name}@${t.version}; model ${base.version} uses ${base.tokenizer.name}@${base.tokenizer.version}`,
    );
  const t0 = performance.now();
  const known = new Set(base.labels);
  const added = [...new Set(samples.flatMap((s) => s.labels ?? []))].filter((l) => !known.has(l)).sort();
  if (added.length === 0)
    throw new BadInputError(`every label in the data is already in model ${base.version}: nothing to add`);
  const index = await TrainingIndex.create(samples, { labels: added, minSupport: o.minSupport });
  const groups = routeLabels(added, samples, { strategy: o.routing, groupSize: o.groupSize, seed: o.seed });
  const indexMs = performance.now() - t0;
  const { experts, planMs, trainMs } = await trainGroups(index, groups, o);
  const draft: ManifestDraft = {
    parent: base.version,
    tokenizer: base.tokenizer,
    routing: base.routing,
    encoding: base.encoding,
    params: base.params,
    calibration: { ...base.calibration, thresholds: { ...base.calibration.thresholds } },
    indistinct: [...(base.indistinct ?? []), ...index.indistinctGroups(added)],
    sizeSignatures: { ...base.sizeSignatures, ...labelSizeSignatures(samples, new Set(added)) },
    training: {
      samples: samples.length,
      ms: 0,
      expertsTrained: experts.length,
      expertsReused: base.experts.length,
    },
  };
  const c0 = performance.now();
  if (o.validation?.length) {
    // Only the new experts are scored: old labels keep the thresholds they were calibrated with.
    const keys = new Set([...added, ...added.map(packageOf)]);
    const fitted = await calibrateThresholds(provisional(draft, experts), o.validation, keys);
    Object.assign(draft.calibration.thresholds, fitted);
  }
  const calibrateMs = performance.now() - c0;
  draft.training.ms = Math.round(performance.now() - t0);
  const manifest = await publishTrained(
    store,
    { draft, experts, timings: { planMs, trainMs, calibrateMs } },
    {
      base,
      makeCurrent: opts.makeCurrent,
    },
  );
  return { manifest, added, timings: { planMs: planMs + indexMs, trainMs, calibrateMs } };
}

/** Training options from the `model` section of the configuration (config/schema.ts). */
export function trainOptionsFromConfig(m: {
  routing: RoutingStrategy;
  groupSize: number;
  encoding: FeatureEncoding;
  rounds: number;
  maxDepth: number;
  eta: number;
  hardNegatives: number;
  randomNegatives: number;
  trainWorkers?: number;
}): Partial<TrainOptions> {
  return {
    routing: m.routing,
    groupSize: m.groupSize,
    encoding: m.encoding,
    params: { ...DEFAULT_BOOSTER_PARAMS, rounds: m.rounds, maxDepth: m.maxDepth, eta: m.eta },
    hardNegatives: m.hardNegatives,
    randomNegatives: m.randomNegatives,
    workers: m.trainWorkers,
  };
}

/**
 * A new version with the same experts (same artifacts) and calibration fitted again on `validation`:
 * per-label thresholds and their floors. For a model trained without held-out data, or new held-out data.
 */
export async function recalibrate(
  store: ObjectStore,
  version: string | undefined,
  validation: readonly Tagset[],
  opts: { makeCurrent?: boolean } = {},
): Promise<ModelManifest> {
  if (validation.length === 0) throw new BadInputError('recalibration needs held-out samples');
  const base = await getManifest(store, version);
  const experts = await Promise.all(
    base.experts.map(async (e) => new LoadedExpert(e.id, await getExpert(store, e))),
  );
  const manifest: ModelManifest = { ...base, calibration: { ...base.calibration, thresholds: {} } };
  delete manifest.calibration.minThreshold;
  delete manifest.calibration.minPackageThreshold;
  delete manifest.calibration.requirePackage;
  delete manifest.calibration.minPackageCoverage;
  delete manifest.calibration.packageCoverage;
  const keys = new Set([...base.labels, ...base.labels.map(packageOf)]);
  const thresholds = await calibrateThresholds(new Model(manifest, experts), validation, keys);
  manifest.calibration.thresholds = thresholds;
  const floors = await tuneFloors(new Model(manifest, experts), validation);
  const { schema: _s, version: _v, created: _c, experts: _e, labels: _l, ...draft } = base;
  return publishModel(
    store,
    {
      ...draft,
      parent: base.version,
      calibration: withMergeSettings({ ...base.calibration, thresholds }, floors),
      training: { ...base.training, expertsTrained: 0, expertsReused: base.experts.length },
    },
    base.experts,
    // Every one of them was just read.
    { ...opts, stored: new Set(base.experts.map((e) => e.key)) },
  );
}
