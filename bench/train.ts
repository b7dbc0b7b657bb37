/**
 * bench/train: full training versus incremental training, in the same run, on the synthetic world
 * (bench/train-world.ts). Prints wall times, the evaluation table, and ratios against Praxi-Pipeline's
 * published figures (reference lines, not measured here).
 *
 *   node dist/bench/train.js [--packages 1000] [--store DIR] [--routing verpak|nover|clustering] [--group-size 3] [--reuse]
 *   node dist/bench/train.js --data models/dataset [--hold-out pypi:requests]   (real data instead of synthetic)
 *
 * The store DIR (default a temp dir) keeps the published model for bench/infer.
 */
import { loadDataset, trainingSplits } from '../activities/collect/dataset';
import type { Tagset } from '../activities/tagging/tagset';
import { packageOf } from '../models/label';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStore } from '../activities/store';
import { evaluate, formatEvalReport } from '../models/evaluate';
import { loadModel } from '../models/model';
import type { RoutingStrategy } from '../models/routing';
import { currentVersion, getManifest, type ModelManifest, rollback } from '../models/registry';
import { publishTrained, trainAdd, trainFull } from '../models/train/index';
import { TrainingPool } from '../models/train/pool';
import { benchWorld } from './train-world';

/** Praxi-Pipeline's published figures. */
const REF = {
  fullTrainS: 9806,
  addTrainS: 0.1,
  multiF1Experts: 0.815,
  multiF1One: 0.864,
  singleF1Experts: 0.927,
};

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

async function main(): Promise<void> {
  const packages = Number(arg('packages', '1000'));
  const routing = arg('routing', 'verpak') as RoutingStrategy;
  const groupSize = Number(arg('group-size', '3'));
  const dir = arg('store', mkdtempSync(path.join(os.tmpdir(), 'praxi-bench-train-')));
  mkdirSync(dir, { recursive: true });
  const seed = 11;
  let t = performance.now();
  const data = arg('data', '');
  const { train, validation, test, extraTrain, extraTest } = data
    ? await realData(data, arg('hold-out', 'pypi:requests'))
    : syntheticData(seed, packages);
  console.log(
    `${data ? `dataset ${data}` : 'synthetic data'}: ${new Set(train.flatMap((s) => s.labels ?? [])).size} labels, ${train.length} training / ${validation.length} validation / ${test.length} test samples, loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  const store = new LocalStore(dir);
  const pool = new TrainingPool();
  let manifest: ModelManifest;
  let fullS: number;
  const existing = process.argv.includes('--reuse') ? await currentVersion(store) : undefined;
  if (existing) {
    // --reuse: measure incremental training and evaluation against a model an earlier run trained.
    manifest = await getManifest(store, existing);
    fullS = manifest.training.ms / 1000;
    console.log(`reusing ${existing}: full training took ${fullS.toFixed(1)} s when it was trained`);
  } else {
    t = performance.now();
    const trained = await trainFull(train, { routing, groupSize, validation, pool });
    fullS = (performance.now() - t) / 1000;
    manifest = await publishTrained(store, trained);
    const bytes = trained.experts.reduce((a, e) => a + e.bytes.length, 0);
    console.log(
      `full training: ${manifest.experts.length} experts (${routing}, group ${groupSize}), ${manifest.labels.length} labels in ${fullS.toFixed(1)} s ` +
        `(plan ${(trained.timings.planMs / 1000).toFixed(1)} s, boosters ${(trained.timings.trainMs / 1000).toFixed(1)} s, calibration ${(trained.timings.calibrateMs / 1000).toFixed(1)} s; ${pool.size} threads); artifacts ${(bytes / 1e6).toFixed(1)} MB`,
    );
    writeFileSync(
      path.join(dir, 'bench-world.json'),
      JSON.stringify({ seed, packages, version: manifest.version }),
    );
  }
  const model = await loadModel(store, manifest.version);
  const before = evaluate(model, test);
  console.log(formatEvalReport(before));

  t = performance.now();
  const add = await trainAdd(store, manifest.version, [...extraTrain, ...train], { pool });
  const addS = (performance.now() - t) / 1000;
  await pool.close();
  const after = await loadModel(store, add.manifest.version);
  const oldAfter = evaluate(after, test);
  const extra = evaluate(after, extraTest);
  console.log(
    `incremental: +${add.added.length} labels (${add.added.join(', ')}): training ${((add.timings.planMs + add.timings.trainMs) / 1000).toFixed(2)} s ` +
      `(planning ${(add.timings.planMs / 1000).toFixed(2)} s, boosters ${(add.timings.trainMs / 1000).toFixed(2)} s), ` +
      `${addS.toFixed(2)} s wall with reading the base manifest and publishing; reused ${add.manifest.training.expertsReused} experts`,
  );
  console.log(
    `old labels version micro-F1 ${before.all.version.micro.f1.toFixed(4)} → ${oldAfter.all.version.micro.f1.toFixed(4)} (Δ ${(oldAfter.all.version.micro.f1 - before.all.version.micro.f1).toFixed(4)}); new labels version F1 ${extra.all.version.micro.f1.toFixed(3)}, package F1 ${extra.all.package.micro.f1.toFixed(3)}`,
  );
  console.log('reference lines (Praxi-Pipeline, published):');
  console.log(
    `  full retrain ${REF.fullTrainS} s (3,000 labels) → ratio ${(REF.fullTrainS / fullS).toFixed(1)}× faster here`,
  );
  console.log(
    `  add one package ≈ ${REF.addTrainS} s → here boosters ${(add.timings.trainMs / 1000).toFixed(2)} s, wall ${addS.toFixed(2)} s`,
  );
  console.log(`  full / incremental in this run: ${(fullS / addS).toFixed(0)}×`);
  console.log(
    `  multi-label F1 ${REF.multiF1Experts} (1,000 experts) / ${REF.multiF1One} (one model) → here version ${before.multi.version.micro.f1.toFixed(3)}, package ${before.multi.package.micro.f1.toFixed(3)}`,
  );
  console.log(
    `  single-label F1 ${REF.singleF1Experts} (1,000 experts) → here version ${before.single.version.micro.f1.toFixed(3)}`,
  );
  // bench/infer measures the full model (the incremental version differs by one expert).
  await rollback(store, manifest.version);
  console.log(`store: ${dir} (bench/infer --store ${dir})`);
}

type Split = Record<'train' | 'validation' | 'test' | 'extraTrain' | 'extraTest', Tagset[]>;

function syntheticData(seed: number, packages: number): Split {
  const w = benchWorld({ seed, packages });
  return {
    train: w.train(),
    validation: w.validation(),
    test: w.test(),
    extraTrain: w.extraTrain(),
    extraTest: w.extraTest(),
  };
}

/**
 * A real dataset (praxi.dataset/v1) with one package held back for the incremental step: the model is
 * trained without it, then it is added. Layers that hold it as a dependency stay out of the old model's
 * data too, so nothing of it is seen before the add.
 */
async function realData(dir: string, pkg: string): Promise<Split> {
  const s = trainingSplits(await loadDataset(path.resolve(dir)));
  const isPkg = (l: string) => packageOf(l) === pkg;
  const holds = (t: Tagset) => (t.labels ?? []).some(isPkg);
  const touches = (t: Tagset) => holds(t) || (t.also ?? []).some(isPkg);
  const split: Split = {
    train: s.train.filter((t) => !touches(t)),
    validation: s.validation.filter((t) => !touches(t)),
    test: s.test.filter((t) => !touches(t)),
    extraTrain: [...s.train, ...s.validation].filter(holds),
    extraTest: s.test.filter(holds),
  };
  if (split.extraTrain.length === 0) throw new Error(`${dir} has no training samples of ${pkg}`);
  return split;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
