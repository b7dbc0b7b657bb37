/**
 * Trains the shipped model from the committed dataset (models/dataset) into models/pretrained/store
 * (object-store key layout, experts gzipped as NAME.gz, which `praxi models install-pretrained` reads),
 * and prints its evaluation on the dataset's held-out test split.
 *
 *   node dist/models/pretrained/build.js [--out DIR] [--data DATASET_DIR]
 *
 * Calibration needs held-out data that is not the test split: trainingSplits (activities/collect/dataset.ts)
 * moves one sample of every label with three or more training samples from train to validation.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset, trainingSplits } from '../../activities/collect/dataset';
import { LocalStore } from '../../activities/store';
import { evaluate, formatEvalReport } from '../evaluate';
import { loadModel } from '../model';
import { publishTrained, trainFull } from '../train/index';
import { withoutVersionedTags } from '../train/plan';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--out');
  const out = i >= 0 ? process.argv[i + 1] : path.join(__dirname, '..', '..', '..', 'models', 'pretrained');
  const d = process.argv.indexOf('--data');
  const ds = await loadDataset(d >= 0 ? process.argv[d + 1] : undefined);
  const { train, validation, test } = trainingSplits(ds);
  console.log(`dataset: ${train.length} train, ${validation.length} validation, ${test.length} test samples`);
  const t0 = performance.now();
  const trained = await trainFull(train, { validation });
  const trainS = (performance.now() - t0) / 1000;
  const storeDir = path.join(out, 'store');
  rmSync(storeDir, { recursive: true, force: true });
  const store = new LocalStore(storeDir);
  const manifest = await publishTrained(store, trained);
  const model = await loadModel(store, manifest.version);
  const report = evaluate(model, test);
  // The same test layers with their package records deleted: what praxi sees in images built to hide them.
  const stripped = evaluate(
    model,
    test
      .filter((t) => t.labels?.length)
      .map(({ declaredVersions: _records, ...t }) => ({ ...t, tags: withoutVersionedTags(t.tags, t.labels ?? []) })),
  );
  // Experts compress well (repeated tags and tree arrays): ship them gzipped.
  const expertsDir = path.join(storeDir, 'models', 'experts', 'sha256');
  let bytes = 0;
  for (const f of readdirSync(expertsDir)) {
    const p = path.join(expertsDir, f);
    const gz = gzipSync(readFileSync(p), { level: 9 });
    writeFileSync(`${p}.gz`, gz);
    rmSync(p);
    bytes += gz.length;
  }
  const summary = {
    version: manifest.version,
    labels: manifest.labels.length,
    experts: manifest.experts.length,
    routing: manifest.routing,
    trainSeconds: Math.round(trainS),
    timings: trained.timings,
    compressedBytes: bytes,
    calibration: { ...manifest.calibration, thresholds: undefined },
    indistinct: manifest.indistinct?.length ?? 0,
    samples: { train: train.length, validation: validation.length, test: test.length },
    report,
    recordsDeleted: stripped,
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'training-summary.json'), JSON.stringify(summary, null, 1) + '\n');
  console.log(`trained ${manifest.experts.length} experts, ${manifest.labels.length} labels in ${trainS.toFixed(0)} s; ${(bytes / 1e6).toFixed(1)} MB gzipped`);
  console.log(formatEvalReport(report));
  console.log('\nthe same test layers with their package records deleted:');
  console.log(formatEvalReport(stripped));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
