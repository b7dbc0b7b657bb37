import * as path from 'node:path';
import type { Command } from 'commander';
import { loadDataset, trainingSplits } from '../../activities/collect/dataset';
import { openStore } from '../../activities/store';
import { evaluate, formatEvalReport } from '../../models/evaluate';
import { loadModel } from '../../models/model';
import { configFrom } from '../context';

export function registerEval(program: Command): void {
  program
    .command('eval [data]')
    .description(
      "score a model on a dataset's held-out split: micro and macro F1, precision and recall at version and " +
        'package level, single- and multi-label, per ecosystem, confused versions, false positives on base layers ' +
        '(default data: the shipped dataset, models/dataset)',
    )
    .option('--model <version>', 'model version (default: the current one)')
    .option('--json', 'print the full evaluation as JSON')
    .action(async (data: string | undefined, opts: { model?: string; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const ds = await loadDataset(data ? path.resolve(data) : undefined, { split: 'test' });
      const model = await loadModel(openStore(config.store), opts.model);
      const report = evaluate(model, trainingSplits(ds).test);
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatEvalReport(report));
    });
}
