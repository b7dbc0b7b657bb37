import { Context } from '@temporalio/activity';
import { PlanRunner } from '../pipeline/collection';
import type { ActivityDeps } from './deps';

export function createCollectionActivities({ config }: ActivityDeps) {
  let runner: PlanRunner | undefined;
  const get = () => (runner ??= new PlanRunner(config));
  return {
    async collectionPlanSize(input: { plan: string }) {
      return get().size(input.plan);
    },
    async collectRecipe(input: { plan: string; index: number }) {
      const ctx = Context.current();
      const timer = setInterval(() => ctx.heartbeat(), 10_000);
      try {
        return await get().run(input.plan, input.index);
      } finally {
        clearInterval(timer);
      }
    },
  };
}
