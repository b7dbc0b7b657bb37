import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/temporal';
import type { CandidateInput, EvalSummary, Candidate } from '../activities/pipeline/training';

export interface RetrainInput extends CandidateInput {
  /** Publish only if F1 on the labels the current model knows falls by no more than this. */
  maxRegression?: number;
  trainQueue?: string;
  /** Wait for a `retrainNow` signal before starting (a workflow left waiting for new data). */
  waitForSignal?: boolean;
}

export interface RetrainResult {
  candidate: Candidate;
  before?: EvalSummary;
  after: EvalSummary;
  published: boolean;
  reason: string;
}

export const retrainNowSignal = defineSignal<[Partial<CandidateInput>?]>('retrainNow');
export const retrainStatusQuery = defineQuery<string>('status');

/**
 * Incremental (`add`: experts for new labels only) or full retraining, then a gate: the candidate is
 * evaluated on the held-out split and made current only if it does not regress on the labels the
 * current model already knows by more than `maxRegression`. Inference workers load the new current
 * version on their next scan, without a restart.
 */
export async function retrain(input: RetrainInput): Promise<RetrainResult> {
  let status = input.waitForSignal ? 'waiting for the retrainNow signal' : 'starting';
  setHandler(retrainStatusQuery, () => status);
  let request: CandidateInput = input;
  let signalled = !input.waitForSignal;
  setHandler(retrainNowSignal, (overrides) => {
    request = { ...request, ...(overrides ?? {}) };
    signalled = true;
  });
  await condition(() => signalled);

  const acts = proxyActivities<Activities>({
    taskQueue: input.trainQueue ?? 'praxi-train',
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: {
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['BAD_INPUT', 'BAD_CONFIG', 'NOT_FOUND', 'MODEL_ERROR'],
    },
  });
  status = 'reading the current model';
  const current = await acts.modelInfo({});
  status = `training a candidate (${request.mode})`;
  const candidate = await acts.trainCandidate({
    ...request,
    baseVersion: request.baseVersion ?? current.version,
  });
  status = 'evaluating';
  const after = await acts.evaluateModel({
    version: candidate.version,
    data: request.data,
    onlyLabels: current.version ? current.labels : undefined,
  });
  const before = current.version
    ? await acts.evaluateModel({ version: current.version, data: request.data, onlyLabels: current.labels })
    : undefined;
  const margin = input.maxRegression ?? 0.005;
  const drop = before ? before.versionMicroF1 - after.versionMicroF1 : 0;
  if (before && drop > margin) {
    status = 'rejected';
    return {
      candidate,
      before,
      after,
      published: false,
      reason: `version-level F1 on known labels fell by ${drop.toFixed(4)} (> ${margin})`,
    };
  }
  status = 'publishing';
  await acts.promoteModel({ version: candidate.version });
  status = `published ${candidate.version}`;
  return {
    candidate,
    before,
    after,
    published: true,
    reason: before ? `F1 change on known labels ${(-drop).toFixed(4)}` : 'first model',
  };
}
