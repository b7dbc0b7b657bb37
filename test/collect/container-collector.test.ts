import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { runRecipe } from '../../activities/collect/container-collector';
import { makeRecipe } from '../../activities/collect/recipe';
import { loadChangeset, loadOutcome } from '../../activities/collect/results';
import { LocalStore } from '../../activities/store';
import { tempDir } from '../harness/process';
import { useDocker } from '../harness/stack';
import { busyboxImage } from './fixtures';

/** The container collector against the real engine, on a busybox base, with installs whose effect the test knows. */
describe('container collector', () => {
  let docker: Docker;
  let image: string;
  before(async () => {
    docker = new Docker({ socketPath: (await useDocker()).socketPath });
    image = await busyboxImage(docker);
  });

  const leftovers = async () =>
    (await docker.listContainers({ all: true, filters: { ancestor: [image] } })).length;

  it('records exactly what the install changed as a labelled sample, and skips it when asked again', async () => {
    const store = new LocalStore(tempDir('collect-store'));
    const recipe = makeRecipe({
      kind: 'install',
      ecosystem: 'pypi',
      variant: 'pypi/system',
      method: 'container',
      packages: [{ ecosystem: 'pypi', name: 'praxidemo', version: '1.0' }],
    });
    const command =
      'mkdir -p /opt/demo/pkg && echo x > /opt/demo/pkg/a.py && ln -s a.py /opt/demo/pkg/b.py && rm /etc/motd ' +
      // The host CA bundle is mounted for installers; prove it was there, and that it leaves no trace.
      '&& test -s /run/praxi-ca.crt';
    const first = await runRecipe(docker, store, recipe, { timeoutMs: 60_000, image, command });
    assert.equal(first.status, 'ok', JSON.stringify(first));
    if (first.status !== 'ok') return;
    assert.deepEqual(first.labels, ['pypi:praxidemo==1.0']);
    assert.deepEqual(first.alsoInstalled, []);
    const cs = await loadChangeset(store, first.changesetKey);
    assert.deepEqual(
      cs.entries.map((e) => [e.path, e.type]),
      [
        ['etc', 'dir'],
        ['opt', 'dir'],
        ['opt/demo', 'dir'],
        ['opt/demo/pkg', 'dir'],
        ['opt/demo/pkg/a.py', 'file'],
        ['opt/demo/pkg/b.py', 'symlink'],
      ],
    );
    assert.equal(cs.entries[4].size, 2);
    assert.equal(cs.entries[5].linkname, 'a.py');
    assert.deepEqual(cs.deletions, ['etc/motd']);

    const again = await runRecipe(docker, store, recipe, { timeoutMs: 60_000, image, command: 'exit 1' });
    assert.deepEqual(again, first, 'a finished recipe is returned as recorded, not run again');
    assert.equal(await leftovers(), 0, 'containers are removed');
  });

  it('records a failing install as a failure with its reason, not a crash', async () => {
    const store = new LocalStore(tempDir('collect-store'));
    const recipe = makeRecipe({
      kind: 'install',
      ecosystem: 'pypi',
      variant: 'pypi/venv-opt',
      method: 'container',
      packages: [{ ecosystem: 'pypi', name: 'praxidemo', version: '9.9' }],
    });
    const command =
      'echo "  error: subprocess-exited-with-error" >&2; echo "ERROR: Failed building wheel for praxidemo" >&2; exit 1';
    const out = await runRecipe(docker, store, recipe, { timeoutMs: 60_000, image, command });
    assert.equal(out.status, 'failed');
    if (out.status !== 'failed') return;
    assert.equal(out.reason, 'sdist build failed');
    assert.match(out.detail, /Failed building wheel for praxidemo/);
    assert.deepEqual(await loadOutcome(store, recipe.id), out);
  });

  it('kills an install that runs over its time limit and records the timeout', async () => {
    const store = new LocalStore(tempDir('collect-store'));
    const recipe = makeRecipe({
      kind: 'install',
      ecosystem: 'deb',
      variant: 'deb/apt',
      method: 'container',
      packages: [{ ecosystem: 'deb', name: 'slow', version: '1' }],
    });
    const t0 = Date.now();
    const out = await runRecipe(docker, store, recipe, { timeoutMs: 1500, image, command: 'sleep 60' });
    assert.equal(out.status, 'failed');
    assert.equal(out.status === 'failed' && out.reason, 'timeout');
    assert.ok(Date.now() - t0 < 20_000, 'the container was killed, not waited for');
    assert.equal(await leftovers(), 0);
  });

  it('lists the dependencies an install brought along from the package records it wrote', async () => {
    const store = new LocalStore(tempDir('collect-store'));
    const recipe = makeRecipe({
      kind: 'install',
      ecosystem: 'npm',
      variant: 'npm/project',
      method: 'container',
      packages: [{ ecosystem: 'npm', name: 'top', version: '1.0.0' }],
    });
    const pkg = (n: string, v: string) =>
      `mkdir -p /app/node_modules/${n} && printf '{"name":"${n}","version":"${v}"}' > /app/node_modules/${n}/package.json`;
    const command = `${pkg('top', '1.0.0')} && ${pkg('@scope/dep', '2.1.0')} && ${pkg('other', '0.1.0')}`;
    const out = await runRecipe(docker, store, recipe, { timeoutMs: 60_000, image, command });
    assert.equal(out.status, 'ok');
    assert.deepEqual(out.status === 'ok' && out.alsoInstalled, ['npm:@scope/dep==2.1.0', 'npm:other==0.1.0']);
  });
});
