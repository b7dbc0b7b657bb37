import * as path from 'node:path';
import type { Command } from 'commander';
import { configFrom } from '../context';
import { startDevServer } from '../../workers/dev-server';
import { createWorkers, ROLES, runWorkers } from '../../workers/create-workers';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      'run everything on this machine: a Temporal dev server (SQLite under the data folder, Web UI on ' +
        '127.0.0.1:8233, praxi search attributes registered) and an all-in-one worker; Ctrl-C stops both',
    )
    .option('--port <n>', 'Temporal frontend port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .action(async (opts: { port: string; uiPort: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const server = await startDevServer({
        dataDir: path.resolve(config.dataDir, 'temporal'),
        port: Number(opts.port),
        uiPort: Number(opts.uiPort),
      });
      config.temporal.address = server.address;
      console.log(`Temporal dev server on ${server.address} (log ${server.logFile})`);
      console.log(`Temporal UI: ${server.uiUrl}`);
      try {
        const { workers, connection } = await createWorkers({ config, roles: ROLES });
        console.log(
          `worker running on task queues ${ROLES.map((r) => config.temporal.taskQueues[r]).join(', ')}; Ctrl-C to stop`,
        );
        await runWorkers(workers);
        await connection.close();
      } finally {
        await server.stop();
        console.log('stopped');
      }
    });
}
