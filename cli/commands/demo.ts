import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { openStore } from '../../activities/store';
import { currentVersion } from '../../models/registry';
import { startDevServer } from '../../workers/dev-server';
import { createWorkers, ROLES } from '../../workers/create-workers';
import { startLocalRegistry } from '../../workers/local-registry';
import { configFrom } from '../context';
import { buildAndPush, chooseVersions, findingsTable, pollOnce, reportsOf } from '../demo/run';
import { installPretrained } from '../pretrained';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the end-to-end demo on embedded defaults: starts a Temporal dev server, a local registry and an all-in-one ' +
        'worker; builds demo images with real pip and npm installs and pushes them; creates a schedule that polls the ' +
        'registry, triggers it, waits for the scans; prints findings and alarms and the Temporal UI address; then ' +
        'keeps serving the UI until Ctrl-C',
    )
    .option('--no-serve', 'exit when the demo is done instead of keeping the UI up')
    .option('--port <n>', 'Temporal frontend port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .option('--registry-port <n>', 'local registry port', '5055')
    .action(
      async (opts: { serve: boolean; port: string; uiPort: string; registryPort: string }, cmd: Command) => {
        const config = configFrom(cmd);
        const log = (s: string) => console.log(s);
        const store = openStore(config.store);
        const installed = await installPretrained(store);
        log(installed.message);
        if (!(await currentVersion(store))) {
          log(
            'warning: no model in the store, so findings come from package records only (train one with `praxi train full DATA`)',
          );
        }
        const server = await startDevServer({
          dataDir: path.resolve(config.dataDir, 'temporal'),
          port: Number(opts.port),
          uiPort: Number(opts.uiPort),
        });
        config.temporal.address = server.address;
        log(`Temporal dev server on ${server.address}; UI ${server.uiUrl}`);
        const stops: Array<() => Promise<void>> = [server.stop];
        let connection: Connection | undefined;
        try {
          const registry = await startLocalRegistry({
            dataDir: path.resolve(config.dataDir, 'registry'),
            port: Number(opts.registryPort),
          });
          stops.unshift(registry.stop);
          log(`registry on ${registry.host}`);
          const { workers, connection: native } = await createWorkers({ config, roles: ROLES, store });
          const running = workers.map((w) => w.run());
          stops.unshift(async () => {
            for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
            await Promise.allSettled(running);
            await native.close();
          });

          await buildAndPush(config, registry.host, await chooseVersions(store), log);
          connection = await Connection.connect({ address: server.address });
          const client = new Client({ connection, namespace: config.temporal.namespace });
          log('polling the registry through the praxi-demo schedule...');
          const { totals, workflowId } = await pollOnce(client, config, registry.host);
          log(
            `scanRegistry ${workflowId}: ${totals.discovered} new images, ${totals.scanned} scanned, ${totals.alreadyScanned} scanned before, ${totals.failed} failed`,
          );
          log(findingsTable(await reportsOf(store, client, registry.host)));
          const ns = encodeURIComponent(config.temporal.namespace);
          log(`\nTemporal UI: ${server.uiUrl}/namespaces/${ns}/workflows`);
          log(
            `  scans:     ${server.uiUrl}/namespaces/${ns}/workflows?query=${encodeURIComponent("WorkflowType='scanImage'")}`,
          );
          log(`  schedule:  ${server.uiUrl}/namespaces/${ns}/schedules/praxi-demo`);
          log(
            `Reports are in ${store.location} (praxi report IMAGE, praxi --store ${config.store.kind === 'local' ? config.store.dir : '...'} report ...).`,
          );
          if (opts.serve) {
            log('serving the Temporal UI; press Ctrl-C to stop');
            await new Promise<void>((resolve) => {
              process.once('SIGINT', resolve);
              process.once('SIGTERM', resolve);
            });
          }
        } finally {
          // The demo registry stops with the demo: a later `praxi dev` on the same data must not poll it.
          if (connection) {
            await new Client({ connection, namespace: config.temporal.namespace }).schedule
              .getHandle('praxi-demo')
              .pause('the demo registry stopped with the demo')
              .catch(() => undefined);
          }
          await connection?.close();
          for (const stop of stops) await stop().catch(() => undefined);
        }
      },
    );
}
