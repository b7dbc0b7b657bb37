/**
 * Long synchronous model work (planning thousands of experts, scoring held-out sets) runs inside
 * activities whose heartbeats are timers: the event loop must get a turn now and then or the heartbeat
 * never fires and Temporal declares the activity dead. `const pause = yielder(); ... await pause();`
 * gives it one every `everyMs` of work, and costs next to nothing between.
 */
export function yielder(everyMs = 50): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
