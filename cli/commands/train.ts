import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { BadInputError } from '../../activities/errors';
import { openStore } from '../../activities/store';
import {
  evaluateVersion,
  promoteVersion,
  trainCandidate,
  type RetrainMode,
} from '../../activities/pipeline/training';
import { ROUTING_STRATEGIES, type RoutingStrategy } from '../../models/routing';
import { currentVersion, getManifest } from '../../models/registry';
import type { RetrainResult } from '../../workflows/retrain';
import { configFrom } from '../context';
import { connectClient, workflowUrl } from '../temporal-client';

interface TrainOpts {
  local?: boolean;
  routing?: RoutingStrategy;
  groupSize?: string;
  maxRegression: string;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train models: incrementally (new labels only) or in full, through the retrain workflow');
  const add = (mode: RetrainMode, description: string) =>
    train
      .command(`${mode} <data>`)
      .description(description)
      .addOption(
        new Option('--routing <strategy>', 'how labels are grouped into experts').choices([
          ...ROUTING_STRATEGIES,
        ]),
      )
      .option('--group-size <n>', 'labels per expert')
      .option('--max-regression <f1>', 'largest F1 drop on known labels that still publishes', '0.005')
      .option('--local', 'train in this process (no Temporal server); publishes the same way')
      .option('--json', 'print the result as JSON')
      .action(async (data: string, opts: TrainOpts, cmd: Command) => {
        const config = configFrom(cmd);
        const groupSize = opts.groupSize ? Number(opts.groupSize) : undefined;
        if (groupSize !== undefined && (!Number.isInteger(groupSize) || groupSize < 1))
          throw new BadInputError('--group-size must be a positive integer');
        const maxRegression = Number(opts.maxRegression);
        if (!Number.isFinite(maxRegression) || maxRegression < 0)
          throw new BadInputError('--max-regression must be a non-negative number');
        const dataDir = path.resolve(data);
        const request = { mode, data: dataDir, routing: opts.routing, groupSize, maxRegression };
        let result: RetrainResult;
        if (opts.local) {
          const store = openStore(config.store);
          const base = await currentVersion(store);
          const known = base ? (await getManifest(store, base)).labels : undefined;
          process.stderr.write(`training (${mode}) from ${dataDir}...\n`);
          const candidate = await trainCandidate(store, { ...request, baseVersion: base });
          const after = await evaluateVersion(store, candidate.version, dataDir, known);
          const before = base ? await evaluateVersion(store, base, dataDir, known) : undefined;
          const drop = before ? before.versionMicroF1 - after.versionMicroF1 : 0;
          const published = !before || drop <= maxRegression;
          if (published) await promoteVersion(store, candidate.version);
          result = {
            candidate,
            before,
            after,
            published,
            reason: published ? 'within the regression margin' : `F1 fell by ${drop.toFixed(4)}`,
          };
        } else {
          const { client, close } = await connectClient(config);
          try {
            const workflowId = `retrain/${randomUUID()}`;
            const handle = await client.workflow.start('retrain', {
              taskQueue: config.temporal.taskQueues.scan,
              workflowId,
              args: [{ ...request, trainQueue: config.temporal.taskQueues.train }],
            });
            process.stderr.write(`started ${workflowId}: ${workflowUrl(config, workflowId)}\n`);
            const poll = setInterval(async () => {
              const s = await handle.query<string>('status').catch(() => undefined);
              if (s) process.stderr.write(`  ${s}\n`);
            }, 5_000);
            try {
              result = (await handle.result()) as RetrainResult;
            } finally {
              clearInterval(poll);
            }
          } finally {
            await close();
          }
        }
        if (opts.json) return void console.log(JSON.stringify(result, null, 2));
        const c = result.candidate;
        console.log(
          `candidate ${c.version}: ${c.labels} labels, ${c.experts} experts (${c.added} new labels), trained in ${(c.trainMs / 1000).toFixed(1)} s`,
        );
        if (result.before)
          console.log(
            `F1 on known labels: ${result.before.versionMicroF1.toFixed(4)} -> ${result.after.versionMicroF1.toFixed(4)}`,
          );
        else console.log(`F1 (version level): ${result.after.versionMicroF1.toFixed(4)}`);
        console.log(
          result.published
            ? `published ${c.version} as the current model`
            : `not published: ${result.reason}`,
        );
      });
  add(
    'add',
    'train experts only for labels the current model lacks; every existing expert is reused unchanged',
  );
  add('full', 'retrain every label with the chosen routing');

  train
    .command('status [workflowId]')
    .description('retrain workflows: the running ones, or one by id')
    .action(async (workflowId: string | undefined, _opts, cmd: Command) => {
      const config = configFrom(cmd);
      const { client, close } = await connectClient(config);
      try {
        if (workflowId) {
          const h = client.workflow.getHandle(workflowId);
          const d = await h.describe();
          const s = d.status.name === 'RUNNING' ? await h.query<string>('status') : d.status.name;
          console.log(`${workflowId}: ${s}`);
          return;
        }
        let n = 0;
        for await (const wf of client.workflow.list({ query: "WorkflowType = 'retrain'" })) {
          console.log(`${wf.workflowId}\t${wf.status.name}\t${wf.startTime.toISOString()}`);
          if (++n >= 20) break;
        }
        if (n === 0) console.log('no retrain workflows');
      } finally {
        await close();
      }
    });
}
