import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import Docker from 'dockerode';
import { isPraxiError } from '../../activities/errors';
import { resolveImage } from '../../activities/image-sources';
import { MediaTypes } from '../../activities/registry/media-types';
import { buildImage, buildLayer, importToDocker } from '../harness/image-builder';
import { useDocker } from '../harness/stack';

const name = `praxi-test/image-source-${randomBytes(4).toString('hex')}:1`;
let docker: Docker | undefined;

after(async () => {
  await docker
    ?.getImage(name)
    .remove({ force: true })
    .catch(() => {});
});

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('docker-daemon: (the real Docker engine through dockerode)', () => {
  it('resolves an image loaded into the engine and streams each layer out of docker save, verified', async () => {
    docker = new Docker({ socketPath: (await useDocker()).socketPath });
    const layers = [
      await buildLayer([
        { type: 'dir', path: 'usr/lib/node_modules/left-pad' },
        {
          type: 'file',
          path: 'usr/lib/node_modules/left-pad/package.json',
          content: '{"name":"left-pad","version":"1.3.0"}',
        },
      ]),
      await buildLayer([{ type: 'file', path: 'opt/app/main.js', content: 'console.log(1)\n' }]),
      await buildLayer([
        { type: 'whiteout', path: 'opt/app/main.js' },
        { type: 'file', path: 'opt/app/other.js', content: '2' },
      ]),
    ];
    const image = buildImage(layers);
    await importToDocker(docker, image, name);

    const resolved = await resolveImage(`docker-daemon:${name}`, { docker });
    assert.equal(resolved.reference, `docker-daemon:${name}`);
    assert.equal(resolved.repository, `docker-daemon:${name.split(':')[0]}`);
    assert.equal(resolved.manifestDigest, image.configDigest, 'the image id is the config digest');
    assert.equal(resolved.platform, 'linux/amd64');
    assert.deepEqual(
      resolved.layers.map((l) => [l.digest, l.mediaType]),
      layers.map((l) => [l.diffId, MediaTypes.ociLayerTar]),
    );
    // Open out of order and concurrently: each open is its own docker save pass.
    const [last, first] = await Promise.all([
      readAll(await resolved.layers[2].open()),
      readAll(await resolved.layers[0].open()),
    ]);
    assert.deepEqual(last, layers[2].tar);
    assert.deepEqual(first, layers[0].tar);
    assert.deepEqual(await readAll(await resolved.layers[1].open()), layers[1].tar);
  });

  it('says NOT_FOUND for an image the engine does not have', async () => {
    const d = new Docker({ socketPath: (await useDocker()).socketPath });
    await assert.rejects(
      resolveImage('docker-daemon:praxi-test/does-not-exist:0', { docker: d }),
      (e) =>
        isPraxiError(e) && e.code === 'NOT_FOUND' && /no such image in the Docker engine/.test(e.message),
    );
  });
});
