import { loadDataset, trainingSplits, type Dataset } from '../collect/dataset';
import { BadInputError } from '../errors';
import type { ObjectStore } from '../store/object-store';
import { evaluate, type EvalReport } from '../../models/evaluate';
import { loadModel } from '../../models/model';
import { currentVersion, getManifest, rollback } from '../../models/registry';
import type { RoutingStrategy } from '../../models/routing';
import { publishTrained, trainAdd, trainFull } from '../../models/train';

export type RetrainMode = 'add' | 'full';

export interface CandidateInput {
  mode: RetrainMode;
  /** A dataset directory the training worker can read (praxi.dataset/v1). */
  data: string;
  /** Base version for `add` (default: current). */
  baseVersion?: string;
  routing?: RoutingStrategy;
  groupSize?: number;
}

export interface Candidate {
  version: string;
  parent?: string;
  added: number;
  labels: number;
  experts: number;
  trainMs: number;
}

const datasets = new Map<string, Promise<Dataset>>();
/** A dataset (or only its test split: what evaluation needs), loaded once per worker. */
function dataset(dir: string, split?: 'test'): Promise<Dataset> {
  const key = `${split ?? 'all'}\n${dir}`;
  let d = datasets.get(key);
  if (!d) {
    d = loadDataset(dir, split ? { split } : {});
    d.catch(() => datasets.delete(key));
    datasets.set(key, d);
  }
  return d;
}

/** Trains a candidate version and stores it without making it current: the retrain workflow decides. */
export async function trainCandidate(store: ObjectStore, input: CandidateInput): Promise<Candidate> {
  const { train, validation } = trainingSplits(await dataset(input.data));
  if (train.length === 0) throw new BadInputError(`${input.data} has no training samples`);
  const t0 = Date.now();
  if (input.mode === 'add') {
    const r = await trainAdd(store, input.baseVersion, [...train, ...validation], {
      makeCurrent: false,
      validation,
      ...(input.routing ? { routing: input.routing } : {}),
      ...(input.groupSize ? { groupSize: input.groupSize } : {}),
    });
    return {
      version: r.manifest.version,
      parent: r.manifest.parent,
      added: r.added.length,
      labels: r.manifest.labels.length,
      experts: r.manifest.experts.length,
      trainMs: Date.now() - t0,
    };
  }
  const trained = await trainFull(train, {
    validation,
    ...(input.routing ? { routing: input.routing } : {}),
    ...(input.groupSize ? { groupSize: input.groupSize } : {}),
  });
  const m = await publishTrained(store, trained, { makeCurrent: false });
  return {
    version: m.version,
    parent: m.parent,
    added: m.labels.length,
    labels: m.labels.length,
    experts: m.experts.length,
    trainMs: Date.now() - t0,
  };
}

export interface EvalSummary {
  version: string;
  samples: number;
  versionMicroF1: number;
  packageMicroF1: number;
  multiVersionMicroF1: number;
  singleVersionMicroF1: number;
  baseFindingsPerLayer: number;
}

export function summarizeEval(r: EvalReport): EvalSummary {
  return {
    version: r.model,
    samples: r.samples,
    versionMicroF1: r.all.version.micro.f1,
    packageMicroF1: r.all.package.micro.f1,
    multiVersionMicroF1: r.multi.version.micro.f1,
    singleVersionMicroF1: r.single.version.micro.f1,
    baseFindingsPerLayer: r.base.findingsPerLayer,
  };
}

/**
 * Scores a version on the held-out split. With `onlyLabels`, samples are restricted to those whose labels
 * all belong to that set (a candidate is compared with its base on the labels both know).
 */
export async function evaluateVersion(
  store: ObjectStore,
  version: string,
  data: string,
  onlyLabels?: string[],
): Promise<EvalSummary> {
  const { test } = trainingSplits(await dataset(data, 'test'));
  const keep = onlyLabels ? new Set(onlyLabels) : undefined;
  const samples = keep ? test.filter((s) => (s.labels ?? []).every((l) => keep.has(l))) : test;
  return summarizeEval(evaluate(await loadModel(store, version), samples));
}

export async function promoteVersion(
  store: ObjectStore,
  version: string,
): Promise<{ previous?: string; current: string }> {
  const previous = await currentVersion(store);
  await rollback(store, version);
  return { previous, current: version };
}

export async function labelsOf(store: ObjectStore, version?: string): Promise<string[]> {
  return (await getManifest(store, version)).labels;
}
