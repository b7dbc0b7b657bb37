import { BadInputError } from '../errors';
import type { ObjectStore } from '../store/object-store';
import { getJson } from '../store/object-store';
import type { Tagset } from '../tagging/tagset';
import { loadModel, type Model } from '../../models/model';
import { currentVersion } from '../../models/registry';
import { logit } from '../../models/xgboost/trees';
import { DEFAULT_THRESHOLD, type RawScore } from '../../models/merge';
import { packageOf } from '../../models/label';
import type { ExpertBatch, ExpertScore, Finding } from './scan-types';

/** Experts per inference activity: big enough that a typical layer needs one or two, small enough to spread. */
export const DEFAULT_BATCH_SIZE = 256;

export async function resolveModelVersion(store: ObjectStore, pinned?: string): Promise<string> {
  if (pinned) return pinned;
  const v = await currentVersion(store);
  if (!v) {
    throw new BadInputError(
      `no model published in ${store.location}: run \`praxi models install-pretrained\` or \`praxi train full DATA\``,
    );
  }
  return v;
}

/** The experts each layer reaches through the selector, cut into batches for fan-out. */
export async function selectExperts(
  store: ObjectStore,
  modelVersion: string,
  layers: Array<{ index: number; tagsetKey: string }>,
  batchSize = DEFAULT_BATCH_SIZE,
): Promise<ExpertBatch[]> {
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
 * Runs a batch of experts on one layer and keeps only the outputs merging can use, so history stays
 * small: boosters that clear their calibrated threshold, plus the versions of a package whose package
 * booster clears its own (merging then picks the best of those versions). An expert holds its packages'
 * package boosters beside their versions, and a batch never splits an expert, so the filter sees both.
 */
export async function runExperts(
  store: ObjectStore,
  modelVersion: string,
  batch: ExpertBatch,
): Promise<ExpertScore[]> {
  const model = await loadModel(store, modelVersion);
  const tagset = await getJson<Tagset>(store, batch.tagsetKey);
  const thresholds = model.manifest.calibration.thresholds;
  const passes = (r: RawScore) => r.margin >= logit(thresholds[r.label] ?? DEFAULT_THRESHOLD);
  const raw = model.predictExperts(tagset, batch.experts);
  const packagesUp = new Set(
    raw.filter((r) => r.level === 'package' && passes(r)).map((r) => `${r.expert}\0${r.label}`),
  );
  return raw
    .filter(
      (r) => passes(r) || (r.level === 'version' && packagesUp.has(`${r.expert}\0${packageOf(r.label)}`)),
    )
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
  }));
}

export function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
