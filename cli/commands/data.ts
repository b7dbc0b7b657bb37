import * as path from 'node:path';
import type { Command } from 'commander';
import {
  datasetStats,
  loadDataset,
  loadDatasetSummary,
  versionCeiling,
} from '../../activities/collect/dataset';
import { addSizeSignatures, registryReleaseFiles } from '../../activities/collect/size-backfill';
import { ECOSYSTEMS } from '../../models/label';

export function registerData(program: Command): void {
  const data = program.command('data').description('training datasets');
  data
    .command('stats [data]')
    .description(
      'per ecosystem: labels, packages, single- and multi-label samples, failed recipes (default: the shipped dataset)',
    )
    .option('--json', 'print JSON')
    .action(async (dir: string | undefined, opts: { json?: boolean }) => {
      const ds = await loadDatasetSummary(dir ? path.resolve(dir) : undefined);
      const stats = datasetStats(ds);
      if (opts.json)
        return void console.log(JSON.stringify({ manifest: ds.manifest, ecosystems: stats }, null, 2));
      console.log(
        `dataset made ${ds.manifest.created} with tokenizer ${ds.manifest.tokenizer.name}@${ds.manifest.tokenizer.version}`,
      );
      console.log(
        ['ecosystem', 'labels', 'packages', 'single', 'multi', 'negative', 'failed', 'train', 'test'].join(
          '\t',
        ),
      );
      for (const eco of ECOSYSTEMS) {
        const s = stats[eco];
        console.log(
          [
            eco,
            s.labels,
            s.packages,
            s.singleLabelSamples,
            s.multiLabelSamples,
            s.negativeSamples,
            s.failedRecipes,
            s.trainSamples,
            s.testSamples,
          ].join('\t'),
        );
      }
    });
  data
    .command('ceiling [data]')
    .description(
      "per ecosystem: the test split's single-label layers whose tags equal a layer of another version of " +
        'their package, and the best version accuracy a model that reads only paths can expect on the test ' +
        'layers (default: the shipped dataset)',
    )
    .option('--json', 'print JSON')
    .action(async (dir: string | undefined, opts: { json?: boolean }) => {
      const ceiling = versionCeiling((await loadDataset(dir ? path.resolve(dir) : undefined)).samples);
      if (opts.json) return void console.log(JSON.stringify(ceiling, null, 2));
      console.log(
        [
          'ecosystem',
          'test layers',
          'same tags as another version',
          'ceiling',
          'same tags and sizes',
          'ceiling with sizes',
        ].join('\t'),
      );
      for (const [eco, c] of Object.entries(ceiling))
        console.log(
          [
            eco,
            c.testLayers,
            c.sharedWithAnotherVersion,
            c.ceiling.toFixed(3),
            c.sharedWithSizes,
            c.ceilingWithSizes.toFixed(3),
          ].join('\t'),
        );
    });
  data
    .command('add-size-signatures <data>')
    .description(
      "add size signatures to a dataset's npm and static PyPI samples collected before the collector kept " +
        "file sizes (each release's tarball headers or wheel directory is read from the registry), and to npm " +
        'samples the versions their package.json files declare (rewrites DATA/samples.jsonl.br)',
    )
    .action(async (dir: string) => {
      const tty = process.stderr.isTTY;
      const r = await addSizeSignatures(path.resolve(dir), registryReleaseFiles(), {
        progress: (done, total) => {
          if (tty || done === total || done % 200 === 0)
            process.stderr.write(
              `${tty ? '\r' : ''}${done}/${total} releases${tty && done < total ? '' : '\n'}`,
            );
        },
      });
      for (const f of r.failed) console.error(`not read: ${f}`);
      console.log(
        `${r.releases} releases read (${r.failed.length} failed); ${r.signed} samples signed, ${r.unsigned} npm and PyPI samples left without (PyPI container-collected, pip --target, or a release not read); ${r.declared} npm samples with declared versions`,
      );
    });
}
