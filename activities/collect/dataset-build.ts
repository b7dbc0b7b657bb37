import { tagsetFromChangeset, type TokenizerOptions } from '../tagging/columbus';
import type { ObjectStore } from '../store';
import { assignSplit, type Dataset, type DatasetFailure, type DatasetSample, SPLIT_RULE } from './dataset';
import { type Recipe, recipeLabels } from './recipe';
import { listOutcomeIds, loadChangeset, loadOutcome } from './results';
import { runRecipes } from './container-collector';

/**
 * The dataset from the outcomes in the store: every finished recipe of the plan (samples and failures)
 * plus every base-layer negative recorded there. Tagsets are computed here from the stored
 * changesets, so a new tokenizer needs a rebuild, not a new collection.
 */
export async function buildDataset(
  store: ObjectStore,
  recipes: Recipe[],
  tokenizer: TokenizerOptions = {},
): Promise<Dataset> {
  const ids = new Set(recipes.map((r) => r.id));
  for (const id of await listOutcomeIds(store)) if (id.startsWith('base-')) ids.add(id);
  const idList = [...ids].sort();
  const rows: Array<Omit<DatasetSample, 'split'> | DatasetFailure | undefined> = new Array(idList.length);
  let tokenizerId = tagsetFromChangeset({ entries: [] }, tokenizer).tokenizer;
  await runRecipes(idList, 16, async (id, i) => {
    const o = await loadOutcome(store, id);
    if (!o) return undefined as never;
    const r = o.recipe;
    if (o.status === 'failed') {
      rows[i] = {
        id,
        ecosystem: r.ecosystem,
        variant: r.variant,
        method: r.method,
        labels: recipeLabels(r.packages),
        reason: o.reason,
      };
      return undefined as never;
    }
    const ts = tagsetFromChangeset(await loadChangeset(store, o.changesetKey), tokenizer);
    tokenizerId = ts.tokenizer;
    rows[i] = {
      id,
      ecosystem: r.ecosystem,
      variant: r.variant,
      method: r.method,
      labels: o.labels,
      ...(o.alsoInstalled.length ? { also: o.alsoInstalled } : {}),
      tags: ts.tags,
    };
    return undefined as never;
  });
  const samples = assignSplit(rows.filter((x): x is Omit<DatasetSample, 'split'> => !!x && 'tags' in x));
  const failures = rows.filter((x): x is DatasetFailure => !!x && 'reason' in x);
  return {
    manifest: {
      schema: 'praxi.dataset/v1',
      created: new Date().toISOString(),
      tokenizer: tokenizerId,
      split: SPLIT_RULE,
      samples: samples.length,
      failures: failures.length,
    },
    samples,
    failures,
  };
}
