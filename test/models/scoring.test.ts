import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadedExpert } from '../../models/expert';
import { Model } from '../../models/model';
import type { ModelManifest } from '../../models/registry';
import { trainExpert } from '../../models/train/expert-training';
import { TrainingIndex } from '../../models/train/plan';
import { DEFAULT_TRAIN_OPTIONS } from '../../models/train/index';
import { routeLabels } from '../../models/routing';
import { vectorize } from '../../models/vectorize';
import { XGBoostWasm } from '../../models/xgboost/booster';
import { sigmoid } from '../../models/xgboost/trees';
import { smallWorld } from './fixtures';

/**
 * The inference engine (linearized stumps over a tag index) and the tree evaluator must give the
 * scores XGBoost's own WASM predictor gives for the same boosters, on layers none of them trained on.
 */
describe('inference engine equals the WASM path', () => {
  it('scores every booster of real experts like XGBoost does, on held-out layers', async () => {
    const w = smallWorld();
    const xgb = await XGBoostWasm.open();
    const index = new TrainingIndex(w.train);
    const groups = routeLabels(index.labels(), w.train, { strategy: 'verpak', groupSize: 3, seed: 1 }).slice(
      0,
      4,
    );
    const jobs = groups.map((g, i) => index.job(g, DEFAULT_TRAIN_OPTIONS, i));
    const experts = jobs.map((job, i) => new LoadedExpert(`e${i}`, trainExpert(xgb, job)));
    const manifest = {
      version: 'test',
      tokenizer: w.train[0].tokenizer,
      calibration: { thresholds: {}, extraVersionCoverage: 0.5 },
    } as unknown as ModelManifest;
    const model = new Model(manifest, experts);
    const layers = w.test;
    let compared = 0;
    let maxDiff = 0;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i];
      const x = vectorize(layers, job.vocabulary, job.encoding);
      // Training is deterministic (subsample 1), so retraining gives the expert's own boosters.
      const names = [...job.labels, ...job.packages];
      for (let k = 0; k < names.length; k++) {
        // Version boosters train on the first versionRows rows; package boosters on all (with the stripped copies).
        const rows = k < job.labels.length ? job.versionRows : job.matrix.rows;
        const matrix = {
          rows,
          cols: job.matrix.cols,
          data: job.matrix.data.subarray(0, rows * job.matrix.cols),
        };
        const booster = xgb.train(matrix, job.targets[k], job.params);
        const wasm = booster.predict(x);
        booster.free();
        layers.forEach((layer, r) => {
          const [engine] = model.predictExperts(layer, [`e${i}`]).filter((s) => s.label === names[k]);
          const tree = experts[i].margins(new Map(Object.entries(layer.tags)))[k];
          maxDiff = Math.max(
            maxDiff,
            Math.abs(sigmoid(engine.margin) - wasm[r]),
            Math.abs(sigmoid(tree) - wasm[r]),
          );
          compared++;
        });
      }
    }
    assert.ok(compared > 1000, `compared ${compared} scores`);
    assert.ok(maxDiff < 1e-5, `max |engine - wasm| = ${maxDiff}`);
  });
});
