import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildImage, buildLayer, writeOciLayout } from '../harness/image-builder';
import { tempDir } from '../harness/process';
import { runCli } from './run-cli';

describe('praxi fingerprint', () => {
  it('prints per-layer JSON, caches tagsets, and rereads with --no-cache', async () => {
    const site = 'usr/lib/python3/dist-packages';
    const l0 = await buildLayer([{ type: 'file', path: 'etc/os-release', content: 'ID=debian' }], {
      compression: 'gzip',
    });
    const l1 = await buildLayer(
      [
        { type: 'file', path: `${site}/frobnicator/__init__.py`, content: '' },
        { type: 'file', path: `${site}/frobnicator/core.py`, content: '' },
        { type: 'whiteout', path: 'etc/os-release' },
      ],
      { compression: 'zstd' },
    );
    const dir = path.join(tempDir('oci'), 'layout');
    writeOciLayout(dir, buildImage([l0, l1], { format: 'oci' }));
    const env = { PRAXI_STORE_DIR: path.join(tempDir('store'), 's') };
    const first = await runCli(['fingerprint', `oci:${dir}`, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const out = JSON.parse(first.stdout);
    assert.equal(out.layers.length, 2);
    assert.equal(out.layers[1].digest, l1.digest);
    assert.equal(out.layers[1].entries, 2);
    assert.equal(out.layers[1].deleted, 1);
    assert.ok(
      Object.keys(out.layers[1].tags).some((t) => t.startsWith('frobn')),
      JSON.stringify(out.layers[1].tags),
    );

    const table = await runCli(['fingerprint', `oci:${dir}`], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /cached/);
    const fresh = await runCli(['fingerprint', `oci:${dir}`, '--no-cache'], env);
    assert.doesNotMatch(fresh.stdout, /cached/);
  });

  it('exits 2 for a bad reference, 3 for a missing image, 4 for corrupt content', async () => {
    const bad = await runCli(['fingerprint', 'Not A Reference!!']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^praxi: /);
    const missing = await runCli(['fingerprint', `oci:${path.join(tempDir('none'), 'nothing-here')}`]);
    assert.equal(missing.code, 3, missing.stderr);

    const good = await buildLayer([{ type: 'file', path: 'opt/a', content: 'a' }], { compression: 'gzip' });
    const garbage = Buffer.alloc(300, 7);
    const corrupt = {
      ...good,
      blob: garbage,
      size: garbage.length,
      digest: `sha256:${createHash('sha256').update(garbage).digest('hex')}`,
    };
    const dir = path.join(tempDir('oci'), 'corrupt');
    writeOciLayout(dir, buildImage([corrupt], { format: 'oci' }));
    const broken = await runCli(['fingerprint', `oci:${dir}`], {
      PRAXI_STORE_DIR: path.join(tempDir('store'), 's'),
    });
    assert.equal(broken.code, 4, broken.stderr);
    assert.match(broken.stderr, /CORRUPT|corrupt|truncated/i);
  });
});
