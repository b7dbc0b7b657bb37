import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { readReport } from '../../activities/reports/report-store';
import type { ScanSummary } from '../../activities/pipeline/scan-types';
import type { Config } from '../../config/schema';
import { MANIFEST_DIGEST, FINDINGS_COUNT } from '../../workflows/search-attributes';
import { buildImage, buildLayer, pushImage } from '../harness/image-builder';
import { useRegistry, useS3, useTemporal } from '../harness/stack';
import { tempDir } from '../harness/process';
import type { RefreshAdvisoriesResult } from '../../workflows/refresh-advisories';
import { buildAppImage, publishTestModel, s3StoreFor, testConfig, WORLD, runWorkers } from './fixtures';
import type { S3Store } from '../../activities/store';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

/** Temporal wraps the failure that matters in several layers: name every one. */
export function failureChain(e: unknown): string {
  const parts: string[] = [];
  for (
    let c = e as { message?: string; type?: string; cause?: unknown } | undefined;
    c;
    c = c.cause as typeof c
  ) {
    parts.push(`${c.type ? `[${c.type}] ` : ''}${c.message}`);
  }
  return parts.join(' <- ');
}

describe('scanImage workflow: registry → layers → experts → risk → report (real server, registry, MinIO)', () => {
  let env: TestWorkflowEnvironment;
  let store: S3Store;
  let config: Config;
  let workers: { stop(): Promise<void> };
  let registry: string;
  let modelVersion: string;

  before(async () => {
    env = await useTemporal();
    registry = (await useRegistry()).host;
    store = s3StoreFor(await useS3());
    modelVersion = await publishTestModel(store);
    config = testConfig(env);
    workers = await runWorkers(env, config, ['scan', 'infer'], store);
  });

  after(() => workers.stop());

  const scan = (reference: string, digest: string) =>
    env.client.workflow.start('scanImage', {
      taskQueue: config.temporal.taskQueues.scan,
      workflowId: `scan/${digest}`,
      args: [{ reference, inferQueue: config.temporal.taskQueues.infer, trigger: 'test' }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });

  it('finds the model-only package, the recorded package, its advisory, and stays quiet on the base layer', async () => {
    const label = WORLD.labels[3];
    const image = await buildAppImage(5, label);
    const digest = await pushImage(registry, 'e2e/app', 'v1', image);
    const reference = `${registry}/e2e/app@${digest}`;
    const handle = await scan(reference, digest);
    const summary = (await handle.result().catch((e) => {
      throw new Error(`scan failed: ${failureChain(e)}`);
    })) as ScanSummary;

    assert.equal(summary.manifestDigest, digest);
    assert.equal(summary.modelVersion, modelVersion);
    assert.equal(summary.failedLayers, 0);
    const report = await readReport(store, digest);
    const [base, app, recorded] = report.layers;
    assert.ok(base.findings.length <= 1, `base layer: ${JSON.stringify(base.findings)}`);
    const [eco, rest] = label.split(':');
    const [name, version] = rest.split('==');
    assert.ok(
      app.findings.some(
        (f) => f.ecosystem === eco && f.name === name && f.version === version && f.evidence === 'ml',
      ),
      `layer 1 should hold ${label} from the model: ${JSON.stringify(app.findings)}`,
    );
    const requests = recorded.findings.find((f) => f.name === 'requests');
    assert.equal(requests?.version, '2.25.0');
    assert.equal(requests?.evidence, 'metadata');
    assert.ok(report.vulnerabilities.some((v) => v.advisoryId === 'PYSEC-2023-74' && v.name === 'requests'));
    assert.ok(summary.alarms > 0 && summary.newAlarms === summary.alarms, JSON.stringify(summary));

    const desc = await handle.describe();
    assert.equal(desc.typedSearchAttributes.get(MANIFEST_DIGEST), digest);
    assert.equal(desc.typedSearchAttributes.get(FINDINGS_COUNT), summary.findings);

    // The workflow id is the idempotency key: the same digest is not scanned twice.
    await assert.rejects(scan(reference, digest), WorkflowExecutionAlreadyStartedError);
  });

  it('refreshAdvisories re-matches stored inventories: one added advisory raises exactly one new alarm', async () => {
    const dir = tempDir('osv');
    writeFileSync(
      path.join(dir, 'PRAXI-TEST-1.json'),
      JSON.stringify({
        id: 'PRAXI-TEST-1',
        modified: '2026-11-27T00:00:00Z',
        summary: 'a test advisory for requests 2.25.x',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'requests' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.25.0' }, { fixed: '2.26.0' }] }],
          },
        ],
        database_specific: { severity: 'HIGH' },
      }),
    );
    const refresh = () =>
      env.client.workflow.execute('refreshAdvisories', {
        taskQueue: config.temporal.taskQueues.scan,
        workflowId: `refresh/${randomUUID()}`,
        args: [{ source: dir }],
      }) as Promise<RefreshAdvisoriesResult>;
    const first = await refresh();
    assert.equal(first.advisories, 1);
    assert.ok(first.imagesChecked >= 1);
    assert.equal(first.newAlarms, 1);
    assert.equal(first.delivered, 1);
    const again = await refresh();
    assert.equal(again.newAlarms, 0);
  });

  it('records a corrupt layer as a non-retryable failure and still reports the other layers', async () => {
    const good = await buildLayer([{ type: 'file', path: 'opt/tool/bin/tool', content: 'x' }], {
      compression: 'gzip',
    });
    const bad = await buildLayer([{ type: 'file', path: 'opt/x', content: 'x' }], { compression: 'gzip' });
    // A blob that is what its digest says but not a gzip stream: corrupt content, not a network fault.
    const garbage = Buffer.from('this is not a gzip stream at all'.repeat(4));
    const crypto = await import('node:crypto');
    const corrupt = {
      ...bad,
      blob: garbage,
      size: garbage.length,
      digest: `sha256:${crypto.createHash('sha256').update(garbage).digest('hex')}`,
    };
    const image = buildImage([good, corrupt]);
    const digest = await pushImage(registry, 'e2e/broken', 'v1', image);
    const handle = await scan(`${registry}/e2e/broken@${digest}`, digest);
    await assert.rejects(
      handle.result(),
      (e: Error & { cause?: { type?: string; nonRetryable?: boolean } }) => {
        assert.equal(e.cause?.type, 'CORRUPT_CONTENT', failureChain(e));
        assert.equal(e.cause?.nonRetryable, true);
        return true;
      },
    );
    const report = await readReport(store, digest);
    assert.equal(report.layers[0].error, undefined);
    assert.equal(report.layers[1].error?.code, 'CORRUPT_CONTENT');
    // Corrupt content is not retried: one attempt of the failing fingerprint activity.
    const history = await handle.fetchHistory();
    const failedAttempts = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes).length;
    assert.equal(failedAttempts, 1);
  });
});
