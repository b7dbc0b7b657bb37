import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import Docker from 'dockerode';
import { type ObjectStore, LocalStore } from '../store';
import { buildBaseImages, recordHeldOutBaseLayers } from './base-images';
import { collectRecipe, type CollectDeps } from './collect-recipe';
import { runRecipes } from './container-collector';
import { SHIPPED_DATASET_DIR } from './dataset';
import { buildDataset } from './dataset-build';
import { DEFAULT_PLAN, type Plan, planCollection, type PlanParams } from './plan';
import type { Recipe, RecipeOutcome } from './recipe';
import { listOutcomeIds } from './results';
import { validateStaticPath } from './validation';

/**
 * The whole collection in one call (and one command, see the data card): base images, plan, every
 * recipe (static ones and container ones in two bounded pools), the static-path validation, and the
 * dataset written out. Every step resumes: finished recipes are skipped, caches are reused.
 */
export interface CollectDatasetOptions {
  /** Scratch directory: rootfs, artifact cache, the object store with raw changesets, the plan. */
  scratch: string;
  /** Where the dataset is written (default: models/dataset). */
  out?: string;
  params?: Partial<PlanParams>;
  staticConcurrency?: number;
  containerConcurrency?: number;
  timeoutMs?: number;
  /** Stop running recipes after this many milliseconds, then build the dataset from what is done. */
  budgetMs?: number;
  /** Only (re)build the dataset from the outcomes already in the store. */
  buildOnly?: boolean;
  /** With buildOnly: only refresh validation.json. */
  validateOnly?: boolean;
  log?: (line: string) => void;
}

export async function collectDataset(opts: CollectDatasetOptions): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(`${new Date().toISOString()} ${l}`));
  const started = Date.now();
  const scratch = path.resolve(opts.scratch);
  const store: ObjectStore = new LocalStore(path.join(scratch, 'store'));
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const rootfs = path.join(scratch, 'rootfs', 'bookworm');
  if (!opts.buildOnly) {
    await buildBaseImages(docker, store, { rootfsDir: rootfs, log });
    await recordHeldOutBaseLayers(store, { rootfsDir: path.join(scratch, 'rootfs'), log });
  }
  const debStatusFile = path.join(rootfs, 'var/lib/dpkg/status');
  const cacheDir = path.join(scratch, 'artifacts');

  const params: PlanParams = { ...DEFAULT_PLAN, ...opts.params };
  const planFile = path.join(
    scratch,
    `plan-${params.seed}-${params.pypiProjects}-${params.npmPackages}-${params.debPackages}-${params.multi.pypi}-${params.validate.pypi}.json`,
  );
  let plan: Plan;
  if (existsSync(planFile)) plan = JSON.parse(await readFile(planFile, 'utf8')) as Plan;
  else {
    plan = await planCollection(params, { cacheDir, debStatusFile, log });
    await writeFile(planFile, JSON.stringify(plan));
  }
  log(
    `plan: ${plan.recipes.length} recipes; labels pypi ${plan.labels.pypi.length}, npm ${plan.labels.npm.length}, deb ${plan.labels.deb.length}`,
  );

  const deps: CollectDeps = {
    docker,
    store,
    container: { timeoutMs: opts.timeoutMs ?? 10 * 60_000 },
    static: { cacheDir, debStatusFile },
  };
  const deadline = opts.budgetMs ? started + opts.budgetMs : Infinity;
  const counts = { ok: 0, failed: 0, skippedForTime: 0 };
  const progress = (o: RecipeOutcome) => {
    counts[o.status === 'ok' ? 'ok' : 'failed']++;
    if ((counts.ok + counts.failed) % 500 === 0) log(`recipes: ${counts.ok} ok, ${counts.failed} failed`);
  };
  const guarded = async (r: Plan['recipes'][number]): Promise<RecipeOutcome> => {
    if (Date.now() > deadline) {
      counts.skippedForTime++;
      return undefined as unknown as RecipeOutcome;
    }
    try {
      return await collectRecipe(deps, r);
    } catch (e) {
      // A fault of the machinery (network, engine): not recorded, so the next run retries the recipe.
      log(`recipe ${r.id}: ${(e as Error).message.slice(0, 300)}`);
      return undefined as unknown as RecipeOutcome;
    }
  };
  const containerRecipes = plan.recipes.filter((r) => r.method === 'container');
  // Interleave what is left to do, not the whole plan: a resumed run must not spend its budget on the
  // one queue whose unfinished part happens to come first.
  const finished = new Set(await listOutcomeIds(store));
  const staticRecipes = interleave(plan.recipes.filter((r) => r.method === 'static' && !finished.has(r.id)));
  if (!opts.buildOnly)
    await Promise.all([
      runRecipes(containerRecipes, opts.containerConcurrency ?? 2, guarded, (o) => o && progress(o)),
      runRecipes(staticRecipes, opts.staticConcurrency ?? 12, guarded, (o) => o && progress(o)),
    ]);
  log(`recipes: ${counts.ok} ok, ${counts.failed} failed, ${counts.skippedForTime} left for a later run`);

  const out = opts.out ?? SHIPPED_DATASET_DIR();
  await mkdir(out, { recursive: true });
  const validation = await validateStaticPath(store, containerRecipes);
  await writeFile(path.join(out, 'validation.json'), JSON.stringify(validation, null, 1) + '\n');
  log(`static path validation: ${JSON.stringify(validation.perEcosystem)}`);
  if (opts.validateOnly) return;
  const { manifest } = await buildDataset(store, plan.recipes, out);
  await writeFile(
    path.join(out, 'plan-summary.json'),
    JSON.stringify({
      params: plan.params,
      created: plan.created,
      recipes: plan.recipes.length,
      labels: plan.labels,
      skipped: plan.skipped,
    }) + '\n',
  );
  log(`dataset: ${manifest.samples} samples, ${manifest.failures} failures -> ${out}`);
}

/**
 * Round-robin over (ecosystem, single or multi-label) queues, each in plan order: a run cut short by
 * its time budget still has every ecosystem and multi-label samples, not all of one ecosystem first.
 */
export function interleave(recipes: Recipe[]): Recipe[] {
  const queues = new Map<string, Recipe[]>();
  for (const r of recipes) {
    const k = `${r.ecosystem}/${r.packages.length > 1 ? 'multi' : 'single'}`;
    if (!queues.has(k)) queues.set(k, []);
    (queues.get(k) as Recipe[]).push(r);
  }
  const out: Recipe[] = [];
  const qs = [...queues.values()];
  for (let i = 0; out.length < recipes.length; i++) for (const q of qs) if (i < q.length) out.push(q[i]);
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const num = (n: string) => (arg(n) === undefined ? undefined : Number(arg(n)));
  const params: Partial<PlanParams> = {};
  if (num('pypi') !== undefined) params.pypiProjects = num('pypi');
  if (num('npm') !== undefined) params.npmPackages = num('npm');
  if (num('deb') !== undefined) params.debPackages = num('deb');
  if (num('multi') !== undefined) {
    const m = num('multi') as number;
    params.multi = { pypi: m, npm: m, deb: m };
  }
  if (num('validate') !== undefined) {
    const v = num('validate') as number;
    params.validate = { pypi: v, npm: v, deb: v };
  }
  const scratch = arg('scratch') ?? '/work/scratch';
  const store = () => new LocalStore(path.join(scratch, 'store'));
  const run = async (): Promise<void> => {
    if (process.argv.includes('--heldout-base-only')) {
      await recordHeldOutBaseLayers(store(), { rootfsDir: path.join(scratch, 'rootfs'), log: console.log });
      return;
    }
    if (process.argv.includes('--base-images-only')) {
      await buildBaseImages(new Docker({ socketPath: '/var/run/docker.sock' }), store(), {
        rootfsDir: path.join(scratch, 'rootfs', 'bookworm'),
        log: console.log,
      });
      return;
    }
    await collectDataset({
      scratch,
      out: arg('out'),
      params,
      budgetMs: num('budget-minutes') === undefined ? undefined : (num('budget-minutes') as number) * 60_000,
      staticConcurrency: num('static-concurrency'),
      containerConcurrency: num('container-concurrency'),
      buildOnly: process.argv.includes('--build-only') || process.argv.includes('--validate-only'),
      validateOnly: process.argv.includes('--validate-only'),
    });
  };
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
