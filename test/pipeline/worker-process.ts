import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../activities/repo-root';
import type { Config } from '../../config/schema';
import type { S3Info } from '../harness/s3';
import { tempDir } from '../harness/process';

/**
 * A real `praxi worker` process (what operators run), configured through a config file and the
 * environment only, as in production. Tests kill it with SIGKILL to prove scans survive.
 */
export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The worker's config file: the test's task queues, plus `extra` top-level sections (e.g. `collect`). */
export function writeWorkerConfig(config: Config, extra: Record<string, unknown> = {}): string {
  const file = path.join(tempDir('worker-config'), 'praxi.json');
  writeFileSync(
    file,
    JSON.stringify({
      temporal: { taskQueues: config.temporal.taskQueues },
      alarms: { log: false },
      ...extra,
    }),
  );
  return file;
}

export async function startWorkerProcess(opts: {
  configFile: string;
  temporalAddress: string;
  s3: S3Info;
  prefix: string;
  queues?: string;
}): Promise<WorkerProcess> {
  let out = '';
  const child = spawn(
    process.execPath,
    [path.join(repoRoot(), 'bin', 'praxi.js'), 'worker', '--queues', opts.queues ?? 'scan,infer'],
    {
      env: {
        ...process.env,
        PRAXI_CONFIG: opts.configFile,
        PRAXI_TEMPORAL_ADDRESS: opts.temporalAddress,
        PRAXI_S3_BUCKET: opts.s3.bucket,
        PRAXI_S3_PREFIX: opts.prefix,
        PRAXI_S3_ENDPOINT: opts.s3.endpoint,
        PRAXI_S3_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: opts.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: opts.s3.secretAccessKey,
        AWS_REGION: opts.s3.region,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  // Ready once it says which queues it polls.
  const deadline = Date.now() + 60_000;
  while (!/worker on .*task queues/.test(out)) {
    if (child.exitCode !== null) throw new Error(`praxi worker exited early (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`praxi worker did not start within 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
