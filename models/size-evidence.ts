import type { Tagset } from '../activities/tagging/tagset';
import { packageOf, parseLabel } from './label';
import type { Prediction } from './merge';

/**
 * Versions named by file sizes (activities/tagging/size-signatures.ts) where paths cannot.
 *
 * The experts decide from paths whether a package is there; then, when the layer shows a size signature
 * for that package that training saw for one of its versions, that version is the one. A signature
 * training never saw means a release the model does not know: the version stays the experts' guess and is
 * marked uncertain. A directory `node_modules/NAME/` holding exactly the files and sizes of a release
 * training saw is that release, whatever the experts say: it is found even when they are silent (small
 * packages whose few paths are generic). An npm package the experts name but whose layer has no directory
 * for it (the layer's signatures list every one) is a copy inside another package (chalk vendors
 * ansi-styles), not that package, and is dropped.
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

  /**
   * The predictions with versions settled by sizes. A package whose layer shows several known signatures
   * (one release hoisted, another nested) is reported once per release; two releases that ship the same
   * sizes stay one finding naming the other as an alternative.
   */
  resolve(predictions: Prediction[], tagset: Pick<Tagset, 'sizeSignatures'>): Prediction[] {
    const onDiskAll = tagset.sizeSignatures;
    if (!onDiskAll) return predictions;
    const out: Prediction[] = [];
    const seen = new Set<string>();
    const named = new Set<string>();
    const push = (p: Prediction) => {
      named.add(packageOf(p.label));
      if (seen.has(p.label)) return;
      seen.add(p.label);
      out.push(p);
    };
    const onDiskOf = (pkg: string) => (Object.hasOwn(onDiskAll, pkg) ? onDiskAll[pkg] : undefined);
    for (const p of predictions) {
      const pkg = packageOf(p.label);
      const onDisk = onDiskOf(pkg);
      if (p.ecosystem === 'npm' && !onDisk?.length) continue;
      const known = this.known.get(pkg);
      if (!known || !onDisk?.length) {
        push(p);
        continue;
      }
      const matches = this.matches(known, onDisk);
      if (matches.length === 0) {
        push({ ...p, versionUncertain: true });
        continue;
      }
      for (const labels of matches) push(atRelease(p, labels));
    }
    for (const [pkg, known] of this.known) {
      if (named.has(pkg)) continue;
      const onDisk = onDiskOf(pkg);
      if (!onDisk?.length) continue;
      for (const labels of this.matches(known, onDisk)) {
        const { ecosystem, name, version } = parseLabel(labels[0]);
        push(
          atRelease(
            { label: labels[0], ecosystem, name, version, score: SIZE_MATCH_SCORE, expert: SIZE_EXPERT },
            labels,
          ),
        );
      }
    }
    return out;
  }

  private matches(known: Map<string, string[]>, onDisk: readonly string[]): string[][] {
    return onDisk.map((sig) => known.get(sig)).filter((l): l is string[] => l !== undefined);
  }
}

/** The `expert` of a finding made from a size signature alone. */
export const SIZE_EXPERT = 'size-signature';
/** Its calibrated score: an exact match of a release's files and sizes, far above any threshold. */
const SIZE_MATCH_SCORE = 0.99;

/** `p` at the release of `labels` (its own if among them); the others, if any, as alternatives. */
function atRelease(p: Prediction, labels: readonly string[]): Prediction {
  const label = labels.includes(p.label) ? p.label : labels[0];
  const { versionUncertain: _u, alternatives: _a, ...rest } = p;
  const others = labels.filter((l) => l !== label).map((l) => parseLabel(l).version);
  return {
    ...rest,
    label,
    version: parseLabel(label).version,
    ...(others.length ? { versionUncertain: true as const, alternatives: others } : {}),
  };
}
