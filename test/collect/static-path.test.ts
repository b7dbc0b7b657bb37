import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { runRecipe } from '../../activities/collect/container-collector';
import { makeRecipe } from '../../activities/collect/recipe';
import { loadChangeset } from '../../activities/collect/results';
import { jaccard } from '../../activities/collect/similarity';
import { readDeb } from '../../activities/collect/static/deb';
import { httpRangeReader, readWheelContents, wheelInstallPaths } from '../../activities/collect/static/pypi';
import { entriesFromPaths } from '../../activities/collect/static/static-changeset';
import { variantByName } from '../../activities/collect/variants';
import { LocalStore } from '../../activities/store';
import { tokenizePaths } from '../../activities/tagging/columbus';
import { tempDir } from '../harness/process';
import { useDocker } from '../harness/stack';
import { buildDeb, busyboxImage, demoWheel, serveFiles } from './fixtures';

/**
 * The static path against the container path, on artifacts the test builds: a wheel read over HTTP
 * range requests and mapped onto a variant's layout must give the same tree (and tagset) as unpacking
 * it in a container the way pip lays it out; a .deb listed by dpkg-deb must give the files dpkg installs.
 */
describe('static path', () => {
  let docker: Docker;
  let image: string;
  before(async () => {
    docker = new Docker({ socketPath: (await useDocker()).socketPath });
    image = await busyboxImage(docker);
  });

  it('reads a wheel from its zip directory with range requests only, and matches the container install', async () => {
    const wheel = demoWheel();
    const server = await serveFiles({ [`/${wheel.filename}`]: wheel.bytes });
    try {
      const contents = await readWheelContents(
        httpRangeReader(`${server.url}/${wheel.filename}`),
        wheel.bytes.length,
      );
      assert.ok(
        server.requests.every((r) => r.includes('bytes=')),
        `only ranges were read: ${server.requests}`,
      );
      assert.deepEqual(contents.scripts, ['praxidemo']);
      assert.equal(contents.files.length, 10);

      const variant = variantByName('pypi/system');
      if (variant.layout.kind !== 'pypi') throw new Error('layout');
      const site = variant.layout.sitePackages;
      const staticEntries = entriesFromPaths(wheelInstallPaths(contents, variant.layout));

      // In the container, lay the wheel out as pip does: unpack into site-packages, route the .data
      // scripts, write the console script, INSTALLER/REQUESTED, and one .pyc per module.
      const di = 'praxidemo-1.0.dist-info';
      const command = [
        `mkdir -p /${site} && cd /${site}`,
        `echo ${wheel.bytes.toString('base64')} | base64 -d > /tmp/w.whl && unzip -q /tmp/w.whl && rm /tmp/w.whl`,
        'mv praxidemo-1.0.data/scripts/praxidemo-tool /usr/local/bin/ && rm -r praxidemo-1.0.data',
        `touch ${di}/INSTALLER ${di}/REQUESTED && printf '#!/usr/bin/python3\\n' > /usr/local/bin/praxidemo`,
        'mkdir -p praxidemo/__pycache__ praxidemo/sub/__pycache__',
        'touch praxidemo/__pycache__/__init__.cpython-311.pyc praxidemo/__pycache__/cli.cpython-311.pyc',
        'touch praxidemo/sub/__pycache__/__init__.cpython-311.pyc',
      ].join(' && ');
      const store = new LocalStore(tempDir('static-store'));
      const recipe = makeRecipe({
        kind: 'install',
        ecosystem: 'pypi',
        variant: 'pypi/system',
        method: 'container',
        packages: [{ ecosystem: 'pypi', name: 'praxidemo', version: '1.0' }],
      });
      const out = await runRecipe(docker, store, recipe, { timeoutMs: 60_000, image, command });
      assert.equal(out.status, 'ok', JSON.stringify(out));
      if (out.status !== 'ok') return;
      const containerPaths = (await loadChangeset(store, out.changesetKey)).entries.map((e) => e.path);
      // Same tree; order differs (the walk is depth-first, the static list is sorted) and does not matter to tags.
      assert.deepEqual(staticEntries.map((e) => e.path).sort(), [...containerPaths].sort());
      assert.equal(
        jaccard(tokenizePaths(containerPaths), tokenizePaths(staticEntries.map((e) => e.path))),
        1,
      );
      assert.deepEqual(out.alsoInstalled, [], 'the requested dist-info is not a dependency');
    } finally {
      await server.close();
    }
  });

  it('lists a .deb as dpkg installs it: files, links, and the maintainer scripts dpkg keeps', async () => {
    const deb = buildDeb('praxi-demo', '1.2-3', {
      'usr/bin/praxi-demo': '#!/bin/sh\n',
      'usr/share/doc/praxi-demo/copyright': 'c',
    });
    const files = await readDeb({ name: 'praxi-demo', version: '1.2-3', arch: 'all' }, deb);
    assert.ok(files.files.includes('usr/bin/praxi-demo'));
    assert.ok(files.files.includes('usr/share/doc/praxi-demo/copyright'));
    assert.ok(files.files.includes('usr/share/doc/'));
    assert.deepEqual(files.control, ['postinst']);
    assert.equal(files.multiArchSame, false);

    // Install the same .deb with busybox's dpkg in a container: the package's own files must match.
    const store = new LocalStore(tempDir('static-store'));
    const recipe = makeRecipe({
      kind: 'install',
      ecosystem: 'deb',
      variant: 'deb/dpkg',
      method: 'container',
      packages: [{ ecosystem: 'deb', name: 'praxi-demo', version: '1.2-3' }],
    });
    const b64 = readFileSync(deb).toString('base64');
    const command = `echo ${b64} | base64 -d > /tmp/p.deb && dpkg -i /tmp/p.deb && rm /tmp/p.deb`;
    const out = await runRecipe(docker, store, recipe, { timeoutMs: 60_000, image, command });
    assert.equal(out.status, 'ok', JSON.stringify(out));
    if (out.status !== 'ok') return;
    const inUsr = (p: string) => p === 'usr' || p.startsWith('usr/');
    const containerPaths = (await loadChangeset(store, out.changesetKey)).entries
      .map((e) => e.path)
      .filter(inUsr);
    const staticPaths = entriesFromPaths(files.files, files.links)
      .map((e) => e.path)
      .filter(inUsr);
    assert.deepEqual(staticPaths.sort(), containerPaths.sort());
  });
});
