import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { BadInputError, NotFoundError } from '../../activities/errors';
import { configFrom } from '../context';
import { connectClient } from '../temporal-client';
import type { Config } from '../../config/schema';

const ID_PREFIX = 'praxi-scan-';

/** Schedule ids are derived from the registry so one registry has one polling schedule by default. */
export function scheduleIdFor(registry: string): string {
  return ID_PREFIX + registry.replace(/[^A-Za-z0-9.-]+/g, '-');
}

function everyToDuration(every: string): string {
  const m = /^(\d+)([smhd])$/.exec(every);
  if (!m) throw new BadInputError(`--every ${every}: expected a number and a unit: 30s, 5m, 1h, 1d`);
  const unit = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days' }[m[2] as 's' | 'm' | 'h' | 'd'];
  return `${m[1]} ${unit}`;
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('Temporal Schedules that poll registries for new images');

  schedule
    .command('create')
    .description(
      'create a schedule that runs scanRegistry against a registry every interval, or with --advisories one that ' +
        'runs refreshAdvisories (update the advisory database, re-match stored inventories, alarm on what is new)',
    )
    .option('--advisories', 'schedule refreshAdvisories instead of registry polling (default every 1d)')
    .option('--registry <host:port>', 'registry to poll (default: config scan.registry)')
    .option(
      '--repositories <list>',
      'comma-separated repository names or globs (default: config scan.repositories, else all)',
    )
    .option('--every <interval>', 'polling interval: 30s, 5m, 1h, 1d (default: config scan.every)')
    .option('--id <scheduleId>', 'schedule id (default: praxi-scan-<registry>)')
    .option('--max-concurrent <n>', 'image scans in flight at once (default: config scan.maxConcurrentScans)')
    .option('--paused', 'create it paused')
    .action(async (opts, cmd: Command) => {
      const config = configFrom(cmd);
      if (opts.advisories) {
        const every = everyToDuration(opts.every ?? '1d');
        await createSchedule(config, {
          scheduleId: opts.id ?? 'praxi-refresh-advisories',
          every,
          workflowType: 'refreshAdvisories',
          workflowId: 'refresh-advisories',
          args: [{}],
          paused: Boolean(opts.paused),
          what: `refreshAdvisories every ${every}`,
        });
        return;
      }
      const registry: string | undefined = opts.registry ?? config.scan.registry;
      if (!registry)
        throw new BadInputError('no registry to poll: pass --registry HOST:PORT or set scan.registry');
      const repositories: string[] = opts.repositories
        ? String(opts.repositories)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : config.scan.repositories;
      const every = everyToDuration(opts.every ?? config.scan.every);
      const maxConcurrent = opts.maxConcurrent ? Number(opts.maxConcurrent) : config.scan.maxConcurrentScans;
      if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1)
        throw new BadInputError('--max-concurrent must be a positive integer');
      await createSchedule(config, {
        scheduleId: opts.id ?? scheduleIdFor(registry),
        every,
        workflowType: 'scanRegistry',
        workflowId: `scan-registry/${registry}`,
        args: [scanRegistryArgs(config, registry, repositories, maxConcurrent)],
        paused: Boolean(opts.paused),
        what: `scanRegistry ${registry} every ${every}`,
      });
    });

  schedule
    .command('list')
    .description('list schedules')
    .option('--json', 'print JSON')
    .action(async (opts, cmd: Command) => {
      const config = configFrom(cmd);
      const { client, close } = await connectClient(config);
      try {
        const rows = [];
        for await (const s of client.schedule.list()) {
          rows.push({
            id: s.scheduleId,
            paused: s.state.paused,
            note: s.state.note ?? '',
            next: s.info.nextActionTimes[0]?.toISOString() ?? '',
          });
        }
        if (opts.json) console.log(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) console.log('no schedules');
        else
          for (const r of rows)
            console.log(`${r.id}\t${r.paused ? 'paused' : 'active'}\tnext ${r.next || '-'}\t${r.note}`);
      } finally {
        await close();
      }
    });

  schedule
    .command('describe <scheduleId>')
    .description('show a schedule, its recent runs and the next ones')
    .action(async (scheduleId: string, _opts, cmd: Command) => {
      const config = configFrom(cmd);
      const { client, close } = await connectClient(config);
      try {
        const d = await withSchedule(client.schedule.getHandle(scheduleId), (h) => h.describe(), scheduleId);
        console.log(
          JSON.stringify(
            {
              id: d.scheduleId,
              paused: d.state.paused,
              note: d.state.note,
              spec: d.spec,
              action:
                d.action.type === 'startWorkflow'
                  ? { workflowType: d.action.workflowType, args: d.action.args }
                  : d.action,
              recentActions: d.info.recentActions.map((a) => ({
                at: a.takenAt,
                workflowId: a.action.workflow.workflowId,
              })),
              nextActionTimes: d.info.nextActionTimes,
            },
            null,
            2,
          ),
        );
      } finally {
        await close();
      }
    });

  for (const [name, description] of [
    ['pause', 'pause a schedule'],
    ['unpause', 'unpause a schedule'],
    ['trigger', 'run a schedule now'],
    ['delete', 'delete a schedule (running scans finish)'],
  ] as const) {
    schedule
      .command(`${name} <scheduleId>`)
      .description(description)
      .action(async (scheduleId: string, _opts, cmd: Command) => {
        const config = configFrom(cmd);
        const { client, close } = await connectClient(config);
        try {
          const h = client.schedule.getHandle(scheduleId);
          await withSchedule(
            h,
            (x) =>
              name === 'pause'
                ? x.pause('praxi cli')
                : name === 'unpause'
                  ? x.unpause('praxi cli')
                  : name === 'trigger'
                    ? x.trigger(ScheduleOverlapPolicy.ALLOW_ALL)
                    : x.delete(),
            scheduleId,
          );
          console.log(`${name}: ${scheduleId} done`);
        } finally {
          await close();
        }
      });
  }

  schedule
    .command('backfill <scheduleId>')
    .description('run the actions a schedule would have taken between two times')
    .requiredOption('--from <time>', 'start (ISO 8601)')
    .requiredOption('--to <time>', 'end (ISO 8601)')
    .action(async (scheduleId: string, opts: { from: string; to: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const start = new Date(opts.from);
      const end = new Date(opts.to);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
        throw new BadInputError('--from and --to must be ISO 8601 times with --from before --to');
      }
      const { client, close } = await connectClient(config);
      try {
        await withSchedule(
          client.schedule.getHandle(scheduleId),
          (h) => h.backfill({ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL }),
          scheduleId,
        );
        console.log(
          `backfill of ${scheduleId} from ${start.toISOString()} to ${end.toISOString()} requested`,
        );
      } finally {
        await close();
      }
    });
}

/**
 * Creates a schedule whose action starts one workflow. A run still going when the next is due is not
 * doubled: the next one is skipped (overlap SKIP).
 */
async function createSchedule(
  config: Config,
  s: {
    scheduleId: string;
    every: string;
    workflowType: string;
    workflowId: string;
    args: unknown[];
    paused: boolean;
    what: string;
  },
): Promise<void> {
  const { client, close } = await connectClient(config);
  try {
    await client.schedule.create({
      scheduleId: s.scheduleId,
      spec: { intervals: [{ every: s.every as `${number} minutes` }] },
      action: {
        type: 'startWorkflow',
        workflowType: s.workflowType,
        workflowId: s.workflowId,
        taskQueue: config.temporal.taskQueues.scan,
        args: s.args,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { paused: s.paused, note: `praxi: ${s.what}` },
    });
    console.log(`created schedule ${s.scheduleId}: ${s.what}${s.paused ? ' (paused)' : ''}`);
  } finally {
    await close();
  }
}

export function scanRegistryArgs(
  config: Config,
  registry: string,
  repositories: string[],
  maxConcurrent: number,
) {
  return { registry, repositories, maxConcurrent, inferQueue: config.temporal.taskQueues.infer };
}

async function withSchedule<H, T>(handle: H, fn: (h: H) => Promise<T>, id: string): Promise<T> {
  try {
    return await fn(handle);
  } catch (e) {
    if ((e as Error).name === 'ScheduleNotFoundError') throw new NotFoundError(`no schedule ${id}`);
    throw e;
  }
}
