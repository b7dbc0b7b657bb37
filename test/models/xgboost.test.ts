import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import { type DenseMatrix, MISSING, XGBoostWasm } from '../../models/xgboost/booster';
import { parseBooster } from '../../models/xgboost/model-format';
import { CompiledEnsemble, ensembleFromBooster } from '../../models/xgboost/trees';
// Deterministic, so a failure reproduces.
import { makeRng as rng } from '../../models/synthetic';

/** Sparse count rows whose label depends on a few columns, the shape of tag matrices. */
function makeData(rows: number, cols: number, seed: number): { x: DenseMatrix; y: Float32Array } {
  const r = rng(seed);
  const data = new Float32Array(rows * cols).fill(MISSING);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) if (r() < 0.2) data[i * cols + c] = 1 + Math.floor(r() * 5);
    const a = data[i * cols + 1] !== MISSING;
    const b = data[i * cols + 2] > 2;
    y[i] = (a && !b) || r() < 0.05 ? 1 : 0;
  }
  return { x: { rows, cols, data }, y };
}

function compactRow(x: DenseMatrix, r: number, features: Int32Array): Float64Array {
  const out = new Float64Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const v = x.data[r * x.cols + features[i]];
    out[i] = v === MISSING ? NaN : v;
  }
  return out;
}

describe('XGBoost WASM adapter', () => {
  it('trains, predicts, saves, loads and frees a booster', async () => {
    const xgb = await XGBoostWasm.open();
    const { x, y } = makeData(300, 20, 1);
    const b = xgb.train(x, y, { rounds: 30, maxDepth: 2 });
    const p = b.predict(x);
    let correct = 0;
    for (let i = 0; i < x.rows; i++) if (p[i] > 0.5 === (y[i] === 1)) correct++;
    assert.ok(correct / x.rows > 0.85, `training accuracy ${correct / x.rows}`);
    const bytes = b.save();
    const again = xgb.load(bytes, x.cols);
    assert.deepEqual(again.predict(x), p);
    b.free();
    again.free();
    assert.throws(
      () => b.predict(x),
      (e) => isPraxiError(e) && e.code === 'MODEL_ERROR',
    );
  });

  it('maps bad input and native failures to MODEL_ERROR', async () => {
    const xgb = await XGBoostWasm.open();
    const { x, y } = makeData(10, 4, 2);
    assert.throws(
      () => xgb.train(x, y.subarray(0, 5)),
      (e) => isPraxiError(e) && e.code === 'MODEL_ERROR' && /5 labels for 10 rows/.test(e.message),
    );
    // A booster name XGBoost does not know raises a dmlc::Error, which this build throws as a bare number.
    assert.throws(
      () => xgb.load(Buffer.from('definitely not a model'), 4),
      (e) => isPraxiError(e) && e.code === 'MODEL_ERROR' && !e.retryable,
    );
    assert.throws(
      () => parseBooster(Buffer.alloc(10)),
      (e) => isPraxiError(e) && /truncated/.test(e.message),
    );
  });
});

describe('native tree evaluator', () => {
  for (const depth of [1, 3]) {
    it(`scores equal the WASM path on random rows (depth ${depth})`, async () => {
      const xgb = await XGBoostWasm.open();
      const train = makeData(400, 30, 10 + depth);
      const b = xgb.train(train.x, train.y, { rounds: 100, maxDepth: depth, eta: 0.1 });
      const bytes = b.save();
      const parsed = parseBooster(bytes);
      assert.equal(parsed.trees.length, 100);
      assert.equal(parsed.objective, 'binary:logistic');
      const native = new CompiledEnsemble(ensembleFromBooster(parsed));
      const test = makeData(2000, 30, 99 + depth);
      const wasm = b.predict(test.x);
      b.free();
      let maxDiff = 0;
      const distinct = new Set<number>();
      for (let r = 0; r < test.x.rows; r++) {
        const s = native.probability(compactRow(test.x, r, native.features));
        maxDiff = Math.max(maxDiff, Math.abs(s - wasm[r]));
        distinct.add(wasm[r]);
      }
      assert.ok(distinct.size > 5, 'the test rows should reach many different leaves');
      assert.ok(maxDiff <= 1e-6, `max |native - wasm| = ${maxDiff}`);
    });
  }
});
