import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalBinary } from '../../activities/repo-root';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { installRuntime } from '../../workers/create-workers';

/**
 * A real Temporal dev server from the pinned CLI in tools/ (never the SDK's run-time download,
 * which cannot work offline), with praxi's search attributes registered.
 */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  // Workers in tests log as workers in production do (WARN and up), not the SDK's INFO chatter.
  installRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      ip: '127.0.0.1',
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
}

export async function connectTemporal(
  address: string,
  namespace = 'default',
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
}
