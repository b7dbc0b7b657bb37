import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { configFrom } from '../context';
import { startDevServer } from '../../workers/dev-server';
import { createWorkers, ROLES } from '../../workers/create-workers';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the end-to-end demo on embedded defaults: starts a Temporal dev server and an all-in-one worker, runs the ' +
        'pipeline, prints the results and the Temporal UI address, then keeps serving the UI until Ctrl-C',
    )
    .option('--no-serve', 'exit when the demo is done instead of keeping the UI up')
    .option('--port <n>', 'Temporal frontend port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .action(async (opts: { serve: boolean; port: string; uiPort: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const server = await startDevServer({
        dataDir: path.resolve(config.dataDir, 'temporal'),
        port: Number(opts.port),
        uiPort: Number(opts.uiPort),
      });
      config.temporal.address = server.address;
      console.log(`Temporal dev server on ${server.address}`);
      let stopWorkers = async () => {};
      let connection: Connection | undefined;
      try {
        const { workers, connection: native } = await createWorkers({ config, roles: ROLES });
        const running = workers.map((w) => w.run());
        stopWorkers = async () => {
          for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
          await Promise.allSettled(running);
          await native.close();
        };
        connection = await Connection.connect({ address: server.address });
        const client = new Client({ connection, namespace: config.temporal.namespace });
        const workflowId = `smoke/${randomUUID()}`;
        const result = await client.workflow.execute('smoke', {
          taskQueue: config.temporal.taskQueues.scan,
          workflowId,
          args: ['demo'],
        });
        console.log(`smoke workflow ${workflowId}: ${result}`);
        console.log(`\nTemporal UI: ${server.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
        if (opts.serve) {
          console.log('serving the Temporal UI; press Ctrl-C to stop');
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
        }
      } finally {
        await connection?.close();
        await stopWorkers();
        await server.stop();
      }
    });
}
