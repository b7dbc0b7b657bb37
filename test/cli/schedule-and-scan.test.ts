import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildImage, buildLayer, writeOciLayout } from '../harness/image-builder';
import { tempDir } from '../harness/process';
import { useTemporal } from '../harness/stack';
import { runCli } from './run-cli';

describe('praxi schedule (real Temporal server)', () => {
  it('creates, lists, describes, pauses, unpauses and deletes a registry-polling schedule', async () => {
    const env = { PRAXI_TEMPORAL_ADDRESS: (await useTemporal()).address };
    const id = `cli-test-${process.pid}`;
    const created = await runCli(
      ['schedule', 'create', '--registry', '127.0.0.1:5999', '--every', '1h', '--id', id, '--paused'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /scanRegistry 127\.0\.0\.1:5999 every 1 hours \(paused\)/);
    const listed = JSON.parse((await runCli(['schedule', 'list', '--json'], env)).stdout) as Array<{
      id: string;
      paused: boolean;
    }>;
    assert.equal(listed.find((s) => s.id === id)?.paused, true);
    const described = JSON.parse((await runCli(['schedule', 'describe', id], env)).stdout);
    assert.equal(described.action.workflowType, 'scanRegistry');
    assert.equal(described.action.args[0].registry, '127.0.0.1:5999');
    assert.equal((await runCli(['schedule', 'unpause', id], env)).code, 0);
    assert.equal((await runCli(['schedule', 'pause', id], env)).code, 0);
    assert.equal((await runCli(['schedule', 'delete', id], env)).code, 0);
    const gone = await runCli(['schedule', 'describe', id], env);
    assert.equal(gone.code, 3, gone.stderr);
  });

  it('refuses bad values with exit code 2 and says why', async () => {
    const env = { PRAXI_TEMPORAL_ADDRESS: (await useTemporal()).address };
    const bad = await runCli(['schedule', 'create', '--registry', '127.0.0.1:5999', '--every', 'often'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--every often: expected a number and a unit/);
    const noServer = await runCli(['schedule', 'list'], { PRAXI_TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.notEqual(noServer.code, 0);
    assert.match(noServer.stderr, /cannot reach Temporal at 127\.0\.0\.1:1.*praxi dev/);
  });
});

describe('praxi scan --local', () => {
  it('scans an OCI layout in-process and prints the report JSON, with package records and no model', async () => {
    const site = 'usr/local/lib/python3.11/site-packages';
    const layer = await buildLayer(
      [
        { type: 'file', path: `${site}/requests/__init__.py`, content: '' },
        {
          type: 'file',
          path: `${site}/requests-2.25.0.dist-info/METADATA`,
          content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n',
        },
      ],
      { compression: 'gzip' },
    );
    const dir = path.join(tempDir('oci'), 'layout');
    writeOciLayout(dir, buildImage([layer], { format: 'oci' }));
    const store = path.join(tempDir('store'), 's');
    const r = await runCli(['scan', `oci:${dir}`, '--local', '--json'], {
      PRAXI_STORE_DIR: store,
      PRAXI_TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.modelVersion, 'none');
    assert.deepEqual(out.layers[0].findings, [
      { ecosystem: 'pypi', name: 'requests', version: '2.25.0', score: 1, evidence: 'metadata' },
    ]);
    assert.ok(out.vulnerabilities.some((v: { advisoryId: string }) => v.advisoryId === 'PYSEC-2023-74'));
    assert.ok(out.alarms.length > 0);
    const report = await runCli(['report', out.manifestDigest, '--format', 'json'], {
      PRAXI_STORE_DIR: store,
    });
    assert.equal(report.code, 0, report.stderr);
    assert.equal(JSON.parse(report.stdout).manifestDigest, out.manifestDigest);
  });
});
