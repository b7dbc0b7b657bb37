import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Config } from '../config/schema';
import { openStore } from '../activities/store';
import type { ObjectStore } from '../activities/store/object-store';
import { createActivities } from '../activities/temporal';

export type Role = 'scan' | 'infer' | 'train';
export const ROLES: readonly Role[] = ['scan', 'infer', 'train'];

/**
 * Concurrency per role on a 2-core machine: scanning is I/O bound (many layers in flight), inference
 * and training are CPU bound (about one task per core).
 */
const ACTIVITY_SLOTS: Record<Role, number> = { scan: 16, infer: 2, train: 2 };

let runtimeInstalled = false;

/**
 * One SDK runtime per process, logging at PRAXI_LOG_LEVEL (default WARN). Activity-only queues are
 * expected to host no workflows, so the SDK's warning about that is dropped rather than shown to users.
 */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.PRAXI_LOG_LEVEL?.toUpperCase() ?? 'WARN') as LogLevel;
  const logger = new DefaultLogger(level, (entry) => {
    if (entry.message.startsWith('No workflows registered')) return;
    const meta = entry.meta && Object.keys(entry.meta).length ? ` ${JSON.stringify(entry.meta)}` : '';
    process.stderr.write(
      `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${meta}\n`,
    );
  });
  try {
    Runtime.install({ logger });
  } catch {
    // Already created by an earlier SDK call in this process (tests); keep that one.
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Webpack-bundles the workflows once per process, however many workers share it. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger() });
  return bundle;
}

function quietLogger() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
}

export interface WorkerSetOptions {
  config: Config;
  roles: readonly Role[];
  connection?: NativeConnection;
  store?: ObjectStore;
}

/**
 * Workers for the given roles over one connection. Workflows run on the scan queue; activities are
 * routed by task queue so CPU-heavy inference and training never starve layer downloads.
 */
export async function createWorkers(
  opts: WorkerSetOptions,
): Promise<{ workers: Worker[]; connection: NativeConnection }> {
  const { config } = opts;
  installRuntime();
  const connection =
    opts.connection ??
    (await NativeConnection.connect({
      address: config.temporal.address,
      tls: config.temporal.tls || undefined,
    }));
  const store = opts.store ?? openStore(config.store);
  const activities = createActivities({ config, store });
  const workers: Worker[] = [];
  for (const role of opts.roles) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueues[role],
        activities,
        ...(role === 'scan' ? { workflowBundle: await workflowBundle() } : {}),
        maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS[role],
        shutdownGraceTime: '10 seconds',
      }),
    );
  }
  return { workers, connection };
}

/**
 * Runs workers until the SDK's default shutdown signals (SIGINT, SIGTERM, ...) arrive, then drains them:
 * in-flight activities get the grace time to finish.
 */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}
