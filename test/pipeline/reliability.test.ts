import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ScheduleOverlapPolicy, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { S3Store } from '../../activities/store';
import type { ScanSummary } from '../../activities/pipeline/scan-types';
import { readReport } from '../../activities/reports/report-store';
import type { Config } from '../../config/schema';
import { workflowBundle } from '../../workers/create-workers';
import type { ScanRegistryTotals } from '../../workflows/scan-registry';
import { buildImage, buildLayer, pushImage } from '../harness/image-builder';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import type { S3Info } from '../harness/s3';
import { freePort, tempDir } from '../harness/process';
import { useS3, useTemporal } from '../harness/stack';
import { buildAppImage, publishTestModel, s3StoreFor, testConfig, WORLD } from './fixtures';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from './worker-process';

/**
 * Reliability on real pieces: a Temporal dev server, a Distribution registry, MinIO, and `praxi worker`
 * processes that the tests kill.
 */
describe('pipeline reliability (real worker processes)', () => {
  let env: TestWorkflowEnvironment;
  let s3: S3Info;
  let store: S3Store;
  let prefix: string;
  let config: Config;
  let configFile: string;
  let registry: RunningRegistry;
  let registryDir: string;
  let registryPort: number;
  const workers: WorkerProcess[] = [];
  const handles: WorkflowHandle[] = [];

  const startWorker = async () => {
    const w = await startWorkerProcess({ configFile, temporalAddress: env.address, s3, prefix });
    workers.push(w);
    return w;
  };

  const scan = (reference: string, digest: string) =>
    env.client.workflow.start('scanImage', {
      taskQueue: config.temporal.taskQueues.scan,
      workflowId: `scan/${digest}`,
      args: [{ reference, inferQueue: config.temporal.taskQueues.infer, trigger: 'test' }],
    });

  before(async () => {
    env = await useTemporal();
    s3 = await useS3();
    store = s3StoreFor(s3);
    prefix = (store.location.match(/s3:\/\/[^/]+\/([^ ]+)/) ?? [])[1];
    await publishTestModel(store);
    config = testConfig(env);
    configFile = writeWorkerConfig(config);
    registryDir = tempDir('registry-outage');
    registryPort = await freePort();
    registry = await startRegistry({ dir: registryDir, port: registryPort });
  });

  after(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await registry.stop();
  });

  it('finishes a scan after its worker is SIGKILLed mid-scan, with exactly one report', async () => {
    // A layer big enough that its fingerprint activity is still running when the worker dies.
    const big = await buildLayer(
      Array.from({ length: 40 }, (_, i) => ({
        type: 'file' as const,
        path: `opt/blob/part-${i}.bin`,
        content: randomBytes(2 << 20),
      })),
      { compression: 'gzip' },
    );
    const small = await buildLayer([{ type: 'file', path: 'opt/blob/README', content: 'x' }], {
      compression: 'gzip',
    });
    const image = buildImage([small, big]);
    const digest = await pushImage(registry.host, 'kill/app', 'v1', image);
    const first = await startWorker();
    const handle = await scan(`${registry.host}/kill/app@${digest}`, digest);
    handles.push(handle);

    // Kill as soon as a fingerprint activity is running.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = new Map<string, string>();
      for (const e of events) {
        const a = e.activityTaskScheduledEventAttributes;
        if (a) scheduled.set(String(e.eventId), a.activityType?.name ?? '');
      }
      const started = events.filter(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) === 'fingerprintLayer',
      );
      if (started.length > 0) break;
      if (Date.now() > deadline) assert.fail('no fingerprint activity started within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill('SIGKILL');
    await startWorker();
    const summary = (await handle.result()) as ScanSummary;
    assert.equal(summary.failedLayers, 0);
    assert.equal(summary.layers, 2);
    // The killed worker's fingerprint was retried on the new worker (after its heartbeat timed out).
    const events = (await handle.fetchHistory()).events ?? [];
    assert.ok(
      events.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 0) > 1),
      'no activity was retried: the kill did not land mid-activity',
    );
    const reports = (await store.list('reports/')).filter((k) => k.endsWith('/report.json'));
    assert.deepEqual(reports, [`reports/sha256/${digest.slice(7)}/report.json`]);
    const report = await readReport(store, digest);
    assert.equal(report.layers.length, 2);
    assert.ok(report.layers.every((l) => !l.error));
  });

  it('rides out a registry outage of 30 s during a scan', async () => {
    const image = await buildAppImage(21, WORLD.labels[0]);
    const digest = await pushImage(registry.host, 'outage/app', 'v1', image);
    await registry.stop();
    const handle = await scan(`${registry.host}/outage/app@${digest}`, digest);
    handles.push(handle);
    await new Promise((r) => setTimeout(r, 30_000));
    registry = await startRegistry({ dir: registryDir, port: registryPort });
    const summary = (await handle.result()) as ScanSummary;
    assert.equal(summary.failedLayers, 0);
    const events = (await handle.fetchHistory()).events ?? [];
    const attempts = Math.max(...events.map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0));
    assert.ok(attempts > 1, `expected retried activities during the outage, saw at most attempt ${attempts}`);
  });

  it('polls a registry on a schedule: 5 images, 1 corrupt, 4 scanned; the second poll scans nothing again', async () => {
    const digests: string[] = [];
    for (let i = 0; i < 4; i++)
      digests.push(
        await pushImage(registry.host, `five/app${i}`, 'v1', await buildAppImage(100 + i, WORLD.labels[i])),
      );
    const good = await buildLayer([{ type: 'file', path: 'opt/ok', content: 'ok' }], { compression: 'gzip' });
    const garbage = Buffer.from('not gzip '.repeat(50));
    const { createHash } = await import('node:crypto');
    const corrupt = {
      ...good,
      blob: garbage,
      size: garbage.length,
      digest: `sha256:${createHash('sha256').update(garbage).digest('hex')}`,
    };
    digests.push(await pushImage(registry.host, 'five/broken', 'v1', buildImage([good, corrupt])));
    // The same image under a second tag is one digest: scanned once.
    await pushImage(registry.host, 'five/app0', 'v1-alias', await buildAppImage(100, WORLD.labels[0]));

    const scheduleId = `test-${randomUUID()}`;
    const schedule = await env.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 day' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'scanRegistry',
        workflowId: `scan-registry/${scheduleId}`,
        taskQueue: config.temporal.taskQueues.scan,
        args: [
          {
            registry: registry.host,
            repositories: ['five/*'],
            maxConcurrent: 3,
            inferQueue: config.temporal.taskQueues.infer,
          },
        ],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      state: { paused: true },
    });
    const runOnce = async (n: number): Promise<ScanRegistryTotals> => {
      await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const d = await schedule.describe();
        if (d.info.recentActions.length >= n) {
          const wf = d.info.recentActions[n - 1].action.workflow;
          const h = env.client.workflow.getHandle(wf.workflowId, wf.firstExecutionRunId);
          handles.push(h);
          return (await h.result()) as ScanRegistryTotals;
        }
        if (Date.now() > deadline) assert.fail('the schedule did not start a run');
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const firstRun = await runOnce(1);
    assert.deepEqual(
      { d: firstRun.discovered, s: firstRun.scanned, f: firstRun.failed },
      { d: 5, s: 4, f: 1 },
    );
    const broken = await readReport(store, digests[4]);
    assert.equal(broken.layers[1].error?.code, 'CORRUPT_CONTENT');
    const secondRun = await runOnce(2);
    assert.deepEqual(
      { d: secondRun.discovered, s: secondRun.scanned, a: secondRun.alreadyScanned },
      { d: 0, s: 0, a: 5 },
    );
    await schedule.delete();
  });

  it('replays every recorded history against the current workflow code without nondeterminism', async () => {
    assert.ok(handles.length >= 4);
    const histories = [];
    for (const h of handles) histories.push({ workflowId: h.workflowId, history: await h.fetchHistory() });
    // Child scans started by the poller are part of what must replay too.
    for await (const wf of env.client.workflow.list({
      query: `WorkflowType = 'scanImage' AND TaskQueue = '${config.temporal.taskQueues.scan}'`,
    })) {
      histories.push({
        workflowId: wf.workflowId,
        history: await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory(),
      });
    }
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });
});
