import { PraxiError } from '../../activities/errors';
import { guard, xgboostError } from './errors';
import { loadXGBoostModule, type RawXGBoostModule } from './wasm-module';

/**
 * XGBoost's missing value in this build is fixed at -1. Encoding an absent tag as -1 (instead of 0) makes
 * the matrix sparse inside XGBoost: the same trees, grown ~17× faster.
 */
export const MISSING = -1;

/** Row-major dense float32 matrix; absent cells hold MISSING. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface BoosterParams {
  objective: 'binary:logistic';
  rounds: number;
  maxDepth: number;
  eta: number;
  /** Fraction of rows sampled per round. The ml-xgboost wrapper defaults to 0.5; we default to 1 (deterministic). */
  subsample: number;
  minChildWeight: number;
  /**
   * Fraction of columns each round may split on (seeded, so deterministic). Below 1, a booster whose label
   * one tag separates perfectly still has to learn other tags in the rounds that tag is left out of, so
   * it keeps firing on a layer without that tag: a package installed without its dependencies, a layer
   * whose package records were deleted.
   */
  colsampleBytree: number;
  /** L2 regularization on leaf weights. */
  lambda: number;
  seed: number;
}

/**
 * Praxi-Pipeline's settings (100 rounds of depth-1 trees, eta 0.1, binary:logistic), with what measured
 * better on the validation split of the shipped dataset: min_child_weight 0.1 (a label has few samples)
 * and colsample_bytree 0.3 (see the model card for the side-by-side figures).
 */
export const DEFAULT_BOOSTER_PARAMS: BoosterParams = {
  objective: 'binary:logistic',
  rounds: 100,
  maxDepth: 1,
  eta: 0.1,
  subsample: 1,
  minChildWeight: 0.1,
  colsampleBytree: 0.3,
  lambda: 1,
  seed: 0,
};

/**
 * A typed adapter over the raw WASM module: every pointer it allocates is freed on every path, and every
 * native failure becomes a PraxiError(MODEL_ERROR). One instance per thread.
 */
export class XGBoostWasm {
  private constructor(private readonly m: RawXGBoostModule) {}

  static async open(): Promise<XGBoostWasm> {
    return new XGBoostWasm(await loadXGBoostModule());
  }

  /** Copies `floats` into a fresh heap allocation; the caller frees it. */
  private place(floats: Float32Array): number {
    const ptr = this.m._malloc(Math.max(4, floats.byteLength));
    if (!ptr)
      throw new PraxiError('MODEL_ERROR', `XGBoost heap exhausted allocating ${floats.byteLength} bytes`);
    // HEAPF32 is re-read after _malloc: a heap growth replaces the view.
    this.m.HEAPF32.set(floats, ptr >> 2);
    return ptr;
  }

  train(x: DenseMatrix, labels: Float32Array, params: Partial<BoosterParams> = {}): WasmBooster {
    const p = { ...DEFAULT_BOOSTER_PARAMS, ...params };
    if (x.rows === 0 || x.cols === 0) throw new PraxiError('MODEL_ERROR', 'cannot train on an empty matrix');
    if (x.data.length !== x.rows * x.cols)
      throw new PraxiError(
        'MODEL_ERROR',
        `matrix holds ${x.data.length} cells, expected ${x.rows}×${x.cols}`,
      );
    if (labels.length !== x.rows)
      throw new PraxiError('MODEL_ERROR', `${labels.length} labels for ${x.rows} rows`);
    if (!Number.isInteger(p.rounds) || p.rounds < 1)
      throw new PraxiError('MODEL_ERROR', 'rounds must be ≥ 1');
    let data = 0;
    let lab = 0;
    let handle = 0;
    try {
      data = this.place(x.data);
      lab = this.place(labels);
      handle = guard('create_model', () => this.m._create_model(data, lab, x.rows, x.cols));
      if (!handle) throw new PraxiError('MODEL_ERROR', 'XGBoost create_model returned no model');
      const set: Record<string, string | number> = {
        objective: p.objective,
        max_depth: p.maxDepth,
        eta: p.eta,
        subsample: p.subsample,
        min_child_weight: p.minChildWeight,
        colsample_bytree: p.colsampleBytree,
        lambda: p.lambda,
        seed: p.seed,
        silent: 1,
      };
      for (const [k, v] of Object.entries(set)) {
        guard(`set_param ${k}`, () =>
          this.m.ccall('set_param', null, ['number', 'string', 'string'], [handle, k, String(v)]),
        );
      }
      guard('train', () => this.m._train_full_model(handle, p.rounds));
      const booster = new WasmBooster(this.m, handle, x.cols);
      handle = 0;
      return booster;
    } catch (e) {
      throw xgboostError('training', e);
    } finally {
      // XGBoost copied the matrix into its own DMatrix: our buffers can go now.
      if (data) this.m._free(data);
      if (lab) this.m._free(lab);
      if (handle) this.m._free_memory_model(handle);
    }
  }

  /** Loads a booster saved with `WasmBooster.save()` (XGBoost 0.7 binary format). */
  load(bytes: Uint8Array, cols: number): WasmBooster {
    const ptr = this.m._malloc(Math.max(1, bytes.length));
    try {
      this.m.HEAPU8.set(bytes, ptr);
      const handle = guard('load_model', () => this.m._load_model(ptr, bytes.length));
      if (!handle) throw new PraxiError('MODEL_ERROR', 'XGBoost could not load the model bytes');
      return new WasmBooster(this.m, handle, cols);
    } finally {
      this.m._free(ptr);
    }
  }
}

/** A trained or loaded booster living in the WASM heap. It is not garbage collected: call free(). */
export class WasmBooster {
  private freed = false;

  constructor(
    private readonly m: RawXGBoostModule,
    private readonly handle: number,
    readonly cols: number,
  ) {}

  private alive(): void {
    if (this.freed) throw new PraxiError('MODEL_ERROR', 'booster used after free()');
  }

  /** Probabilities for every row (the WASM path builds one DMatrix per row, so this is slow by nature). */
  predict(x: DenseMatrix): Float32Array {
    this.alive();
    if (x.cols !== this.cols)
      throw new PraxiError('MODEL_ERROR', `booster expects ${this.cols} columns, got ${x.cols}`);
    const out = new Float32Array(x.rows);
    const row = this.m._malloc(Math.max(4, x.cols * 4));
    const res = this.m._malloc(16);
    try {
      for (let r = 0; r < x.rows; r++) {
        this.m.HEAPF32.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), row >> 2);
        const n = guard('predict', () => this.m._predict_one(this.handle, row, x.cols, res));
        if (n !== 1) throw new PraxiError('MODEL_ERROR', `expected one output per row, XGBoost gave ${n}`);
        out[r] = this.m.HEAPF32[res >> 2];
      }
      return out;
    } finally {
      this.m._free(row);
      this.m._free(res);
    }
  }

  /** XGBoost 0.7's binary model bytes (see model-format.ts). */
  save(): Buffer {
    this.alive();
    const size = guard('save_model', () => this.m._save_model(this.handle));
    if (size <= 0) throw new PraxiError('MODEL_ERROR', `XGBoost save_model failed (${size})`);
    const ptr = this.m._malloc(size);
    try {
      guard('get_file_content', () => this.m._get_file_content(ptr, size));
      return Buffer.from(this.m.HEAPU8.slice(ptr, ptr + size));
    } finally {
      this.m._free(ptr);
    }
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.m._free_memory_model(this.handle);
  }
}
