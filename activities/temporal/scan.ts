import { Context } from '@temporalio/activity';
import { discoverImages, type DiscoverInput } from '../pipeline/discover';
import { ImageResolver } from '../pipeline/image-cache';
import { createScanSteps } from '../pipeline/scan-steps';
import type { ActivityDeps } from './deps';

/**
 * Scan activities: thin wrappers over activities/pipeline. Long reads heartbeat their progress (bytes
 * read, repositories listed) so a stuck download is noticed within the heartbeat timeout, and pass the
 * activity's cancellation signal down to the stream.
 */
export function createScanActivities(deps: ActivityDeps) {
  const images = new ImageResolver(deps.config);
  const steps = createScanSteps({ ...deps, images }, () => {
    const ctx = Context.current();
    // Some sources (the Docker engine exporting an image) go quiet for seconds before bytes flow:
    // a timer keeps the heartbeat going while the activity is alive; only a dead worker stops it.
    const timer = setInterval(() => ctx.heartbeat({ alive: true }), 10_000);
    ctx.cancellationSignal.addEventListener('abort', () => clearInterval(timer));
    void ctx.cancelled.catch(() => clearInterval(timer));
    let last = 0;
    return {
      done: () => clearInterval(timer),
      signal: ctx.cancellationSignal,
      onProgress: (bytes: number) => {
        // Heartbeats are throttled by the SDK too; this only avoids building objects per chunk.
        if (bytes - last >= 1 << 20 || last === 0) {
          last = bytes;
          ctx.heartbeat({ bytes });
        }
      },
    };
  });
  return {
    ...steps,
    async discoverImages(input: DiscoverInput) {
      const ctx = Context.current();
      return discoverImages(images.registryClient, deps.store, input, (repository) =>
        ctx.heartbeat({ repository }),
      );
    },
  };
}
