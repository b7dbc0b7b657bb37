import { PraxiError } from '../../activities/errors';

/**
 * The raw emscripten module shipped by ml-xgboost (XGBoost 0.7 compiled to WASM). We call its C exports
 * directly instead of the package's `train()`: that one copies the matrix onto a 5 MiB stack and fails
 * beyond ~1,200×1,000 cells, whereas matrices placed with `_malloc` can use the whole 2 GiB heap.
 */
export interface RawXGBoostModule {
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  /** (data*, labels*, rows, cols) → model handle; cells equal to -1 are missing. */
  _create_model(data: number, labels: number, rows: number, cols: number): number;
  _train_full_model(model: number, rounds: number): void;
  /** (model, row*, cols, out*) → number of floats written to out. */
  _predict_one(model: number, row: number, cols: number, out: number): number;
  _prediction_size(model: number, row: number, cols: number): number;
  /** Serializes the model to the module's in-memory file; returns its size, -1 on failure. */
  _save_model(model: number): number;
  _get_file_content(dst: number, size: number): void;
  _load_model(src: number, size: number): number;
  _free_memory_model(model: number): void;
  ccall(name: string, ret: null, argTypes: string[], args: unknown[]): void;
  printErr: (msg: string) => void;
  print: (msg: string) => void;
  isReady: Promise<RawXGBoostModule>;
}

let loading: Promise<RawXGBoostModule> | undefined;

/**
 * One module per thread (its heap is per instance). Loaded once and reused: instantiating costs ~100 ms.
 * The module tries streaming compilation through `fetch` of a file path first, which always fails under
 * Node and logs two lines; we silence its log hooks since every failure we care about is raised as an error.
 */
export function loadXGBoostModule(): Promise<RawXGBoostModule> {
  if (!loading) {
    loading = (async () => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require('ml-xgboost/dist/wasm/xgboost') as RawXGBoostModule;
        mod.printErr = () => {};
        mod.print = () => {};
        return await mod.isReady;
      } catch (e) {
        loading = undefined;
        throw new PraxiError('MODEL_ERROR', `cannot load the XGBoost WASM module: ${String(e)}`, {
          cause: e,
        });
      }
    })();
  }
  return loading;
}
