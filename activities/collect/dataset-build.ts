import { HELDOUT_VARIANT_PREFIX } from './base-images';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { tagsetFromChangeset, tokenizerId, type TokenizerOptions } from '../tagging/columbus';
import type { ObjectStore } from '../store';
import { declaredFromReleases } from './size-backfill';
import {
  type DatasetFailure,
  type DatasetManifest,
  type DatasetSample,
  datasetStats,
  type EcosystemStats,
  JsonlBrWriter,
  SPLIT_RULE,
  sampleOrder,
  splitOf,
  tagsLast,
} from './dataset';
import type { Ecosystem } from '../../models/label';
import { runRecipes } from './container-collector';
import { type Recipe, recipeLabels, type SampleResult } from './recipe';
import { listOutcomeIds, loadChangeset, loadOutcome } from './results';

/**
 * Writes the dataset from the outcomes in the store: every finished recipe of the plan (samples and
 * failures) plus every base-layer negative recorded there. Tagsets are computed here from the stored
 * changesets, so a new tokenizer needs a rebuild, not a new collection. Streams: samples are
 * tokenized a few at a time, in output order, and written straight into the compressed file.
 */
export async function buildDataset(
  store: ObjectStore,
  recipes: Recipe[],
  outDir: string,
  tokenizer: TokenizerOptions = {},
): Promise<{ manifest: DatasetManifest; stats: Record<Ecosystem, EcosystemStats> }> {
  const ids = new Set(recipes.map((r) => r.id));
  for (const id of await listOutcomeIds(store)) if (id.startsWith('base-')) ids.add(id);
  const oks: Array<{ meta: Omit<DatasetSample, 'split' | 'tags'>; result: SampleResult }> = [];
  const failures: DatasetFailure[] = [];
  await runRecipes([...ids], 16, async (id) => {
    const o = await loadOutcome(store, id);
    if (!o) return undefined as never;
    const r = o.recipe;
    const base = { id, ecosystem: r.ecosystem, variant: r.variant, method: r.method };
    if (o.status === 'failed') failures.push({ ...base, labels: recipeLabels(r.packages), reason: o.reason });
    else
      oks.push({
        meta: { ...base, labels: o.labels, ...(o.alsoInstalled.length ? { also: o.alsoInstalled } : {}) },
        result: o,
      });
    return undefined as never;
  });
  oks.sort((a, b) => sampleOrder(a.meta, b.meta));
  failures.sort((a, b) => (a.id < b.id ? -1 : 1));

  await mkdir(outDir, { recursive: true });
  const writer = new JsonlBrWriter(path.join(outDir, 'samples.jsonl.br'));
  const light: Array<Omit<DatasetSample, 'tags'>> = [];
  const chunk = 16;
  for (let i = 0; i < oks.length; i += chunk) {
    const part = oks.slice(i, i + chunk);
    const tagsets = await Promise.all(
      part.map(async (o) =>
        tagsetFromChangeset(await loadChangeset(store, o.result.changesetKey), tokenizer),
      ),
    );
    for (let j = 0; j < part.length; j++) {
      const { tags, sizeSignatures } = tagsets[j];
      const split = part[j].meta.variant.startsWith(HELDOUT_VARIANT_PREFIX) ? 'test' : splitOf(tags);
      // Debian changesets from the static path carry no sizes: a signature there would be of zeros.
      const sigs = part[j].meta.ecosystem !== 'deb' ? sizeSignatures : undefined;
      const declared =
        part[j].meta.ecosystem === 'npm'
          ? declaredFromReleases([...part[j].meta.labels, ...(part[j].meta.also ?? [])])
          : {};
      const extra = {
        ...(sigs && Object.keys(sigs).length ? { sizeSignatures: sigs } : {}),
        ...(Object.keys(declared).length ? { declaredVersions: declared } : {}),
      };
      await writer.write(tagsLast({ ...part[j].meta, ...extra, split, tags }));
      light.push({ ...part[j].meta, split });
    }
  }
  await writer.close();
  const fw = new JsonlBrWriter(path.join(outDir, 'failures.jsonl.br'));
  for (const f of failures) await fw.write(f);
  await fw.close();
  const manifest: DatasetManifest = {
    schema: 'praxi.dataset/v1',
    created: new Date().toISOString(),
    tokenizer: tokenizerId(tokenizer),
    split: SPLIT_RULE,
    samples: light.length,
    failures: failures.length,
  };
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const stats = datasetStats({ samples: light, failures });
  await writeFile(path.join(outDir, 'stats.json'), JSON.stringify(stats, null, 2) + '\n');
  return { manifest, stats };
}
