import { Context } from '@temporalio/activity';
import { discoverImages, type DiscoverInput } from '../pipeline/discover';
import { ImageResolver } from '../pipeline/image-cache';
import { createScanSteps } from '../pipeline/scan-steps';
import type { ActivityDeps } from './deps';
import { heartbeatWhile } from './heartbeat';

/**
 * Scan activities: thin wrappers over activities/pipeline. Long reads heartbeat their progress (bytes
 * read, repositories listed) so a stuck download is noticed within the heartbeat timeout, and pass the
 * activity's cancellation signal down to the stream.
 */
export function createScanActivities(deps: ActivityDeps) {
  const images = new ImageResolver(deps.config);
  const steps = createScanSteps({ ...deps, images }, () => {
    const ctx = Context.current();
    let last = 0;
    return {
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
    async fingerprintLayer(input: Parameters<typeof steps.fingerprintLayer>[0]) {
      return heartbeatWhile(() => steps.fingerprintLayer(input));
    },
    async discoverImages(input: DiscoverInput) {
      const ctx = Context.current();
      return discoverImages(images.registryClient, deps.store, input, (repository) =>
        ctx.heartbeat({ repository }),
      );
    },
  };
}
