import * as path from 'node:path';
import { packageOf, parseLabel } from '../../models/label';
import { signatureOf } from '../tagging/size-signatures';
import { JsonlBrWriter, parseSampleHead, readJsonlBr, tagsLast, type DatasetSample } from './dataset';
import { fetchPackument, tarballFiles, versionInfo } from './static/npm';

/** The size signature of one npm release, from its tarball's headers (what an install of it lays down). */
export type ReleaseSignature = (label: string) => Promise<string | undefined>;

export async function npmReleaseSignature(label: string): Promise<string | undefined> {
  const { name, version } = parseLabel(label);
  const { files, sizes } = await tarballFiles(versionInfo(await fetchPackument(name), version).tarball);
  return signatureOf(files.map((rel, i) => ({ rel, size: sizes[i] })));
}

export interface BackfillResult {
  /** Samples that gained signatures. */
  signed: number;
  /** npm samples left without: collected in containers (their sizes were not kept), or no release files. */
  unsigned: number;
  releases: number;
}

/**
 * Adds size signatures to a dataset's static npm samples collected before the collector kept sizes.
 * A static sample's package directories are exactly its releases' tarballs, its own and its
 * dependencies' (static-collector.ts), so the tarballs give the signatures the layer has, every one of
 * them; container samples are left alone, as nothing kept their sizes. Streams the samples file (it is
 * far larger as objects than as text) and rewrites it in place.
 */
export async function addSizeSignatures(
  dir: string,
  signature: ReleaseSignature = npmReleaseSignature,
  opts: { concurrency?: number; progress?: (done: number, total: number) => void } = {},
): Promise<BackfillResult> {
  const file = path.join(dir, 'samples.jsonl.br');
  const wanted = new Set<string>();
  for await (const head of readJsonlBr(file, parseSampleHead))
    if (head.ecosystem === 'npm' && head.method === 'static')
      for (const l of [...head.labels, ...(head.also ?? [])]) wanted.add(l);
  const sigs = new Map<string, string | undefined>();
  const queue = [...wanted].sort();
  let done = 0;
  const worker = async () => {
    for (let label = queue.shift(); label; label = queue.shift()) {
      sigs.set(label, await signature(label));
      opts.progress?.(++done, wanted.size);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));

  const out = new JsonlBrWriter(file);
  const result: BackfillResult = { signed: 0, unsigned: 0, releases: wanted.size };
  for await (const line of readJsonlBr(file, (l: string) => l)) {
    const head = parseSampleHead(line);
    if (head.ecosystem !== 'npm' || head.labels.length === 0) {
      await out.writeLine(line);
      continue;
    }
    const sample = JSON.parse(line) as DatasetSample;
    const signed: Record<string, string[]> = {};
    if (sample.method === 'static')
      for (const label of [...sample.labels, ...(sample.also ?? [])]) {
        const sig = sigs.get(label);
        // Two releases of one dependency (one nested) are two signatures of one package.
        if (sig) signed[packageOf(label)] = [...new Set([...(signed[packageOf(label)] ?? []), sig])].sort();
      }
    if (Object.keys(signed).length) {
      result.signed++;
      await out.write(tagsLast({ ...sample, sizeSignatures: signed }));
    } else {
      result.unsigned++;
      await out.writeLine(line);
    }
  }
  await out.close();
  return result;
}
