import { Context } from '@temporalio/activity';
import { rematchStoredInventories, syncConfiguredAdvisories } from '../pipeline/refresh';
import type { ActivityDeps } from './deps';

export function createRiskActivities({ store, config }: ActivityDeps) {
  return {
    async syncAdvisories(input: { source?: string }) {
      return syncConfiguredAdvisories(store, config, input.source);
    },
    async rematchInventories(input: { claimant?: string }) {
      return rematchStoredInventories(
        store,
        config,
        input.claimant ?? Context.current().info.workflowExecution?.workflowId ?? 'refresh',
      );
    },
  };
}
