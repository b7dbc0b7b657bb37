import { continueAsNew, defineQuery, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/temporal';

export interface CollectInput {
  /** A collection plan file (praxi.collect-plan/v1) the training workers can read. */
  plan: string;
  /** Recipes in flight at once. */
  concurrency?: number;
  trainQueue?: string;
  /** Carried across continue-as-new. */
  next?: number;
  progress?: CollectProgress;
}

export interface CollectProgress {
  total: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
}

export const collectProgressQuery = defineQuery<CollectProgress>('progress');

/** Recipes per run before continuing as new, so history stays small for plans of thousands of installs. */
const RECIPES_PER_RUN = 500;

/**
 * Runs a training-data collection plan, one activity per recipe, a bounded number at a time. Finished
 * recipes are recorded by id in the scratch store and in this history, so after a worker is killed the
 * run resumes where it was: in-flight installs are retried, finished ones are not redone.
 */
export async function collectTrainingData(input: CollectInput): Promise<CollectProgress> {
  const acts = proxyActivities<Activities>({
    taskQueue: input.trainQueue ?? 'praxi-train',
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      initialInterval: '5 seconds',
      maximumInterval: '1 minute',
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['BAD_INPUT'],
    },
  });
  const size = input.progress ? undefined : await acts.collectionPlanSize({ plan: input.plan });
  const progress: CollectProgress = input.progress ?? {
    total: size!.recipes,
    ok: 0,
    failed: 0,
    failures: {},
  };
  setHandler(collectProgressQuery, () => progress);

  const start = input.next ?? 0;
  const end = Math.min(progress.total, start + RECIPES_PER_RUN);
  let next = start;
  const lane = async (): Promise<void> => {
    while (next < end) {
      const index = next++;
      const r = await acts.collectRecipe({ plan: input.plan, index });
      if (r.status === 'ok') progress.ok++;
      else {
        progress.failed++;
        const reason = r.reason ?? 'unknown';
        progress.failures[reason] = (progress.failures[reason] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency ?? 4) }, lane));
  if (end < progress.total) {
    await continueAsNew<typeof collectTrainingData>({ ...input, next: end, progress });
  }
  return progress;
}
