import { mapLimit } from '../activities/concurrency';
import { BadInputError } from '../activities/errors';
import { SizeEvidence } from './size-evidence';
import type { ObjectStore } from '../activities/store/object-store';
import type { Tagset } from '../activities/tagging/tagset';
import { LoadedExpert } from './expert';
import { mergeCandidates, thresholdOf, mergeScores, type Prediction, type RawScore } from './merge';
import { getExpert, getManifest, type ModelManifest } from './registry';
import { ScoringEngine } from './scoring';
import { logit } from './xgboost/trees';
import { Selector } from './selector';
import { packageOf, parseLabel } from './label';

/**
 * A model version loaded for inference: experts compiled for native evaluation, the selector built from
 * the tags their trees split on, the calibration from the manifest. Immutable once loaded.
 */
export class Model {
  readonly version: string;
  private readonly byId = new Map<string, LoadedExpert>();
  private readonly indexOf = new Map<string, number>();
  private readonly engine: ScoringEngine;
  /** Per expert and booster, the margin at which it reports. */
  private readonly cuts: Float64Array[];
  readonly selector: Selector;
  /** Label → its group of versions the training data cannot tell apart (manifest `indistinct`). */
  private readonly indistinct = new Map<string, string[]>();
  private readonly sizes: SizeEvidence;

  constructor(
    readonly manifest: ModelManifest,
    readonly experts: LoadedExpert[],
  ) {
    this.version = manifest.version;
    experts.forEach((e, i) => {
      this.byId.set(e.id, e);
      this.indexOf.set(e.id, i);
    });
    this.engine = new ScoringEngine(experts);
    this.cuts = experts.map((e) =>
      Float64Array.from(e.boosters, (b) => logit(thresholdOf(manifest.calibration, b.label))),
    );
    this.selector = new Selector(experts, (l) => thresholdOf(manifest.calibration, l));
    for (const g of manifest.indistinct ?? []) for (const l of g) this.indistinct.set(l, g);
    this.sizes = new SizeEvidence(manifest.sizeSignatures);
  }

  private checkTokenizer(t: Tagset): void {
    const want = this.manifest.tokenizer;
    if (t.tokenizer.name !== want.name || t.tokenizer.version !== want.version)
      throw new BadInputError(
        `tagset made by tokenizer ${t.tokenizer.name}@${t.tokenizer.version}; model ${this.version} expects ${want.name}@${want.version}`,
      );
  }

  /** Ids of the experts this layer shares a split tag with. */
  select(tagset: Tagset): string[] {
    this.checkTokenizer(tagset);
    return this.selector.select(tagset).map((i) => this.experts[i].id);
  }

  predictExperts(tagset: Tagset, expertIds: readonly string[]): RawScore[] {
    const indexes = expertIds.map((id) => {
      const i = this.indexOf.get(id);
      if (i === undefined) throw new BadInputError(`model ${this.version} has no expert ${id}`);
      return i;
    });
    const margins = this.engine.margins(tagset, indexes);
    const out: RawScore[] = [];
    indexes.forEach((i, k) => {
      const e = this.experts[i];
      e.boosters.forEach((b, j) =>
        out.push({ expert: e.id, label: b.label, level: b.level, margin: margins[k][j] }),
      );
    });
    return out;
  }

  /**
   * Selection, scoring, calibration and arbitration for one layer. Only experts with a booster above its
   * threshold are turned into raw scores: merging can use nothing else (see mergeCandidates), and most
   * selected experts stay silent.
   */
  predict(tagset: Tagset): Prediction[] {
    let indexes: number[];
    let margins: number[][];
    if (this.engine.linear) {
      // Scoring every expert the layer's tags move finds the same: an expert the selector would skip has
      // none of its positive evidence here, so no booster of it reaches its threshold.
      this.checkTokenizer(tagset);
      ({ experts: indexes, margins } = this.engine.touched(tagset, this.selector.alwaysOn));
    } else {
      indexes = this.select(tagset).map((id) => this.indexOf.get(id) as number);
      margins = this.engine.margins(tagset, indexes);
    }
    const raw: RawScore[] = [];
    indexes.forEach((i, k) => {
      const e = this.experts[i];
      const cut = this.cuts[i];
      if (!margins[k].some((m, j) => m >= cut[j])) return;
      e.boosters.forEach((b, j) =>
        raw.push({ expert: e.id, label: b.label, level: b.level, margin: margins[k][j] }),
      );
    });
    return this.merge(raw, tagset);
  }

  /** The subset of raw scores merging can use (see mergeCandidates): what to keep when shipping scores. */
  candidates(raw: RawScore[]): RawScore[] {
    return mergeCandidates(raw, this.manifest.calibration);
  }

  merge(raw: RawScore[], tagset: Tagset, calibration = this.manifest.calibration): Prediction[] {
    // Signatures come from the experts, not from the scores: callers ship only the scores merging can use
    // (candidates), which leave out a package booster that did not pass, and the package gate must still
    // see that package's core tags.
    const signatures = new Map<string, string[]>();
    for (const r of raw) {
      const e = this.byId.get(r.expert);
      if (!e) continue;
      const keys = r.level === 'version' ? [r.label, packageOf(r.label)] : [r.label];
      for (const b of e.boosters)
        if (keys.includes(b.label) && !signatures.has(b.label)) signatures.set(b.label, b.signature);
    }
    const merged = mergeScores(raw, calibration, (label) => {
      const sig = signatures.get(label);
      if (!sig || sig.length === 0) return undefined;
      let n = 0;
      for (const t of sig) if (Object.hasOwn(tagset.tags, t)) n++;
      return n / sig.length;
    });
    for (const p of merged) {
      const group = this.indistinct.get(p.label);
      if (!group) continue;
      p.versionUncertain = true;
      const others = group.filter((l) => l !== p.label).map((l) => parseLabel(l).version);
      p.alternatives = [...new Set([...(p.alternatives ?? []), ...others])];
    }
    return this.sizes.resolve(merged, tagset);
  }
}

const cache = new Map<string, Promise<Model>>();
const CACHE_SIZE = 2;

/**
 * The model of a version (default: the store's current one), loaded once per process and kept warm.
 * Experts are fetched concurrently and verified against their digests.
 */
export async function loadModel(store: ObjectStore, version?: string): Promise<Model> {
  const manifest = await getManifest(store, version);
  const key = `${store.location}#${manifest.version}`;
  let m = cache.get(key);
  if (!m) {
    m = (async () => {
      const experts = await mapLimit(
        manifest.experts,
        16,
        async (entry) => new LoadedExpert(entry.id, await getExpert(store, entry)),
      );
      return new Model(manifest, experts);
    })();
    m.catch(() => cache.delete(key));
    cache.set(key, m);
    while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  return m;
}
