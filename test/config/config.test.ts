import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import { loadConfig } from '../../config/load';
import { tempDir } from '../harness/process';

const badConfig = (e: unknown) => isPraxiError(e) && e.code === 'BAD_CONFIG';

describe('configuration', () => {
  it('has working embedded defaults', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.temporal.address, '127.0.0.1:7233');
    assert.equal(c.temporal.taskQueues.infer, 'praxi-infer');
    assert.deepEqual(c.store, { kind: 'local', dir: '.praxi/store' });
    assert.equal(c.registry.platform, 'linux/amd64');
  });

  it('layers file < environment < flags', () => {
    const dir = tempDir('cfg');
    const file = path.join(dir, 'praxi.yaml');
    writeFileSync(
      file,
      'temporal:\n  address: file-host:7233\n  namespace: from-file\nregistry:\n  platform: linux/arm64\n',
    );
    const c = loadConfig({
      file,
      env: { PRAXI_TEMPORAL_ADDRESS: 'env-host:7233', PRAXI_INSECURE_REGISTRIES: 'a:5000, b' },
      overrides: { registry: { platform: 'linux/amd64' } },
    });
    assert.equal(c.temporal.address, 'env-host:7233');
    assert.equal(c.temporal.namespace, 'from-file');
    assert.equal(c.registry.platform, 'linux/amd64');
    assert.deepEqual(c.registry.insecure, ['a:5000', 'b']);
  });

  it('builds an S3 store from the environment', () => {
    const c = loadConfig({
      env: {
        PRAXI_S3_BUCKET: 'reports',
        PRAXI_S3_ENDPOINT: 'http://127.0.0.1:9000',
        PRAXI_S3_PATH_STYLE: 'true',
      },
    });
    assert.equal(c.store.kind, 's3');
    assert.ok(
      c.store.kind === 's3' &&
        c.store.bucket === 'reports' &&
        c.store.forcePathStyle &&
        c.store.endpoint === 'http://127.0.0.1:9000',
    );
  });

  it('names the field and the problem for bad values', () => {
    assert.throws(
      () => loadConfig({ env: { PRAXI_TEMPORAL_ADDRESS: 'no-port' } }),
      (e) => badConfig(e) && /temporal\.address: expected HOST:PORT/.test((e as Error).message),
    );
    assert.throws(
      () => loadConfig({ env: { PRAXI_S3_PATH_STYLE: 'maybe' } }),
      (e) => badConfig(e) && /PRAXI_S3_PATH_STYLE/.test((e as Error).message),
    );
    assert.throws(
      () => loadConfig({ env: {}, overrides: { scan: { every: 'often' } } }),
      (e) => badConfig(e) && /scan\.every/.test((e as Error).message),
    );
    assert.throws(() => loadConfig({ env: {}, overrides: { bogus: 1 } }), badConfig);
  });

  it('refuses credentials in files and says where they belong', () => {
    const dir = tempDir('cfg');
    const file = path.join(dir, 'praxi.json');
    writeFileSync(file, JSON.stringify({ store: { kind: 's3', bucket: 'b', secretAccessKey: 'hunter2' } }));
    assert.throws(
      () => loadConfig({ file, env: {} }),
      (e) =>
        badConfig(e) && /credential/.test((e as Error).message) && !(e as Error).message.includes('hunter2'),
    );
  });

  it('reports an unreadable or malformed file clearly', () => {
    assert.throws(
      () => loadConfig({ file: '/nonexistent/praxi.yaml', env: {} }),
      (e) => badConfig(e) && /cannot read config file/.test((e as Error).message),
    );
    const dir = tempDir('cfg');
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{ nope');
    assert.throws(
      () => loadConfig({ file, env: {} }),
      (e) => badConfig(e) && /not valid JSON/.test((e as Error).message),
    );
  });
});
