import * as path from 'node:path';
import type { Command } from 'commander';
import {
  datasetStats,
  loadDataset,
  loadDatasetSummary,
  versionCeiling,
} from '../../activities/collect/dataset';
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
      console.log(['ecosystem', 'test layers', 'same tags as another version', 'ceiling'].join('\t'));
      for (const [eco, c] of Object.entries(ceiling))
        console.log([eco, c.testLayers, c.sharedWithAnotherVersion, c.ceiling.toFixed(3)].join('\t'));
    });
}
