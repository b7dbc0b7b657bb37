import { generateSamples, type SyntheticTagset, SyntheticWorld } from '../models/synthetic';

/**
 * The synthetic world the training and inference benchmarks share: `packages` packages × 3 versions for
 * the model, one more package held back for incremental training. Both benchmarks rebuild it from the
 * same parameters, so bench/infer can measure the model bench/train published.
 */
export interface BenchWorldParams {
  seed: number;
  packages: number;
}

export interface BenchWorld {
  world: SyntheticWorld;
  labels: string[];
  extraLabels: string[];
  train: () => SyntheticTagset[];
  validation: () => SyntheticTagset[];
  test: () => SyntheticTagset[];
  extraTrain: () => SyntheticTagset[];
  extraTest: () => SyntheticTagset[];
}

export function benchWorld(p: BenchWorldParams): BenchWorld {
  const world = new SyntheticWorld({ seed: p.seed, packages: p.packages + 1 });
  const last = world.packages[world.packages.length - 1];
  const extraKey = `${last.ecosystem}:${last.name}==`;
  const extraLabels = world.labels.filter((l) => l.startsWith(extraKey));
  const labels = world.labels.filter((l) => !l.startsWith(extraKey));
  const P = p.packages;
  return {
    world,
    labels,
    extraLabels,
    train: () =>
      generateSamples(world, {
        seed: p.seed + 1,
        labels,
        singlePerLabel: 4,
        multi: 2 * P,
        base: Math.ceil(P / 4),
      }),
    validation: () =>
      generateSamples(world, {
        seed: p.seed + 2,
        labels,
        singlePerLabel: 1,
        multi: Math.ceil(P / 2),
        base: 50,
      }),
    test: () => generateSamples(world, { seed: p.seed + 3, labels, singlePerLabel: 1, multi: P, base: 200 }),
    extraTrain: () => generateSamples(world, { seed: p.seed + 4, labels: extraLabels, singlePerLabel: 4 }),
    extraTest: () => generateSamples(world, { seed: p.seed + 5, labels: extraLabels, singlePerLabel: 2 }),
  };
}
