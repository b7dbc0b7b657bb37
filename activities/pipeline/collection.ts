import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../../config/schema';
import { collectRecipe, type CollectDeps } from '../collect/collect-recipe';
import type { Plan } from '../collect/plan';
import { BadInputError } from '../errors';
import { LocalStore } from '../store';

/**
 * Runs a collection plan's recipes one at a time for the collectTrainingData workflow. Outcomes are kept
 * in the scratch store by recipe id, so a recipe that already finished (before a worker was killed, or in
 * an earlier run) returns its recorded outcome without installing again.
 */
export class PlanRunner {
  private readonly plans = new Map<string, Promise<Plan>>();
  private readonly deps: CollectDeps;

  constructor(config: Pick<Config, 'collect'>, docker = new Docker()) {
    const scratch = path.resolve(config.collect.scratchDir);
    this.deps = {
      docker,
      store: new LocalStore(path.join(scratch, 'store')),
      container: { timeoutMs: config.collect.installTimeoutMs },
      static: {
        cacheDir: path.join(scratch, 'artifacts'),
        debStatusFile: path.join(scratch, 'rootfs', 'bookworm', 'var', 'lib', 'dpkg', 'status'),
      },
    };
  }

  plan(file: string): Promise<Plan> {
    let p = this.plans.get(file);
    if (!p) {
      p = readFile(file, 'utf8').then(
        (text) => {
          const plan = JSON.parse(text) as Plan;
          if (plan.schema !== 'praxi.collect-plan/v1')
            throw new BadInputError(`${file} is not a praxi collection plan`);
          return plan;
        },
        (e) => {
          throw new BadInputError(`cannot read collection plan ${file}: ${(e as Error).message}`);
        },
      );
      p.catch(() => this.plans.delete(file));
      this.plans.set(file, p);
    }
    return p;
  }

  async size(file: string): Promise<{ recipes: number; labels: Record<string, number> }> {
    const plan = await this.plan(file);
    return {
      recipes: plan.recipes.length,
      labels: Object.fromEntries(Object.entries(plan.labels).map(([k, v]) => [k, v.length])),
    };
  }

  async run(file: string, index: number): Promise<{ id: string; status: 'ok' | 'failed'; reason?: string }> {
    const plan = await this.plan(file);
    const recipe = plan.recipes[index];
    if (!recipe) throw new BadInputError(`plan ${file} has no recipe ${index}`);
    const outcome = await collectRecipe(this.deps, recipe);
    return outcome.status === 'ok'
      ? { id: recipe.id, status: 'ok' }
      : { id: recipe.id, status: 'failed', reason: outcome.reason };
  }
}
