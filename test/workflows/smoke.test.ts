import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseConfig } from '../../config/load';
import { LocalStore } from '../../activities/store';
import { createWorkers } from '../../workers/create-workers';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { tempDir } from '../harness/process';
import { useTemporal } from '../harness/stack';

describe('smoke workflow on the real Temporal dev server', () => {
  it('runs an activity through a worker against the object store', async () => {
    const env = await useTemporal();
    const dir = tempDir('smoke-store');
    const taskQueue = `smoke-${randomUUID()}`;
    const config = parseConfig({
      temporal: {
        address: env.address,
        taskQueues: { scan: taskQueue, infer: `${taskQueue}-i`, train: `${taskQueue}-t` },
      },
      store: { kind: 'local', dir },
    });
    const { workers } = await createWorkers({
      config,
      roles: ['scan'],
      connection: env.nativeConnection,
      store: new LocalStore(dir),
    });
    const result = await workers[0].runUntil(
      env.client.workflow.execute('smoke', { taskQueue, workflowId: `smoke/${randomUUID()}`, args: ['ci'] }),
    );
    assert.match(result as string, /^hello ci \(store file:\/\//);
    assert.equal((await new LocalStore(dir).get('smoke/ci.txt')).toString(), 'hello ci');
  });

  it('has praxi search attributes registered', async () => {
    const env = await useTemporal();
    const res = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      assert.ok(key.name in (res.customAttributes ?? {}), `${key.name} is not registered`);
    }
  });
});
