import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Command } from 'commander';
import type { CollectProgress } from '../../workflows/collect-training-data';
import { configFrom } from '../context';
import { connectClient, workflowUrl } from '../temporal-client';

export function registerCollect(program: Command): void {
  program
    .command('collect <plan>')
    .description(
      'run a training-data collection plan as the collectTrainingData workflow (one activity per install, on the ' +
        'train queue); the same plan resumes where it stopped, finished installs are not redone',
    )
    .option('--concurrency <n>', 'installs in flight at once', '4')
    .option('--no-wait', 'start and return instead of following progress')
    .action(async (plan: string, opts: { concurrency: string; wait: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const file = path.resolve(plan);
      // One workflow per plan file: running the command again attaches to the running collection.
      const workflowId = `collect/${createHash('sha256').update(file).digest('hex').slice(0, 16)}`;
      const { client, close } = await connectClient(config);
      try {
        const handle = await client.workflow.start('collectTrainingData', {
          taskQueue: config.temporal.taskQueues.scan,
          workflowId,
          args: [
            {
              plan: file,
              concurrency: Number(opts.concurrency),
              trainQueue: config.temporal.taskQueues.train,
            },
          ],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        });
        console.log(`${workflowId}: ${workflowUrl(config, workflowId)}`);
        if (!opts.wait) return;
        const show = (p: CollectProgress) =>
          process.stderr.write(
            `${process.stderr.isTTY ? '\r' : ''}${p.ok + p.failed}/${p.total} recipes (${p.failed} failed)${process.stderr.isTTY ? '' : '\n'}`,
          );
        const timer = setInterval(
          () => void handle.query<CollectProgress>('progress').then(show, () => undefined),
          3_000,
        );
        try {
          const done = (await handle.result()) as CollectProgress;
          show(done);
          process.stderr.write('\n');
          console.log(JSON.stringify(done, null, 2));
        } finally {
          clearInterval(timer);
        }
      } finally {
        await close();
      }
    });
}
