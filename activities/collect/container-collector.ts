import { mapLimit } from '../concurrency';
import type Docker from 'dockerode';
import { BadInputError, TransientError } from '../errors';
import type { ObjectStore } from '../store';
import { changesetOf } from './base-images';
import { runInContainer } from './container-run';
import { installedLabels, isRecordFile } from './install-records';
import { type Recipe, recipeLabels, type RecipeOutcome } from './recipe';
import { loadOutcome, saveFailure, saveSample } from './results';
import { variantByName } from './variants';

export interface CollectorOptions {
  /** Per-install limit; the container is killed and the recipe recorded as failed with reason `timeout`. */
  timeoutMs: number;
  /** Override the variant's base image (tests use a small busybox base); a recipe's own image wins. */
  image?: string;
  /** Override the install command (tests use one whose effect they know exactly); a recipe's own command wins. */
  command?: string;
}

/** Label with the recipe id on an install's container. */
export const RECIPE_LABEL = 'praxi.collect.recipe';

/**
 * Runs one container recipe and records its outcome in the store, idempotently: when an outcome for
 * the recipe id exists it is returned unchanged and nothing runs. An install that fails (non-zero
 * exit, timeout, nothing installed) gives a recorded Failure with its reason, never an exception;
 * only faults of the machinery itself (the engine unreachable, the store failing) throw, and retry.
 */
export async function runRecipe(
  docker: Docker,
  store: ObjectStore,
  recipe: Recipe,
  opts: CollectorOptions,
): Promise<RecipeOutcome> {
  const done = await loadOutcome(store, recipe.id);
  if (done) return done;
  if (recipe.method !== 'container' || recipe.kind !== 'install') {
    throw new BadInputError(
      `runRecipe runs container installs; ${recipe.id} is ${recipe.method} ${recipe.kind}`,
    );
  }
  const variant = variantByName(recipe.variant);
  await removeLeftovers(docker, recipe.id);
  const r = await runInContainer(docker, {
    image: recipe.image ?? opts.image ?? variant.baseImage,
    command: recipe.command ?? opts.command ?? variant.installCommand(recipe.packages),
    timeoutMs: opts.timeoutMs,
    capture: isRecordFile,
    labels: { [RECIPE_LABEL]: recipe.id },
  });
  if (r.timedOut) {
    return saveFailure(
      store,
      recipe,
      'timeout',
      `no result after ${opts.timeoutMs} ms\n${r.log}`,
      r.durationMs,
    );
  }
  if (r.exitCode !== 0) {
    return saveFailure(store, recipe, classifyInstallFailure(r.log, r.exitCode), r.log, r.durationMs);
  }
  if (r.changes.entries.length === 0) {
    return saveFailure(store, recipe, 'install changed nothing', r.log, r.durationMs);
  }
  const requested = new Set(recipeLabels(recipe.packages));
  const installed = installedLabels(
    r.changes.entries.map((e) => e.path),
    r.captured,
  );
  const also = installed.filter((l) => !requested.has(l));
  return saveSample(
    store,
    recipe,
    changesetOf(r.changes.entries, r.changes.deletions, recipe.id),
    also,
    r.durationMs,
  );
}

/**
 * Removes containers an earlier attempt at this recipe left behind: a worker killed mid-install never
 * gets to remove its container, and the retry of that install is the one to clean up after it.
 */
async function removeLeftovers(docker: Docker, id: string): Promise<void> {
  try {
    const left = await docker.listContainers({ all: true, filters: { label: [`${RECIPE_LABEL}=${id}`] } });
    for (const c of left) {
      if (c.Labels?.[RECIPE_LABEL] === id) await docker.getContainer(c.Id).remove({ force: true, v: true });
    }
  } catch (e) {
    const message = `removing leftover containers of ${id}: ${(e as Error).message}`;
    throw new TransientError(message, 'UNAVAILABLE', { cause: e });
  }
}

/** A short, groupable reason from an installer's log. */
export function classifyInstallFailure(log: string, exitCode: number): string {
  const rules: Array<[RegExp, string]> = [
    [
      /Failed (to )?build|error: subprocess-exited-with-error|Building wheel .* error|legacy-install-failure/i,
      'sdist build failed',
    ],
    [/No matching distribution|Could not find a version that satisfies/i, 'version not found'],
    [/requires a different Python|Requires-Python/i, 'python version unsupported'],
    [/ETARGET|No matching version found|E404|404 Not Found - GET/i, 'version not found'],
    [/npm ERR! code ELIFECYCLE|npm ERR! command failed|install script/i, 'install script failed'],
    [/EBADENGINE|Unsupported engine/i, 'node version unsupported'],
    [
      /Unable to locate package|Version '.*' for '.*' was not found|has no installation candidate/i,
      'version not found',
    ],
    [/unmet dependencies|Depends:.*but it is not/i, 'unmet dependencies'],
    [
      /post-installation script .* returned error|subprocess .* returned error exit status/i,
      'maintainer script failed',
    ],
    [
      /Temporary failure resolving|Could not resolve|ECONNRESET|ETIMEDOUT|Connection (reset|refused)|Read timed out/i,
      'network error',
    ],
    [/No space left on device/i, 'disk full'],
  ];
  for (const [re, reason] of rules) if (re.test(log)) return reason;
  return `install exited with ${exitCode}`;
}

/**
 * Runs many recipes with bounded concurrency; outcomes come back in input order. Use for scripts
 * and tests; the workflow runs each recipe as its own activity instead.
 */
export async function runRecipes<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<RecipeOutcome>,
  onDone?: (outcome: RecipeOutcome, index: number) => void,
): Promise<RecipeOutcome[]> {
  return mapLimit(items, concurrency, async (item, i) => {
    const outcome = await work(item, i);
    onDone?.(outcome, i);
    return outcome;
  });
}
