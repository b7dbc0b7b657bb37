import { generateSamples, type SyntheticTagset, SyntheticWorld } from '../../models/synthetic';

/** A small synthetic world shared by the model tests: 14 packages × 3 versions, split three ways. */
export interface SmallWorld {
  world: SyntheticWorld;
  train: SyntheticTagset[];
  validation: SyntheticTagset[];
  test: SyntheticTagset[];
  /** Two packages kept out of `train` (for incremental training). */
  extraLabels: string[];
  extraTrain: SyntheticTagset[];
  extraTest: SyntheticTagset[];
}

let memo: SmallWorld | undefined;

export function smallWorld(): SmallWorld {
  if (memo) return memo;
  const world = new SyntheticWorld({ seed: 42, packages: 16 });
  const extraPkgs = new Set(world.packages.slice(-2).map((p) => `${p.ecosystem}:${p.name}`));
  const isExtra = (l: string) => extraPkgs.has(l.slice(0, l.indexOf('==')));
  const labels = world.labels.filter((l) => !isExtra(l));
  const extraLabels = world.labels.filter(isExtra);
  memo = {
    world,
    train: generateSamples(world, { seed: 1, labels, singlePerLabel: 4, multi: 30, base: 20 }),
    validation: generateSamples(world, { seed: 2, labels, singlePerLabel: 1, multi: 15, base: 5 }),
    test: generateSamples(world, { seed: 3, labels, singlePerLabel: 2, multi: 30, base: 20 }),
    extraLabels,
    extraTrain: generateSamples(world, { seed: 4, labels: extraLabels, singlePerLabel: 4 }),
    extraTest: generateSamples(world, { seed: 5, labels: extraLabels, singlePerLabel: 2 }),
  };
  return memo;
}
