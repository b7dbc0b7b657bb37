import { PlanRunner } from '../pipeline/collection';
import type { ActivityDeps } from './deps';
import { heartbeatWhile } from './heartbeat';

export function createCollectionActivities({ config }: ActivityDeps) {
  let runner: PlanRunner | undefined;
  const get = () => (runner ??= new PlanRunner(config));
  return {
    async collectionPlanSize(input: { plan: string }) {
      return get().size(input.plan);
    },
    async collectRecipe(input: { plan: string; index: number }) {
      return heartbeatWhile(() => get().run(input.plan, input.index));
    },
  };
}
