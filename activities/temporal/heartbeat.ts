import { Context } from '@temporalio/activity';

/**
 * Runs `work` while heartbeating on a timer. Some work goes quiet for long stretches with nothing to
 * report (the Docker engine exporting an image before bytes flow, an install, a training job): the timer
 * keeps the heartbeat going while the activity is alive, so only a dead worker trips the heartbeat timeout.
 */
export async function heartbeatWhile<T>(work: () => Promise<T>, everyMs = 10_000): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
