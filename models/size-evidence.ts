import type { Tagset } from '../activities/tagging/tagset';
import { packageOf, parseLabel } from './label';
import type { Prediction } from './merge';

/**
 * Versions named by file sizes (activities/tagging/size-signatures.ts) where paths cannot name them.
 *
 * The experts decide whether a package is there, from paths; then, when the layer shows a size signature
 * for that package that training saw for one of its versions, that version is the one. A signature
 * training never saw means a release the model does not know: the version stays the experts' guess and is
 * marked uncertain. Sizes never add a package, so a foreign layer gains no finding from them, and a
 * release unknown to training is still found as its package.
 */

/** Per label, the size signatures its own training layers show for its package (sorted, unique). */
export function labelSizeSignatures(samples: readonly Tagset[]): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const s of samples) {
    if (!s.sizeSignatures || !s.labels?.length) continue;
    for (const label of s.labels) {
      const sigs = s.sizeSignatures[packageOf(label)];
      if (!sigs?.length) continue;
      const set = out.get(label) ?? new Set<string>();
      for (const sig of sigs) set.add(sig);
      out.set(label, set);
    }
  }
  const record: Record<string, string[]> = {};
  for (const label of [...out.keys()].sort()) record[label] = [...(out.get(label) as Set<string>)].sort();
  return record;
}

export class SizeEvidence {
  /** Package → signature → the labels whose training layers showed it. */
  private readonly known = new Map<string, Map<string, string[]>>();

  constructor(byLabel: Record<string, string[]> = {}) {
    for (const [label, sigs] of Object.entries(byLabel)) {
      const pkg = packageOf(label);
      let m = this.known.get(pkg);
      if (!m) this.known.set(pkg, (m = new Map()));
      for (const sig of sigs) {
        const labels = m.get(sig) ?? [];
        labels.push(label);
        m.set(sig, labels);
      }
    }
  }

  get size(): number {
    return this.known.size;
  }

  /**
   * The predictions with versions settled by sizes. A package whose layer shows several known signatures
   * (one release hoisted, another nested) is reported once per release; two releases that ship the same
   * sizes stay one finding naming the other as an alternative.
   */
  resolve(predictions: Prediction[], tagset: Pick<Tagset, 'sizeSignatures'>): Prediction[] {
    if (!tagset.sizeSignatures || this.known.size === 0) return predictions;
    const out: Prediction[] = [];
    const seen = new Set<string>();
    const push = (p: Prediction) => {
      if (seen.has(p.label)) return;
      seen.add(p.label);
      out.push(p);
    };
    for (const p of predictions) {
      const pkg = packageOf(p.label);
      const known = this.known.get(pkg);
      const onDisk = Object.hasOwn(tagset.sizeSignatures, pkg) ? tagset.sizeSignatures[pkg] : undefined;
      if (!known || !onDisk?.length) {
        push(p);
        continue;
      }
      const matches = onDisk.map((sig) => known.get(sig)).filter((l): l is string[] => l !== undefined);
      if (matches.length === 0) {
        push({ ...p, versionUncertain: true });
        continue;
      }
      for (const labels of matches) {
        const label = labels.includes(p.label) ? p.label : labels[0];
        const { versionUncertain: _u, alternatives: _a, ...rest } = p;
        const others = labels.filter((l) => l !== label).map((l) => parseLabel(l).version);
        push({
          ...rest,
          label,
          version: parseLabel(label).version,
          ...(others.length ? { versionUncertain: true as const, alternatives: others } : {}),
        });
      }
    }
    return out;
  }
}
