import type { ActivityDeps } from './deps';
import { withTypedFailures } from './failures';
import { createCollectionActivities } from './collection';
import { createRiskActivities } from './risk';
import { createScanActivities } from './scan';
import { createSmokeActivities } from './smoke';
import { createTrainingActivities } from './training';

export type { ActivityDeps } from './deps';

/**
 * Every activity praxi registers, built over one set of dependencies. Workflows import only the
 * *type* of this object, so their bundle never pulls in Node code. Typed praxi errors leave as
 * Temporal failures whose type is the error code (non-retryable ones stop retries at once).
 */
export function createActivities(deps: ActivityDeps) {
  return withTypedFailures({
    ...createSmokeActivities(deps),
    ...createScanActivities(deps),
    ...createRiskActivities(deps),
    ...createTrainingActivities(deps),
    ...createCollectionActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
