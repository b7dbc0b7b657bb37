import { gunzipSync, gzipSync } from 'node:zlib';
import type { Changeset } from '../layers/changeset';
import { getJson, type ObjectStore, putJson } from '../store';
import { type Failure, type Recipe, recipeLabels, type RecipeOutcome, type SampleResult } from './recipe';

/**
 * Where finished recipes live in the ObjectStore. The outcome key is derived from the recipe id alone,
 * so a resumed collection finds finished work (sample or recorded failure) and skips it. The changeset
 * is written before the outcome: an outcome that exists always has its changeset.
 */
export const RESULTS_PREFIX = 'collect/results/';
export const CHANGESETS_PREFIX = 'collect/changesets/';

export const outcomeKey = (id: string): string => `${RESULTS_PREFIX}${id}.json`;
export const changesetKey = (id: string): string => `${CHANGESETS_PREFIX}${id}.json.gz`;

export async function loadOutcome(store: ObjectStore, id: string): Promise<RecipeOutcome | undefined> {
  if (!(await store.exists(outcomeKey(id)))) return undefined;
  return getJson<RecipeOutcome>(store, outcomeKey(id));
}

export async function saveSample(
  store: ObjectStore,
  recipe: Recipe,
  changeset: Changeset,
  alsoInstalled: string[],
  durationMs: number,
): Promise<SampleResult> {
  await store.put(changesetKey(recipe.id), gzipSync(JSON.stringify(changeset)), {
    contentType: 'application/gzip',
  });
  const result: SampleResult = {
    status: 'ok',
    recipe,
    labels: recipeLabels(recipe.packages),
    alsoInstalled: [...alsoInstalled].sort(),
    changesetKey: changesetKey(recipe.id),
    entries: changeset.entries.length,
    durationMs,
    collectedAt: new Date().toISOString(),
  };
  await putJson(store, outcomeKey(recipe.id), result);
  return result;
}

export async function saveFailure(
  store: ObjectStore,
  recipe: Recipe,
  reason: string,
  detail: string,
  durationMs: number,
): Promise<Failure> {
  const failure: Failure = {
    status: 'failed',
    recipe,
    reason,
    detail,
    durationMs,
    collectedAt: new Date().toISOString(),
  };
  await putJson(store, outcomeKey(recipe.id), failure);
  return failure;
}

export async function loadChangeset(store: ObjectStore, key: string): Promise<Changeset> {
  return JSON.parse(gunzipSync(await store.get(key)).toString('utf8')) as Changeset;
}

/** Every recorded outcome id, from the store listing (no outcome is read). */
export async function listOutcomeIds(store: ObjectStore): Promise<string[]> {
  return (await store.list(RESULTS_PREFIX)).map((k) => k.slice(RESULTS_PREFIX.length, -'.json'.length));
}
