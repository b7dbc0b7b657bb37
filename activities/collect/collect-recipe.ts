import type Docker from 'dockerode';
import type { ObjectStore } from '../store';
import { type CollectorOptions, runRecipe } from './container-collector';
import type { Recipe, RecipeOutcome } from './recipe';
import { collectStatic, type StaticOptions } from './static-collector';

export interface CollectDeps {
  docker: Docker;
  store: ObjectStore;
  container: CollectorOptions;
  static: StaticOptions;
}

/**
 * One recipe of a plan, by its method; idempotent per recipe id (a recorded outcome is returned as is).
 * Install failures come back as a recorded Failure; machinery faults (engine, store, network) throw a
 * retryable error. This is the function a collection activity wraps.
 */
export async function collectRecipe(deps: CollectDeps, recipe: Recipe): Promise<RecipeOutcome> {
  return recipe.method === 'container'
    ? runRecipe(deps.docker, deps.store, recipe, deps.container)
    : collectStatic(deps.store, recipe, deps.static);
}
