/**
 * bench/infer: per-layer inference latency (p50/p99, warm), cold load time of the whole model, and the
 * peak RSS of a process that does only what an inference worker does (loads the model, reads each layer's
 * tagset JSON, predicts), on the model bench/train published. Also one booster through the WASM path,
 * the native tree evaluator and the folded form the engine runs (the reason inference does not use
 * WASM), and Praxi-Pipeline's published per-layer step time as a reference line.
 *
 *   node dist/bench/infer.js --store DIR [--layers 2000] [--data DATASET_DIR]
 *
 * With --data, the layers are that dataset's test split (e.g. the shipped model installed into DIR with
 * `praxi --store DIR models install-pretrained`, measured on models/dataset).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset, trainingSplits } from '../activities/collect/dataset';
import { LocalStore } from '../activities/store';
import type { Tagset } from '../activities/tagging/tagset';
import { loadModel } from '../models/model';
import { makeRng } from '../models/synthetic';
import { MISSING, XGBoostWasm } from '../models/xgboost/booster';
import { parseBooster } from '../models/xgboost/model-format';
import { CompiledEnsemble, ensembleFromBooster, sigmoid } from '../models/xgboost/trees';
import { benchWorld } from './train-world';

const REF_STEP_S = 22; // Praxi-Pipeline: one pipeline step for one layer, mostly unzipping and loading models

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const pct = (xs: number[], q: number) =>
  xs.length ? xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] : NaN;
const mb = (b: number) => (b / 1024 / 1024).toFixed(0);

async function childLoad(dir: string): Promise<void> {
  const t0 = performance.now();
  const model = await loadModel(new LocalStore(dir));
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, experts: model.experts.length, rss: process.memoryUsage().rss }));
}

/**
 * An inference worker's footprint: the model plus one layer at a time, read from its JSON as the
 * inference activity reads a tagset from the store. The bench's own process holds the whole test split,
 * so its RSS says little about a worker's.
 */
async function childInfer(dir: string, layersDir: string): Promise<void> {
  const model = await loadModel(new LocalStore(dir));
  let findings = 0;
  for (const f of readdirSync(layersDir)) {
    const tagset = JSON.parse(readFileSync(path.join(layersDir, f), 'utf8')) as Tagset;
    findings += model.predict(tagset).length;
  }
  console.log(JSON.stringify({ findings, maxRss: process.resourceUsage().maxRSS * 1024 }));
}

/**
 * One booster of typical size through three paths: WASM predict (a DMatrix per row), the native tree
 * evaluator, and the folded form the scoring engine runs (depth-1 trees as `empty + Σ delta[present]`).
 */
async function wasmVersusNative(): Promise<{
  wasmUs: number;
  nativeUs: number;
  foldedUs: number;
  maxDiff: number;
}> {
  const r = makeRng(5);
  const rows = 200;
  const cols = 120;
  const data = new Float32Array(rows * cols).fill(MISSING);
  for (let i = 0; i < data.length; i++) if (r() < 0.2) data[i] = 1;
  const y = Float32Array.from({ length: rows }, (_, i) => (data[i * cols + 3] === 1 || i < 10 ? 1 : 0));
  const xgb = await XGBoostWasm.open();
  const b = xgb.train({ rows, cols, data }, y);
  const native = new CompiledEnsemble(ensembleFromBooster(parseBooster(b.save())));
  const reps = 20;
  let t0 = performance.now();
  let wasm: Float32Array = new Float32Array(0);
  for (let k = 0; k < reps; k++) wasm = b.predict({ rows, cols, data });
  const wasmUs = ((performance.now() - t0) * 1000) / (reps * rows);
  const x = new Float64Array(native.features.length);
  const out = new Float64Array(rows);
  t0 = performance.now();
  for (let k = 0; k < reps; k++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < x.length; j++) {
        const v = data[i * cols + native.features[j]];
        x[j] = v === MISSING ? NaN : v;
      }
      out[i] = native.probability(x);
    }
  }
  const nativeUs = ((performance.now() - t0) * 1000) / (reps * rows);
  b.free();
  const lin = native.linearized();
  if (!lin) throw new Error('bench booster is not depth-1');
  // The engine walks the layer's present tags only; here, the present columns of each row.
  const present = Array.from({ length: rows }, (_, i) =>
    Int32Array.from(
      Array.from(native.features).flatMap((c, j) => (data[i * cols + c] === MISSING ? [] : [j])),
    ),
  );
  const folded = new Float64Array(rows);
  t0 = performance.now();
  for (let k = 0; k < reps; k++) {
    for (let i = 0; i < rows; i++) {
      let m = lin.empty;
      const p = present[i];
      for (let q = 0; q < p.length; q++) m += lin.delta[p[q]];
      folded[i] = sigmoid(m);
    }
  }
  const foldedUs = ((performance.now() - t0) * 1000) / (reps * rows);
  let maxDiff = 0;
  for (let i = 0; i < rows; i++)
    maxDiff = Math.max(maxDiff, Math.abs(out[i] - wasm[i]), Math.abs(folded[i] - wasm[i]));
  return { wasmUs, nativeUs, foldedUs, maxDiff };
}

async function main(): Promise<void> {
  if (arg('child-load')) return childLoad(arg('child-load') as string);
  if (arg('child-infer')) return childInfer(arg('child-infer') as string, arg('layers-dir') as string);
  const dir = arg('store');
  if (!dir) throw new Error('--store DIR (a store bench/train published into) is required');
  const data = arg('data', '');
  const limit = Number(arg('layers', '2000'));

  const cold: { ms: number; experts: number; rss: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const out = execFileSync(process.execPath, [__filename, '--child-load', dir], { encoding: 'utf8' });
    cold.push(JSON.parse(out.trim().split('\n').pop() as string));
  }
  cold.sort((a, b) => a.ms - b.ms);
  const experts = cold[0].experts;
  console.log(
    `cold load of the whole model (${experts} experts, fresh process, median of 3): ${cold[1].ms.toFixed(0)} ms; RSS after load ${mb(cold[1].rss)} MB`,
  );

  // Layers: the test split of a real dataset (--data), or of the synthetic world bench/train made.
  const all: Tagset[] = data
    ? trainingSplits(await loadDataset(path.resolve(data), { split: 'test' })).test
    : benchWorld(
        JSON.parse(readFileSync(path.join(dir, 'bench-world.json'), 'utf8')) as {
          seed: number;
          packages: number;
        },
      ).test();
  // An even sample of the test split, so base-image layers (generated last) are in it too.
  const step = Math.max(1, Math.ceil(all.length / limit));
  const layers = all.filter((_, i) => i % step === 0);
  const model = await loadModel(new LocalStore(dir));
  for (const l of layers.slice(0, 200)) model.predict(l); // warm-up: JIT and caches
  const times: number[] = [];
  const cpu: number[] = [];
  const baseTimes: number[] = [];
  let selected = 0;
  for (const l of layers) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    model.predict(l);
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    times.push(dt);
    cpu.push((c.user + c.system) / 1000);
    if (!l.labels?.length) baseTimes.push(dt);
    selected += model.select(l).length;
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  baseTimes.sort((a, b) => a - b);
  console.log(
    `warm inference, ${layers.length} layers, ${experts} experts: p50 ${pct(times, 0.5).toFixed(2)} ms, p99 ${pct(times, 0.99).toFixed(2)} ms, ` +
      `mean selected experts ${(selected / layers.length).toFixed(1)}; base-image layers p50 ${pct(baseTimes, 0.5).toFixed(2)} ms`,
  );
  // On a shared machine wall-clock tails are mostly time spent waiting for a core; CPU time is not.
  console.log(
    `  CPU time per layer (excludes waiting for a core; ~1 ms resolution on some kernels): p50 ${pct(cpu, 0.5).toFixed(2)} ms, p99 ${pct(cpu, 0.99).toFixed(2)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores`,
  );
  const layersDir = mkdtempSync(path.join(os.tmpdir(), 'praxi-bench-infer-'));
  try {
    layers.forEach((l, i) => writeFileSync(path.join(layersDir, `${i}.json`), JSON.stringify(l)));
    const out = execFileSync(
      process.execPath,
      [__filename, '--child-infer', dir, '--layers-dir', layersDir],
      {
        encoding: 'utf8',
      },
    );
    const w = JSON.parse(out.trim().split('\n').pop() as string) as { findings: number; maxRss: number };
    console.log(
      `inference worker (fresh process: the model, then the ${layers.length} layers one at a time from JSON): peak RSS ${mb(w.maxRss)} MB; ` +
        `this bench process, holding the whole split: RSS ${mb(process.memoryUsage().rss)} MB`,
    );
  } finally {
    rmSync(layersDir, { recursive: true, force: true });
  }
  const v = await wasmVersusNative();
  console.log(
    `one booster (100 trees), per row: WASM ${v.wasmUs.toFixed(1)} µs, native trees ${v.nativeUs.toFixed(2)} µs, folded as the engine runs it ${v.foldedUs.toFixed(2)} µs ` +
      `(${(v.wasmUs / v.foldedUs).toFixed(0)}× WASM; max |Δ| against WASM ${v.maxDiff.toExponential(1)})`,
  );
  console.log('reference lines (Praxi-Pipeline, published):');
  console.log(
    `  one pipeline step for one layer: ${REF_STEP_S} s → warm p50 here ${(pct(times, 0.5) / 1000).toFixed(4)} s (${((REF_STEP_S * 1000) / pct(times, 0.5)).toFixed(0)}×); cold load ${(cold[1].ms / 1000).toFixed(2)} s`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
