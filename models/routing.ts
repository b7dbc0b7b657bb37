import type { Tagset } from '../activities/tagging/tagset';
import { packageOf } from './label';
import { makeRng, shuffle } from './synthetic';

/**
 * How labels are grouped into experts (Praxi-Pipeline's three strategies):
 * - `verpak`: all versions of a package in one expert, packages grouped at random;
 * - `nover`: labels grouped at random;
 * - `clustering`: labels whose training centroids are cosine-similar share an expert, with groups capped
 *   at `groupSize` so no giant cluster forms.
 */
export type RoutingStrategy = 'verpak' | 'nover' | 'clustering';
export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = ['verpak', 'nover', 'clustering'];

export interface RoutingOptions {
  strategy: RoutingStrategy;
  /** Labels per expert (verpak never splits a package, so its groups can exceed this by a package's versions). */
  groupSize: number;
  seed: number;
}

export function routeLabels(
  labels: readonly string[],
  samples: readonly Tagset[],
  o: RoutingOptions,
): string[][] {
  const sorted = [...new Set(labels)].sort();
  const r = makeRng(o.seed);
  const size = Math.max(1, o.groupSize);
  if (o.strategy === 'nover') return chunk(shuffle(r, sorted), size);
  if (o.strategy === 'verpak') {
    const byPackage = new Map<string, string[]>();
    for (const l of sorted) {
      const p = packageOf(l);
      byPackage.set(p, [...(byPackage.get(p) ?? []), l]);
    }
    const groups: string[][] = [];
    let current: string[] = [];
    for (const versions of shuffle(r, [...byPackage.values()])) {
      if (current.length && current.length + versions.length > size) {
        groups.push(current);
        current = [];
      }
      current.push(...versions);
    }
    if (current.length) groups.push(current);
    return groups;
  }
  return cluster(sorted, samples, size);
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * Greedy capped clustering: each unassigned label (in label order) takes its most cosine-similar
 * unassigned labels until the group is full. Similarities come from an inverted index over centroid tags,
 * skipping tags most labels share (they would make everything look alike and cost quadratic time).
 */
function cluster(labels: string[], samples: readonly Tagset[], size: number): string[][] {
  const centroids = new Map<string, Map<string, number>>();
  const counts = new Map<string, number>();
  const wanted = new Set(labels);
  for (const s of samples) {
    for (const l of s.labels ?? []) {
      if (!wanted.has(l)) continue;
      let c = centroids.get(l);
      if (!c) centroids.set(l, (c = new Map()));
      counts.set(l, (counts.get(l) ?? 0) + 1);
      for (const t of Object.keys(s.tags)) c.set(t, (c.get(t) ?? 0) + 1);
    }
  }
  const norms = new Map<string, number>();
  const postings = new Map<string, { label: string; w: number }[]>();
  for (const l of labels) {
    const c = centroids.get(l) ?? new Map<string, number>();
    const n = counts.get(l) ?? 1;
    let sq = 0;
    for (const [t, v] of c) {
      const w = v / n;
      sq += w * w;
      let p = postings.get(t);
      if (!p) postings.set(t, (p = []));
      p.push({ label: l, w });
    }
    norms.set(l, Math.sqrt(sq) || 1);
  }
  const maxDf = Math.max(20, Math.ceil(labels.length * 0.02));
  const assigned = new Set<string>();
  const groups: string[][] = [];
  for (const l of labels) {
    if (assigned.has(l)) continue;
    assigned.add(l);
    const dots = new Map<string, number>();
    const c = centroids.get(l) ?? new Map<string, number>();
    const n = counts.get(l) ?? 1;
    for (const [t, v] of c) {
      const p = postings.get(t) as { label: string; w: number }[];
      if (p.length > maxDf) continue;
      for (const o of p)
        if (!assigned.has(o.label)) dots.set(o.label, (dots.get(o.label) ?? 0) + (v / n) * o.w);
    }
    const nl = norms.get(l) as number;
    const nearest = [...dots]
      .map(([o, d]) => ({ o, sim: d / (nl * (norms.get(o) as number)) }))
      .sort((a, b) => b.sim - a.sim || (a.o < b.o ? -1 : 1))
      .slice(0, size - 1)
      .map((x) => x.o);
    for (const o of nearest) assigned.add(o);
    groups.push([l, ...nearest].sort());
  }
  return groups;
}
