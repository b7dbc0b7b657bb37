import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { tarballFiles } from '../../activities/collect/static/npm';
import { readLayer } from '../../activities/layers/reader';
import { recordsFromContents, wantContent } from '../../activities/records';
import { declaredVersions, declaredVersionsOf } from '../../activities/tagging/declared-versions';
import { tagsetFromChangeset } from '../../activities/tagging/columbus';
import {
  npmPackageFile,
  pythonModuleFile,
  signatureOf,
  sizeSignatures,
} from '../../activities/tagging/size-signatures';
import { tempDir } from '../harness/process';
import { blobStream, type FixtureEntry, gzip, makeTar } from '../layers/fixtures';

const file = (p: string, size: number) => ({ path: p, size, type: 'file' });

describe('size signatures', () => {
  it('finds the package directory a path lies in, scoped or nested, and skips npm own files', () => {
    assert.deepEqual(npmPackageFile('usr/local/lib/node_modules/chalk/source/index.js'), {
      dir: 'usr/local/lib/node_modules/chalk',
      name: 'chalk',
      rel: 'source/index.js',
    });
    assert.deepEqual(npmPackageFile('app/node_modules/a/node_modules/@s/b/x.js'), {
      dir: 'app/node_modules/a/node_modules/@s/b',
      name: '@s/b',
      rel: 'x.js',
    });
    assert.equal(npmPackageFile('node_modules/x/y.js')?.dir, 'node_modules/x');
    for (const p of [
      'app/node_modules/.bin/tsc',
      'app/node_modules/.package-lock.json',
      'app/node_modules/chalk',
      'app/node_modules/@s',
      'app/my_node_modules/chalk/index.js',
      'usr/lib/python3/dist-packages/x.py',
    ])
      assert.equal(npmPackageFile(p), undefined, p);
  });

  it('gives one release the same signature wherever it is installed, and another release another', () => {
    const release = (prefix: string, jsSize: number, pkgJsonSize = 100) => [
      file(`${prefix}/node_modules/chalk/package.json`, pkgJsonSize),
      file(`${prefix}/node_modules/chalk/source/index.js`, jsSize),
      file(`${prefix}/node_modules/chalk/license`, 1109),
      { path: `${prefix}/node_modules/chalk/source`, size: 0, type: 'dir' },
    ];
    const g = sizeSignatures(release('usr/local/lib', 3918));
    assert.deepEqual(Object.keys(g), ['npm:chalk']);
    assert.deepEqual(sizeSignatures(release('app', 3918)), g, 'same release, other prefix');
    assert.deepEqual(sizeSignatures(release('app', 3918, 140)), g, 'package.json is not part of it');
    assert.notDeepEqual(sizeSignatures(release('app', 3965)), g, 'one file 47 bytes longer');
    const both = sizeSignatures([...release('app', 3918), ...release('app/node_modules/x', 3965)]);
    assert.equal(both['npm:chalk'].length, 2, 'a nested second release is a second signature');
    assert.deepEqual(
      Object.keys(sizeSignatures([file('app/node_modules/empty/package.json', 20)])),
      ['npm:empty'],
      'a package of nothing but package.json is still there',
    );
  });

  it('signs top-level Python modules under site-packages, without byte code or records', () => {
    const site = (root: string, init = 120) => [
      file(`${root}/requests/__init__.py`, init),
      file(`${root}/requests/api.py`, 6449),
      file(`${root}/requests/__pycache__/api.cpython-311.pyc`, 7000),
      file(`${root}/requests-2.32.5.dist-info/RECORD`, 3000),
      file(`${root}/six.py`, 34549),
      file(`${root}/distutils-precedence.pth`, 151),
    ];
    const venv = sizeSignatures(site('opt/venv/lib/python3.11/site-packages'));
    assert.deepEqual(Object.keys(venv), ['pypi-module:requests', 'pypi-module:six']);
    assert.deepEqual(
      sizeSignatures(site('usr/local/lib/python3.11/dist-packages')),
      venv,
      'same wheel, other prefix',
    );
    assert.deepEqual(
      sizeSignatures([
        ...site('usr/lib/python3/dist-packages'),
        file('usr/lib/python3/dist-packages/requests/__pycache__/x.pyc', 1),
      ]),
      venv,
      'byte code is not part of it',
    );
    assert.notDeepEqual(sizeSignatures(site('opt/venv/lib/python3.11/site-packages', 121)), venv);
    assert.equal(
      pythonModuleFile('app/vendor/requests/api.py'),
      undefined,
      'pip --target: no site directory',
    );
    assert.equal(
      pythonModuleFile('usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc'),
      undefined,
    );
  });

  it('reads the version each npm package root declares, and only package roots', () => {
    const json = (o: unknown) => Buffer.from(JSON.stringify(o));
    const contents = [
      { path: 'usr/lib/node_modules/gopd/package.json', data: json({ name: 'gopd', version: '1.0.1' }) },
      {
        path: 'usr/lib/node_modules/x/node_modules/gopd/package.json',
        data: json({ name: 'gopd', version: '1.2.0' }),
      },
      { path: 'app/node_modules/@s/b/package.json', data: json({ name: '@s/b', version: '2.0.0' }) },
      // A fixture deep inside a package, the application's own manifest, and a broken file: no release.
      {
        path: 'app/node_modules/@s/b/test/package.json',
        data: json({ name: 'fixture', version: '0.0.1' }),
      },
      { path: 'app/package.json', data: json({ name: 'app', version: '1.0.0' }) },
      { path: 'app/node_modules/broken/package.json', data: Buffer.from('{"name":') },
      // Another ecosystem's record: not a declared npm version.
      {
        path: 'usr/lib/python3/dist-packages/gopd-9.9.9.dist-info/METADATA',
        data: Buffer.from('Metadata-Version: 2.1\nName: gopd\nVersion: 9.9.9\n'),
      },
    ];
    const want = { 'npm:@s/b': ['2.0.0'], 'npm:gopd': ['1.0.1', '1.2.0'] };
    assert.deepEqual(declaredVersions(contents), want);
    // A scan passes the records it parsed for the report instead: the same answer from one parse.
    const records = recordsFromContents(contents);
    assert.ok(records.some((r) => r.ecosystem === 'pypi'));
    assert.deepEqual(declaredVersionsOf(records), want);
    assert.deepEqual(declaredVersions([]), {});
  });

  it("equals the release tarball's signature after a real npm install, read back through a layer", async () => {
    // A package this test makes, packed and installed by the host's npm from the file (no registry).
    const work = tempDir('size-sig');
    const src = path.join(work, 'src');
    mkdirSync(path.join(src, 'lib'), { recursive: true });
    writeFileSync(
      path.join(src, 'package.json'),
      JSON.stringify({ name: 'praxi-sized', version: '1.2.3', main: 'lib/a.js' }),
    );
    writeFileSync(path.join(src, 'lib', 'a.js'), 'module.exports = 1;\n'.repeat(37));
    writeFileSync(path.join(src, 'README.md'), '# sized\n');
    const npm = (args: string[], cwd: string) =>
      execFileSync('npm', args, {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, npm_config_offline: 'true' },
      })
        .toString()
        .trim();
    const tgz = path.join(src, npm(['pack', '--silent'], src).split('\n').pop() as string);
    const prefix = path.join(work, 'app');
    mkdirSync(prefix);
    npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', prefix, tgz], prefix);

    // The tarball through the static collector's reader, served on loopback.
    const server = createServer((_req, res) => res.end(readFileSync(tgz))).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const listed = await tarballFiles(`http://127.0.0.1:${port}/praxi-sized-1.2.3.tgz`).finally(() =>
      server.close(),
    );
    const fromTarball = signatureOf(listed.files.map((rel, i) => ({ rel, size: listed.sizes[i] })));

    // The installed tree as an image layer, through the layer reader and the tokenizer.
    const entries: FixtureEntry[] = [];
    const walk = (dir: string, rel: string) => {
      for (const name of readdirSync(dir).sort()) {
        const full = path.join(dir, name);
        const r = `${rel}/${name}`;
        if (statSync(full).isDirectory()) {
          entries.push({ name: `${r}/`, type: 'directory' });
          walk(full, r);
        } else entries.push({ name: r, data: readFileSync(full) });
      }
    };
    walk(path.join(prefix, 'node_modules'), 'app/node_modules');
    const blob = gzip(await makeTar(entries));
    // As a scan reads it: the record files' contents kept (activities/pipeline/fingerprint.ts).
    const read = await readLayer(blobStream(blob), { layerDigest: 'sha256:' + '0'.repeat(64), wantContent });
    const tagset = tagsetFromChangeset(read);
    assert.ok(fromTarball);
    assert.deepEqual(tagset.sizeSignatures, { 'npm:praxi-sized': [fromTarball] });
    assert.deepEqual(tagset.declaredVersions, { 'npm:praxi-sized': ['1.2.3'] });
  });
});
