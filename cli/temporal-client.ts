import { Client, Connection } from '@temporalio/client';
import { PraxiError } from '../activities/errors';
import type { Config } from '../config/schema';

/** A client for the configured Temporal server, with an error that says what to do when it is not there. */
export async function connectClient(config: Config): Promise<{ client: Client; close(): Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.temporal.address,
      tls: config.temporal.tls || undefined,
      connectTimeout: 5_000,
    });
    await connection.workflowService.getSystemInfo({});
  } catch (e) {
    throw new PraxiError(
      'UNAVAILABLE',
      `cannot reach Temporal at ${config.temporal.address} (${(e as Error).message}); start one with \`praxi dev\`, ` +
        'point --temporal / PRAXI_TEMPORAL_ADDRESS at yours, or use --local where the command offers it',
      { retryable: true },
    );
  }
  return {
    client: new Client({ connection, namespace: config.temporal.namespace }),
    close: () => connection.close(),
  };
}

/** Where a workflow can be inspected in the Temporal UI. */
export function workflowUrl(config: Config, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
