import type { Tagset } from '../activities/tagging/tagset';
import { type Ecosystem, packageOf, parseLabel, withoutAlongside } from './label';
import type { Model } from './model';

/** Precision, recall and F1 with the counts behind them. */
export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface LevelScores {
  micro: Prf;
  /** Mean over labels (or packages) of each one's own F1. */
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
}

export interface SliceScores {
  samples: number;
  version: LevelScores;
  package: LevelScores;
}

export interface EvalReport {
  model: string;
  samples: number;
  /** All labelled samples. */
  all: SliceScores;
  single: SliceScores;
  multi: SliceScores;
  byEcosystem: Partial<Record<Ecosystem, SliceScores>>;
  /** Per ecosystem again, single- and multi-label samples apart (the targets are set per kind). */
  byEcosystemKind: Partial<Record<Ecosystem, { single?: SliceScores; multi?: SliceScores }>>;
  /** Layers that install no known package (base images): every finding on them is false. */
  base: { layers: number; findings: number; findingsPerLayer: number; layersWithFindings: number };
  /** Most frequent (true version → predicted other version of the same package) confusions. */
  confusedVersions: { truth: string; predicted: string; count: number }[];
  latencyMs: { p50: number; p99: number; mean: number };
  /**
   * Version scores again with each group of versions the training data cannot tell apart (the model's
   * `indistinct` groups) counted as one label: how well the model does on what paths can show.
   */
  indistinct: {
    groups: number;
    labels: number;
    all: LevelScores;
    single: LevelScores;
    multi: LevelScores;
    byEcosystem: Partial<Record<Ecosystem, LevelScores>>;
  };
}

function prf(tp: number, fp: number, fn: number): Prf {
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  const f1 = tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : 1;
  return { precision, recall, f1, tp, fp, fn };
}

class Tally {
  private tp = 0;
  private fp = 0;
  private fn = 0;
  private readonly per = new Map<string, { tp: number; fp: number; fn: number }>();
  samples = 0;

  add(truth: ReadonlySet<string>, predicted: ReadonlySet<string>): void {
    this.samples++;
    const c = (k: string) => {
      let x = this.per.get(k);
      if (!x) this.per.set(k, (x = { tp: 0, fp: 0, fn: 0 }));
      return x;
    };
    for (const p of predicted) {
      if (truth.has(p)) {
        this.tp++;
        c(p).tp++;
      } else {
        this.fp++;
        c(p).fp++;
      }
    }
    for (const t of truth)
      if (!predicted.has(t)) {
        this.fn++;
        c(t).fn++;
      }
  }

  scores(): LevelScores {
    const per = [...this.per.values()].map((x) => prf(x.tp, x.fp, x.fn));
    const mean = (f: (p: Prf) => number) => (per.length ? per.reduce((a, p) => a + f(p), 0) / per.length : 1);
    return {
      micro: prf(this.tp, this.fp, this.fn),
      macroF1: mean((p) => p.f1),
      macroPrecision: mean((p) => p.precision),
      macroRecall: mean((p) => p.recall),
    };
  }
}

class Slice {
  readonly version = new Tally();
  readonly pkg = new Tally();
  add(truth: string[], predicted: string[]): void {
    this.version.add(new Set(truth), new Set(predicted));
    this.pkg.add(new Set(truth.map(packageOf)), new Set(predicted.map(packageOf)));
  }
  scores(): SliceScores {
    return { samples: this.version.samples, version: this.version.scores(), package: this.pkg.scores() };
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Scores a model on labelled samples: version level (`name==version`) and package level (`name`), micro
 * and macro, for single- and multi-label samples and per ecosystem; unlabelled samples are base-image
 * layers, whose findings are counted separately as false positives.
 */
export function evaluate(model: Model, samples: readonly Tagset[]): EvalReport {
  const all = new Slice();
  const single = new Slice();
  const multi = new Slice();
  const eco = new Map<Ecosystem, Slice>();
  const ecoKind = new Map<Ecosystem, { single?: Slice; multi?: Slice }>();
  const base = { layers: 0, findings: 0, findingsPerLayer: 0, layersWithFindings: 0 };
  const confused = new Map<string, number>();
  const canonical = new Map<string, string>();
  for (const g of model.manifest.indistinct ?? []) for (const l of g) canonical.set(l, g[0]);
  const asGroup = (ls: string[]) => new Set(ls.map((l) => canonical.get(l) ?? l));
  const merged = new Tally();
  const mergedKind = { single: new Tally(), multi: new Tally() };
  const mergedEco = new Map<Ecosystem, Tally>();
  const times: number[] = [];
  for (const s of samples) {
    const t0 = performance.now();
    const raw = model.predict(s).map((p) => p.label);
    times.push(performance.now() - t0);
    const truth = s.labels ?? [];
    const predicted = withoutAlongside(raw, s);
    if (truth.length === 0) {
      base.layers++;
      base.findings += predicted.length;
      if (predicted.length) base.layersWithFindings++;
      continue;
    }
    all.add(truth, predicted);
    const kind = truth.length === 1 ? 'single' : 'multi';
    const [truthGroups, predictedGroups] = [asGroup(truth), asGroup(predicted)];
    merged.add(truthGroups, predictedGroups);
    mergedKind[kind].add(truthGroups, predictedGroups);
    (kind === 'single' ? single : multi).add(truth, predicted);
    const ecos = new Set(truth.map((l) => parseLabel(l).ecosystem));
    for (const e of ecos) {
      let sl = eco.get(e);
      if (!sl) eco.set(e, (sl = new Slice()));
      let t = mergedEco.get(e);
      if (!t) mergedEco.set(e, (t = new Tally()));
      // Per ecosystem, only that ecosystem's labels count, on both sides.
      const inEco = (l: string) => l.startsWith(`${e}:`);
      const [truthIn, predictedIn] = [truth.filter(inEco), predicted.filter(inEco)];
      sl.add(truthIn, predictedIn);
      let kinds = ecoKind.get(e);
      if (!kinds) ecoKind.set(e, (kinds = {}));
      (kinds[kind] ??= new Slice()).add(truthIn, predictedIn);
      t.add(asGroup(truthIn), asGroup(predictedIn));
    }
    const truthByPkg = new Map(truth.map((l) => [packageOf(l), l]));
    for (const p of predicted) {
      const t = truthByPkg.get(packageOf(p));
      if (t && t !== p) confused.set(`${t}\n${p}`, (confused.get(`${t}\n${p}`) ?? 0) + 1);
    }
  }
  base.findingsPerLayer = base.layers ? base.findings / base.layers : 0;
  times.sort((a, b) => a - b);
  return {
    model: model.version,
    samples: samples.length,
    all: all.scores(),
    single: single.scores(),
    multi: multi.scores(),
    byEcosystem: Object.fromEntries([...eco].map(([e, sl]) => [e, sl.scores()])),
    byEcosystemKind: Object.fromEntries(
      [...ecoKind].map(([e, k]) => [
        e,
        {
          ...(k.single ? { single: k.single.scores() } : {}),
          ...(k.multi ? { multi: k.multi.scores() } : {}),
        },
      ]),
    ),
    base,
    confusedVersions: [...confused]
      .map(([k, count]) => {
        const [truth, predicted] = k.split('\n');
        return { truth, predicted, count };
      })
      .sort((a, b) => b.count - a.count || (a.truth < b.truth ? -1 : 1))
      .slice(0, 10),
    indistinct: {
      groups: model.manifest.indistinct?.length ?? 0,
      labels: canonical.size,
      all: merged.scores(),
      single: mergedKind.single.scores(),
      multi: mergedKind.multi.scores(),
      byEcosystem: Object.fromEntries([...mergedEco].map(([e, t]) => [e, t.scores()])),
    },
    latencyMs: {
      p50: percentile(times, 0.5),
      p99: percentile(times, 0.99),
      mean: times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0,
    },
  };
}

/** The report as a fixed-width table for terminals. */
export function formatEvalReport(r: EvalReport): string {
  const f = (x: number) => x.toFixed(3);
  const row = (name: string, s: SliceScores) =>
    `${name.padEnd(12)} ${String(s.samples).padStart(6)}  ${f(s.version.micro.f1)}  ${f(s.version.micro.precision)}  ${f(s.version.micro.recall)}  ${f(s.version.macroF1)}   ${f(s.package.micro.f1)}  ${f(s.package.macroF1)}`;
  const lines = [
    `model ${r.model}, ${r.samples} samples`,
    `slice        samples  ver-F1 ver-P  ver-R  ver-mF1  pkg-F1 pkg-mF1`,
    row('all', r.all),
    row('single', r.single),
    row('multi', r.multi),
    ...Object.entries(r.byEcosystem).flatMap(([e, s]) => {
      const kinds = r.byEcosystemKind?.[e as Ecosystem] ?? {};
      return [
        row(e, s as SliceScores),
        ...(['single', 'multi'] as const).flatMap((k) => (kinds[k] ? [row(`  ${k}`, kinds[k])] : [])),
      ];
    }),
    ...(r.indistinct.groups
      ? [
          `versions the training paths cannot tell apart: ${r.indistinct.labels} labels in ${r.indistinct.groups} groups; counting each group as one label, version micro-F1: ` +
            [
              ['all', r.indistinct.all],
              ...(r.indistinct.single
                ? [
                    ['single', r.indistinct.single],
                    ['multi', r.indistinct.multi],
                  ]
                : []),
              ...Object.entries(r.indistinct.byEcosystem),
            ]
              .map(([e, s]) => `${e as string} ${f((s as LevelScores).micro.f1)}`)
              .join(', '),
        ]
      : []),
    `base-image layers: ${r.base.layers}, findings ${r.base.findings} (${r.base.findingsPerLayer.toFixed(3)} per layer, ${r.base.layersWithFindings} layers with any)`,
    `latency per layer: p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms`,
  ];
  if (r.confusedVersions.length) {
    lines.push('most confused versions (truth → predicted):');
    for (const c of r.confusedVersions) lines.push(`  ${c.truth} → ${c.predicted}  ×${c.count}`);
  }
  return lines.join('\n');
}
