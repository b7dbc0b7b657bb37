import type { Ecosystem } from '../../models/label';
import { tokenizePaths, type TokenizerOptions } from '../tagging/columbus';
import type { ObjectStore } from '../store';
import { makeRecipe, type Recipe } from './recipe';
import { loadChangeset, loadOutcome } from './results';
import { jaccard, weightedJaccard } from './similarity';

/**
 * How well the static path stands in for a real install: for every container install recipe that
 * gave a sample, the static recipe of the same packages and variant, and the Jaccard similarity of
 * their tagsets. The plan uses the static path for an ecosystem only where the mean is high.
 */
export interface ValidationPair {
  labels: string[];
  variant: string;
  jaccard: number;
  weightedJaccard: number;
  containerEntries: number;
  staticEntries: number;
}

export interface ValidationReport {
  perEcosystem: Record<
    string,
    { pairs: number; labels: number; meanJaccard: number; meanWeightedJaccard: number; minJaccard: number }
  >;
  pairs: ValidationPair[];
}

export function staticTwin(r: Recipe): Recipe {
  return makeRecipe({
    kind: r.kind,
    ecosystem: r.ecosystem,
    variant: r.variant,
    method: 'static',
    packages: r.packages,
  });
}

export async function validateStaticPath(
  store: ObjectStore,
  containerRecipes: Recipe[],
  tokenizer: TokenizerOptions = {},
): Promise<ValidationReport> {
  const pairs: Array<ValidationPair & { ecosystem: Ecosystem }> = [];
  for (const r of containerRecipes) {
    if (r.method !== 'container' || r.kind !== 'install') continue;
    const c = await loadOutcome(store, r.id);
    const s = await loadOutcome(store, staticTwin(r).id);
    if (c?.status !== 'ok' || s?.status !== 'ok') continue;
    const cPaths = (await loadChangeset(store, c.changesetKey)).entries.map((e) => e.path);
    const sPaths = (await loadChangeset(store, s.changesetKey)).entries.map((e) => e.path);
    const a = tokenizePaths(cPaths, tokenizer);
    const b = tokenizePaths(sPaths, tokenizer);
    pairs.push({
      ecosystem: r.ecosystem,
      labels: c.labels,
      variant: r.variant,
      jaccard: jaccard(a, b),
      weightedJaccard: weightedJaccard(a, b),
      containerEntries: cPaths.length,
      staticEntries: sPaths.length,
    });
  }
  const perEcosystem: ValidationReport['perEcosystem'] = {};
  for (const eco of new Set(pairs.map((p) => p.ecosystem))) {
    const ps = pairs.filter((p) => p.ecosystem === eco);
    const mean = (f: (p: ValidationPair) => number) => ps.reduce((t, p) => t + f(p), 0) / ps.length;
    perEcosystem[eco] = {
      pairs: ps.length,
      labels: new Set(ps.map((p) => p.labels.join('+'))).size,
      meanJaccard: round(mean((p) => p.jaccard)),
      meanWeightedJaccard: round(mean((p) => p.weightedJaccard)),
      minJaccard: round(Math.min(...ps.map((p) => p.jaccard))),
    };
  }
  return {
    perEcosystem,
    pairs: pairs.map(({ ecosystem: _e, ...p }) => ({
      ...p,
      jaccard: round(p.jaccard),
      weightedJaccard: round(p.weightedJaccard),
    })),
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
