import { parentPort } from 'node:worker_threads';
import { XGBoostWasm } from '../xgboost/booster';
import { type ExpertJob, trainExpert } from './expert-training';

/** A training thread: one WASM XGBoost instance, one expert at a time. */
const ready = XGBoostWasm.open();

parentPort?.on('message', async (msg: { id: number; job: ExpertJob }) => {
  try {
    const artifact = trainExpert(await ready, msg.job);
    parentPort?.postMessage({ id: msg.id, artifact });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort?.postMessage({
      id: msg.id,
      error: { code: err.code ?? 'MODEL_ERROR', message: err.message ?? String(e) },
    });
  }
});
