import type { ActivityDeps } from './deps';
import { createSmokeActivities } from './smoke';

export type { ActivityDeps } from './deps';

/**
 * Every activity praxi registers, built over one set of dependencies. Workflows import only the
 * *type* of this object, so their bundle never pulls in Node code.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSmokeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
