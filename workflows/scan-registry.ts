import {
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  WorkflowIdReusePolicy,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/temporal';
import { scanImage } from './scan-image';

export interface ScanRegistryInput {
  /** HOST[:PORT] of the registry. */
  registry: string;
  /** Repository names or globs; empty: the whole catalog. */
  repositories?: string[];
  /** Child scans in flight at once. */
  maxConcurrent?: number;
  /** New images discovered per page (one discovery activity). */
  pageSize?: number;
  inferQueue?: string;
  /** Carried across continue-as-new: where discovery resumes, and the running totals. */
  cursor?: string;
  totals?: ScanRegistryTotals;
}

export interface ScanRegistryTotals {
  discovered: number;
  scanned: number;
  alreadyScanned: number;
  failed: number;
  runs: number;
}

const { discoverImages } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    maximumAttempts: 20,
    nonRetryableErrorTypes: ['BAD_REFERENCE', 'UNAUTHORIZED', 'DENIED', 'BAD_CONFIG'],
  },
});

/** Keeps history small whatever the registry size: a fresh run after this many events. */
const HISTORY_BUDGET = 4000;

/**
 * Polls a registry (started by a Temporal Schedule): discovers images page by page and starts one
 * scanImage child per digest not scanned before, at most `maxConcurrent` at a time (a sliding window).
 * The child's workflow id `scan/<digest>` is the idempotency key: a digest already being scanned or
 * scanned before by another run is not scanned again.
 */
export async function scanRegistry(input: ScanRegistryInput): Promise<ScanRegistryTotals> {
  const totals: ScanRegistryTotals = input.totals ?? {
    discovered: 0,
    scanned: 0,
    alreadyScanned: 0,
    failed: 0,
    runs: 0,
  };
  totals.runs++;
  const maxConcurrent = Math.max(1, input.maxConcurrent ?? 8);
  let cursor = input.cursor;
  for (;;) {
    const page = await discoverImages({
      registry: input.registry,
      repositories: input.repositories ?? [],
      after: cursor,
      maxImages: input.pageSize ?? 200,
    });
    totals.discovered += page.images.length;
    totals.alreadyScanned += page.alreadyScanned;

    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < page.images.length) {
        const img = page.images[next++];
        try {
          await executeChild(scanImage, {
            workflowId: `scan/${img.digest}`,
            args: [
              { reference: img.reference, inferQueue: input.inferQueue, trigger: workflowInfo().workflowId },
            ],
            // A digest whose scan failed before writing a report may be tried again by a later poll; one
            // with a report (even one recording a corrupt layer) is left out by discovery already.
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            // A scan in flight finishes even if this poller continues-as-new or is terminated.
            parentClosePolicy: ParentClosePolicy.ABANDON,
          });
          totals.scanned++;
        } catch (e) {
          if (e instanceof WorkflowExecutionAlreadyStartedError) {
            totals.alreadyScanned++;
          } else if (e instanceof ChildWorkflowFailure) {
            totals.failed++;
            let cause: Error | undefined = e;
            while (cause?.cause instanceof Error) cause = cause.cause;
            log.warn('image scan failed', { reference: img.reference, error: cause?.message ?? e.message });
          } else {
            throw e;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxConcurrent, page.images.length) }, lane));

    if (!page.next) return totals;
    cursor = page.next;
    if (workflowInfo().historyLength > HISTORY_BUDGET || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof scanRegistry>({ ...input, cursor, totals });
    }
  }
}
