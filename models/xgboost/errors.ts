import { PraxiError } from '../../activities/errors';

/**
 * The WASM build has no C++ exception support: a `dmlc::Error` surfaces as a bare number (the thrown
 * object's address) and heap faults as a RuntimeError. Both become a typed, non-retryable MODEL_ERROR
 * that names the operation, so a caller never has to interpret a naked integer.
 */
export function xgboostError(operation: string, e: unknown): PraxiError {
  if (e instanceof PraxiError) return e;
  let what: string;
  if (typeof e === 'number') what = `native exception (code ${e})`;
  else if (e instanceof Error) what = e.message;
  else what = String(e);
  const hint = /out of bounds|memory/i.test(what)
    ? ' — the WASM heap (2 GiB) is too small for this matrix; train smaller experts'
    : '';
  return new PraxiError('MODEL_ERROR', `XGBoost ${operation} failed: ${what}${hint}`, { cause: e });
}

export function guard<T>(operation: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw xgboostError(operation, e);
  }
}
