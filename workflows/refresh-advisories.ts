import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/temporal';

export interface RefreshAdvisoriesInput {
  /** OSV source (directory, zip or URL); default: the configured one. */
  source?: string;
}

export interface RefreshAdvisoriesResult {
  advisories: number;
  added: number;
  changed: number;
  imagesChecked: number;
  newAlarms: number;
  delivered: number;
}

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
  retry: {
    initialInterval: '5 seconds',
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['BAD_INPUT', 'BAD_CONFIG', 'NOT_FOUND', 'UNAUTHORIZED', 'DENIED'],
  },
});

/**
 * Updates the advisory database, then re-matches every stored inventory without rescanning any image,
 * and delivers only alarms never raised before for their (image, advisory). Run on a schedule.
 */
export async function refreshAdvisories(
  input: RefreshAdvisoriesInput = {},
): Promise<RefreshAdvisoriesResult> {
  const sync = await acts.syncAdvisories({ source: input.source });
  const rematch = await acts.rematchInventories({ claimant: workflowInfo().workflowId });
  let delivered = 0;
  for (const image of rematch.newAlarms) {
    delivered += (await acts.deliverAlarms({ manifestDigest: image.manifestDigest, alarms: image.alarms }))
      .delivered;
  }
  return {
    advisories: sync.count,
    added: sync.added,
    changed: sync.changed,
    imagesChecked: rematch.imagesChecked,
    newAlarms: rematch.newAlarms.reduce((n, i) => n + i.alarms.length, 0),
    delivered,
  };
}
