import type { Tagset } from '../activities/tagging/tagset';
import { PYTHON_MODULE, sortedRecord } from '../activities/tagging/size-signatures';
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
 * ansi-styles), not that package, and is dropped. Where several releases ship the same files and sizes,
 * the version the directory's `package.json` declares (tagging/declared-versions.ts) picks among them.
 */

/**
 * Per label (of `only`, when given), the size signatures its own training layers show (sorted, unique):
 * an npm label's package directory; a PyPI label's top-level modules, from layers that installed it alone
 * (`--no-deps`: every module there is its own).
 *
 * An npm layer can hold two releases of a package, one of them a dependency's (gopd 1.0.1 installed with
 * a nested gopd 1.2.0): which directory is whose is only clear where the layer holds one release of the
 * package. A label that never arrives alone keeps the signatures all its layers share, less those that
 * other releases of its package showed alone; were it given every signature it was seen with, a layer
 * holding the dependency's release would match it too.
 */
export function labelSizeSignatures(
  samples: readonly Tagset[],
  only?: ReadonlySet<string>,
): Record<string, string[]> {
  const alone = new Map<string, Set<string>>();
  const shared = new Map<string, Set<string>>();
  for (const s of samples) {
    if (!s.sizeSignatures || !s.labels?.length) continue;
    const all = s.sizeSignatures;
    for (const label of s.labels) {
      if (label.startsWith('pypi:')) {
        if (s.labels.length === 1) addAll(alone, label, moduleSignatures(all));
        continue;
      }
      const pkg = packageOf(label);
      const sigs = Object.hasOwn(all, pkg) ? all[pkg] : [];
      if (!sigs.length) continue;
      const releases = [...s.labels, ...(s.also ?? [])].filter((l) => packageOf(l) === pkg).length;
      if (sigs.length === 1 && releases === 1) addAll(alone, label, sigs);
      else {
        const before = shared.get(label);
        shared.set(label, before ? new Set(sigs.filter((x) => before.has(x))) : new Set(sigs));
      }
    }
  }
  const takenAlone = new Map<string, Set<string>>();
  for (const [label, sigs] of alone) addAll(takenAlone, packageOf(label), sigs);
  const out = new Map<string, Set<string>>();
  for (const [label, sigs] of alone) if (!only || only.has(label)) out.set(label, sigs);
  for (const [label, sigs] of shared) {
    if (alone.has(label) || (only && !only.has(label)) || sigs.size === 0) continue;
    const taken = takenAlone.get(packageOf(label));
    const own = [...sigs].filter((x) => !taken?.has(x));
    out.set(label, own.length ? new Set(own) : sigs);
  }
  return sortedRecord(out);
}

function addAll(m: Map<string, Set<string>>, k: string, values: Iterable<string>): void {
  let set = m.get(k);
  if (!set) m.set(k, (set = new Set()));
  for (const v of values) set.add(v);
}

/** Every Python module signature of a layer, whatever module it is. */
function moduleSignatures(all: Record<string, string[]>): string[] {
  return Object.keys(all)
    .filter((k) => k.startsWith(PYTHON_MODULE))
    .flatMap((k) => all[k]);
}

export class SizeEvidence {
  /** Package → signature → the labels whose training layers showed it. */
  private readonly known = new Map<string, Map<string, string[]>>();
  /** Label → how many signatures its training layers showed. */
  private readonly signatureCount = new Map<string, number>();

  constructor(byLabel: Record<string, string[]> = {}) {
    for (const [label, sigs] of Object.entries(byLabel)) {
      const pkg = packageOf(label);
      this.signatureCount.set(label, sigs.length);
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
  resolve(
    predictions: Prediction[],
    tagset: Pick<Tagset, 'sizeSignatures' | 'declaredVersions'>,
  ): Prediction[] {
    const onDiskAll = tagset.sizeSignatures;
    if (!onDiskAll) return predictions;
    const declared = tagset.declaredVersions ?? {};
    const declaredOf = (pkg: string) => (Object.hasOwn(declared, pkg) ? declared[pkg] : undefined);
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
    const modules = new Set(moduleSignatures(onDiskAll));
    for (const p of predictions) {
      const pkg = packageOf(p.label);
      if (p.ecosystem === 'pypi') {
        push(this.pythonRelease(p, modules));
        continue;
      }
      const onDisk = onDiskOf(pkg);
      if (p.ecosystem === 'npm' && !onDisk?.length) continue;
      const known = this.known.get(pkg);
      if (!known || !onDisk?.length) {
        push(p);
        continue;
      }
      const found = this.matches(known, onDisk, declaredOf(pkg));
      if (found.length === 0) {
        push({ ...p, versionUncertain: true });
        continue;
      }
      for (const labels of found) push(atRelease(p, labels));
    }
    for (const [pkg, onDisk] of Object.entries(onDiskAll)) {
      if (named.has(pkg) || !pkg.startsWith('npm:')) continue;
      const known = this.known.get(pkg);
      if (!known) continue;
      for (const labels of this.matches(known, onDisk, declaredOf(pkg))) {
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

  /**
   * A PyPI finding at the release whose known modules are all in the layer with exactly their sizes. A
   * module a release left unchanged matches older releases too, so a partial match names nothing (a
   * release training has no sizes for shares such a module with one it has). Which module is whose is
   * known only from training, so modules that match no release of this package say nothing either: the
   * finding stays as the experts made it.
   */
  private pythonRelease(p: Prediction, modules: ReadonlySet<string>): Prediction {
    const known = this.known.get(packageOf(p.label));
    if (!known || modules.size === 0) return p;
    const hits = new Map<string, number>();
    for (const [sig, labels] of known)
      if (modules.has(sig)) for (const l of labels) hits.set(l, (hits.get(l) ?? 0) + 1);
    const whole = [...hits]
      .filter(([l, n]) => n === this.signatureCount.get(l))
      .map(([l]) => l)
      .sort();
    return whole.length ? atRelease(p, whole) : p;
  }

  /** Per signature on disk that training knows, its releases, narrowed to the declared ones. */
  private matches(
    known: Map<string, string[]>,
    onDisk: readonly string[],
    declared: readonly string[] | undefined,
  ): string[][] {
    return onDisk
      .map((sig) => known.get(sig))
      .filter((l): l is string[] => l !== undefined)
      .map((labels) => asDeclared(labels, declared));
  }
}

/** The `expert` of a finding made from a size signature alone. */
export const SIZE_EXPERT = 'size-signature';
/** Its calibrated score: an exact match of a release's files and sizes, far above any threshold. */
const SIZE_MATCH_SCORE = 0.99;

/**
 * Of releases whose files and sizes are the same, those the directory's `package.json` declares (when it
 * names any of them): npm's record is the only thing that tells such builds apart.
 */
function asDeclared(labels: string[], declared: readonly string[] | undefined): string[] {
  if (!declared?.length || labels.length < 2) return labels;
  const named = labels.filter((l) => declared.includes(parseLabel(l).version));
  return named.length ? named : labels;
}

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
