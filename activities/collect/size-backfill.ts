import { mapLimit } from '../concurrency';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageOf, parseLabel } from '../../models/label';
import { signatureOf, sizeSignatures } from '../tagging/size-signatures';
import { JsonlBrWriter, parseSampleHead, readJsonlBr, tagsLast, type DatasetSample } from './dataset';
import { cacheFor, npmFiles, wheelContents } from './static-collector';
import type { WheelContents } from './static/pypi';
import { wheelInstallPaths } from './static/pypi';
import { entriesFromPaths } from './static/static-changeset';
import { variantByName } from './variants';

/** What one release lays down: an npm tarball's signature, or a wheel's members with their sizes. */
export interface ReleaseFiles {
  npm(label: string): Promise<string | undefined>;
  pypi(label: string): Promise<WheelContents>;
}

export const registryReleaseFiles = (
  cacheDir = path.join(os.tmpdir(), 'praxi-size-backfill'),
): ReleaseFiles => ({
  async npm(label) {
    const { name, version } = parseLabel(label);
    const { files, sizes } = await npmFiles(cacheFor(cacheDir), name, version);
    return signatureOf(files.map((rel, i) => ({ rel, size: sizes[i] })));
  },
  async pypi(label) {
    const { name, version } = parseLabel(label);
    return wheelContents(cacheFor(cacheDir), { ecosystem: 'pypi', name, version });
  },
});

export interface BackfillResult {
  /** Samples that gained signatures. */
  signed: number;
  /**
   * npm and PyPI samples left without: PyPI collected in containers (their sizes were not kept),
   * installed with `pip --target` (no `site-packages`), or of a release that could not be read.
   */
  unsigned: number;
  /** npm samples that gained the versions their `package.json` files declare. */
  declared: number;
  releases: number;
  /** Releases that could not be read, with the reason. */
  failed: string[];
}

/**
 * The versions an npm sample's package directories declare: one directory per release it installed
 * (`labels` and `also`), whose `package.json` names that release (the registry will not serve a tarball
 * whose manifest says another version).
 */
export function declaredFromReleases(labels: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of labels) {
    if (!l.startsWith('npm:')) continue;
    const k = packageOf(l);
    out[k] = [...new Set([...(out[k] ?? []), parseLabel(l).version])].sort();
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Adds size signatures to a dataset's npm samples and static PyPI samples collected before the collector
 * kept sizes, and to npm samples the versions their `package.json` files declare. A static sample's files
 * are exactly its releases' (static-collector.ts): an npm sample's package directories are its own and
 * its dependencies' tarballs, a PyPI sample's modules are its wheels' members mapped as pip installs
 * them. An npm sample collected in a container is a real install, whose releases (`labels`, `also`) were
 * read from the `package.json` of each directory it made, and npm writes a tarball's files as they are
 * (test/collect/size-signatures.test.ts installs one and compares). So the releases give the signatures
 * the layer has. PyPI container samples are left alone: which modules pip laid down is not kept. Streams
 * the samples file (it is far larger as objects than as text) and rewrites it in place.
 */
export async function addSizeSignatures(
  dir: string,
  releases: ReleaseFiles = registryReleaseFiles(),
  opts: { concurrency?: number; progress?: (done: number, total: number) => void } = {},
): Promise<BackfillResult> {
  const file = path.join(dir, 'samples.jsonl.br');
  const signable = (h: { ecosystem: string; method: string; labels: string[] }) =>
    (h.ecosystem === 'npm' || (h.ecosystem === 'pypi' && h.method === 'static')) && h.labels.length > 0;
  const wanted = new Set<string>();
  for await (const head of readJsonlBr(file, parseSampleHead))
    if (signable(head)) for (const l of [...head.labels, ...(head.also ?? [])]) wanted.add(l);
  const result: BackfillResult = { signed: 0, unsigned: 0, declared: 0, releases: wanted.size, failed: [] };
  const npmSigs = new Map<string, string | undefined>();
  const wheels = new Map<string, WheelContents>();
  let done = 0;
  await mapLimit([...wanted].sort(), opts.concurrency ?? 8, async (label) => {
    try {
      if (label.startsWith('npm:')) npmSigs.set(label, await releases.npm(label));
      else wheels.set(label, await releases.pypi(label));
    } catch (e) {
      // One release the registry no longer serves leaves its samples unsigned, not the whole dataset.
      result.failed.push(`${label}: ${(e as Error).message}`);
    }
    opts.progress?.(++done, wanted.size);
  });

  const signaturesOf = (s: DatasetSample): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    const add = (key: string, sigs: readonly string[]) =>
      (out[key] = [...new Set([...(out[key] ?? []), ...sigs])].sort());
    if (s.ecosystem === 'npm') {
      // Two releases of one dependency (one nested) are two signatures of one package.
      for (const label of [...s.labels, ...(s.also ?? [])]) {
        const sig = npmSigs.get(label);
        if (sig) add(packageOf(label), [sig]);
      }
      return out;
    }
    const layout = variantByName(s.variant).layout;
    if (layout.kind !== 'pypi') return out;
    const sizes = new Map<string, number>();
    const files: string[] = [];
    for (const label of s.labels) {
      const w = wheels.get(label);
      if (w) files.push(...wheelInstallPaths(w, layout, sizes));
    }
    for (const [key, sigs] of Object.entries(sizeSignatures(entriesFromPaths(files, [], sizes))))
      add(key, sigs);
    return out;
  };

  const out = new JsonlBrWriter(file);
  for await (const line of readJsonlBr(file, (l: string) => l)) {
    const head = parseSampleHead(line);
    if ((head.ecosystem !== 'npm' && head.ecosystem !== 'pypi') || head.labels.length === 0) {
      await out.writeLine(line);
      continue;
    }
    // Only samples that can be signed are parsed whole (the tags are most of a line).
    const sample = signable(head) ? (JSON.parse(line) as DatasetSample) : undefined;
    if (!sample) {
      result.unsigned++;
      await out.writeLine(line);
      continue;
    }
    // Signatures a collector kept from the layer itself stay as they are.
    const signed = sample.sizeSignatures ?? signaturesOf(sample);
    const declared =
      sample.ecosystem === 'npm' ? declaredFromReleases([...sample.labels, ...(sample.also ?? [])]) : {};
    if (Object.keys(signed).length) result.signed++;
    else result.unsigned++;
    if (Object.keys(declared).length) result.declared++;
    await out.write(
      tagsLast({
        ...sample,
        ...(Object.keys(signed).length ? { sizeSignatures: signed } : {}),
        ...(Object.keys(declared).length ? { declaredVersions: declared } : {}),
      }),
    );
  }
  await out.close();
  return result;
}
