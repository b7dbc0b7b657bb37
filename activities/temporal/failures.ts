import { ApplicationFailure } from '@temporalio/common';
import { isPraxiError } from '../errors';

/**
 * Maps praxi's typed errors onto Temporal failures: non-retryable ones stop the retry policy at once and
 * carry their code as the failure type (so reports and the UI show e.g. CORRUPT_CONTENT); retryable ones
 * keep retrying, honouring a server's Retry-After.
 */
export function toFailure(e: unknown): unknown {
  if (!isPraxiError(e)) return e;
  const retryAfter =
    'retryAfterSeconds' in e ? (e as { retryAfterSeconds?: number }).retryAfterSeconds : undefined;
  const failure = ApplicationFailure.create({
    type: e.code,
    message: e.message,
    nonRetryable: !e.retryable,
    details: e.detail ? [e.detail] : undefined,
    nextRetryDelay: retryAfter ? `${retryAfter} seconds` : undefined,
    cause: e.cause instanceof Error ? e.cause : undefined,
  });
  // Keep where it was thrown, not where it was converted: the UI and logs show this stack.
  failure.stack = e.stack;
  return failure;
}

/** Wraps every function of an activity object so that thrown PraxiErrors become Temporal failures. */
export function withTypedFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  acts: T,
): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        throw toFailure(e);
      }
    };
  }
  return out as T;
}
