import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';

/** A round trip through the object store: proves a worker, its store and the server work together. */
export function createSmokeActivities({ store }: ActivityDeps) {
  return {
    async storeRoundTrip(
      key: string,
      value: string,
    ): Promise<{ location: string; readBack: string; attempt: number }> {
      await store.put(key, value);
      const readBack = (await store.get(key)).toString('utf8');
      return { location: store.location, readBack, attempt: Context.current().info.attempt };
    },
  };
}
