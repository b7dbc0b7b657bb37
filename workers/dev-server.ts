import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalBinary } from '../activities/repo-root';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes';

export interface DevServer {
  address: string;
  uiUrl: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` from the pinned CLI, persisting to a SQLite file under the data folder,
 * with praxi's search attributes registered. Resolves once the frontend answers.
 */
export async function startDevServer(opts: {
  dataDir: string;
  ip?: string;
  port?: number;
  uiPort?: number;
}): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  mkdirSync(opts.dataDir, { recursive: true });
  const logFile = path.join(opts.dataDir, 'temporal.log');
  const out = openSync(logFile, 'a');
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--ui-port', String(uiPort)];
  args.push('--db-filename', path.join(opts.dataDir, 'temporal.sqlite'), '--log-level', 'warn');
  for (const sa of SEARCH_ATTRIBUTE_FLAGS) args.push('--search-attribute', sa);
  const child: ChildProcess = spawn(temporalBinary(), args, { stdio: ['ignore', out, out] });
  let exit: string | undefined;
  child.on('exit', (code, sig) => (exit = `exited with ${sig ?? code}`));
  const address = `${ip}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exit)
      throw new Error(`Temporal dev server ${exit}; see ${logFile} (is port ${port} or ${uiPort} in use?)`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not answer on ${address} within 60 s; see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: `http://${ip}:${uiPort}`,
    logFile,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}
