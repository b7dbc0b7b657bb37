import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities/temporal';
import type { ScanImageInput, ScanSummary } from '../activities/pipeline/scan-types';
import { runScan, type ScanSteps } from './scan-plan';
import {
  ALARM_COUNT,
  FINDINGS_COUNT,
  IMAGE_REPOSITORY,
  MANIFEST_DIGEST,
  MODEL_VERSION,
} from './search-attributes';

/** Failure types that retrying cannot fix; activities raise them as non-retryable already. */
const NON_RETRYABLE = [
  'BAD_REFERENCE',
  'BAD_INPUT',
  'BAD_CONFIG',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'DENIED',
  'CORRUPT_CONTENT',
  'UNSUPPORTED_CONTENT',
  'DIGEST_MISMATCH',
  'KEY_NOT_FOUND',
];

// Registry outages of a minute or two are ridden out: 1 s, 2 s, 4 s, ... capped at 10 s, for 5 minutes.
const networkRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  maximumAttempts: 30,
  nonRetryableErrorTypes: NON_RETRYABLE,
};

export interface ScanImageWorkflowInput extends ScanImageInput {
  /** Task queue of the inference workers (where models stay loaded). */
  inferQueue?: string;
}

/**
 * Scans one image: resolve → fingerprint each layer in parallel → select experts → fan out inference →
 * merge → risk → report → alarms. Started with workflow id `scan/<manifest digest>`, so a digest is
 * scanned once. A layer that cannot be read fails alone: the report records it, the other layers are
 * still analysed, and the scan then ends with that non-retryable error.
 */
export async function scanImage(input: ScanImageWorkflowInput): Promise<ScanSummary> {
  const io = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: networkRetry });
  const fetchLayer = proxyActivities<Activities>({
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '30 seconds',
    retry: networkRetry,
  });
  const infer = proxyActivities<Activities>({
    taskQueue: input.inferQueue ?? 'praxi-infer',
    startToCloseTimeout: '5 minutes',
    retry: { ...networkRetry, maximumAttempts: 5 },
  });

  const steps: ScanSteps = {
    resolveImage: io.resolveImage,
    fingerprintLayer: fetchLayer.fingerprintLayer,
    currentModelVersion: infer.currentModelVersion,
    selectExperts: infer.selectExperts,
    runExperts: infer.runExperts,
    mergeFindings: infer.mergeFindings,
    assessAndReport: io.assessAndReport,
    deliverAlarms: io.deliverAlarms,
    now: () => Date.now(),
    describeError,
    onResolved: (image) => {
      upsertSearchAttributes([
        { key: IMAGE_REPOSITORY, value: image.repository },
        { key: MANIFEST_DIGEST, value: image.manifestDigest },
      ]);
    },
  };
  const { summary, layerErrors } = await runScan(steps, {
    ...input,
    trigger: input.trigger ?? workflowInfo().workflowId,
  });

  upsertSearchAttributes([
    { key: FINDINGS_COUNT, value: summary.findings },
    { key: ALARM_COUNT, value: summary.alarms },
    { key: MODEL_VERSION, value: summary.modelVersion },
  ]);
  upsertMemo({ summary: oneLine(summary) });

  if (layerErrors.length > 0) {
    const first = layerErrors[0];
    throw ApplicationFailure.create({
      type: first.error.code,
      nonRetryable: true,
      message: `layer ${first.index} (${first.digest}) could not be scanned: ${first.error.message}; report stored at ${summary.reportKey}`,
      details: [summary],
    });
  }
  return summary;
}

function oneLine(s: ScanSummary): string {
  return (
    `${s.reference}: ${s.layers} layers, ${s.findings} findings, ${s.vulnerable} vulnerable, ` +
    `${s.outdated} outdated, ${s.alarms} alarms (model ${s.modelVersion})` +
    (s.failedLayers ? `, ${s.failedLayers} layers failed` : '')
  );
}

/** The innermost application failure says what went wrong; Temporal's wrappers only say where. */
function describeError(e: unknown): { code: string; message: string } {
  let cur: unknown = e;
  while (cur instanceof ActivityFailure && cur.cause) cur = cur.cause;
  if (cur instanceof ApplicationFailure) return { code: cur.type ?? 'INTERNAL', message: cur.message };
  return { code: 'INTERNAL', message: cur instanceof Error ? cur.message : String(cur) };
}
