import type { ObjectStore } from '../store/object-store';
import { getJson } from '../store/object-store';
import type { Tagset } from '../tagging/tagset';
import { loadModel, type Model } from '../../models/model';
import { currentVersion } from '../../models/registry';
import type { ExpertBatch, ExpertScore, Finding } from './scan-types';

/** Experts per inference activity: big enough that a typical layer needs one or two, small enough to spread. */
export const DEFAULT_BATCH_SIZE = 256;

/**
 * The model version a scan uses: the pinned one, else the store's current one, else NO_MODEL: a store with
 * no model still gets scans with findings from package records (evidence `metadata`), and the report
 * says `modelVersion: "none"`.
 */
export async function resolveModelVersion(store: ObjectStore, pinned?: string): Promise<string> {
  if (pinned) return pinned;
  return (await currentVersion(store)) ?? NO_MODEL;
}

export const NO_MODEL = 'none';

/** The experts each layer reaches through the selector, cut into batches for fan-out. */
export async function selectExperts(
  store: ObjectStore,
  modelVersion: string,
  layers: Array<{ index: number; tagsetKey: string }>,
  batchSize = DEFAULT_BATCH_SIZE,
): Promise<ExpertBatch[]> {
  if (modelVersion === NO_MODEL) return [];
  const model = await loadModel(store, modelVersion);
  const batches: ExpertBatch[] = [];
  for (const layer of layers) {
    const tagset = await getJson<Tagset>(store, layer.tagsetKey);
    const experts = model.select(tagset);
    for (let i = 0; i < experts.length; i += batchSize) {
      batches.push({
        layerIndex: layer.index,
        tagsetKey: layer.tagsetKey,
        experts: experts.slice(i, i + batchSize),
      });
    }
  }
  return batches;
}

/**
 * Runs a batch of experts on one layer and keeps only the outputs merging can use (Model.candidates),
 * so history stays small. A batch never splits an expert, which is what that filter needs.
 */
export async function runExperts(
  store: ObjectStore,
  modelVersion: string,
  batch: ExpertBatch,
): Promise<ExpertScore[]> {
  const model = await loadModel(store, modelVersion);
  const tagset = await getJson<Tagset>(store, batch.tagsetKey);
  return model
    .candidates(model.predictExperts(tagset, batch.experts))
    .map((r) => ({ label: r.label, level: r.level, expert: r.expert, margin: r.margin }));
}

/** Calibration and arbitration across all experts' candidates for one layer. */
export async function mergeLayer(
  store: ObjectStore,
  model: Model,
  tagsetKey: string,
  scores: ExpertScore[],
): Promise<Finding[]> {
  const tagset = await getJson<Tagset>(store, tagsetKey);
  return model.merge(scores, tagset).map((p) => ({
    ecosystem: p.ecosystem,
    name: p.name,
    version: p.version,
    score: round(p.score),
    evidence: 'ml' as const,
    expert: p.expert,
    ...(p.versionUncertain
      ? {
          versionUncertain: true as const,
          alternatives: (p.alternatives ?? []).map((version) => ({ version, score: 0 })),
        }
      : {}),
  }));
}

export function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
