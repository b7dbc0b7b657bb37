import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { exitCodeFor, isPraxiError } from '../../activities/errors';
import { resolveImage } from '../../activities/image-sources';
import { defaultKeychain, dockerConfigKeychain } from '../../activities/registry/auth';
import { RegistryClient } from '../../activities/registry/client';
import { MediaTypes } from '../../activities/registry/media-types';
import { parseRegistryRef } from '../../activities/registry/reference';
import { buildImage, buildIndex, buildLayer, pushImage, sha256 } from '../harness/image-builder';
import { tempDir } from '../harness/process';
import { TEST_REGISTRY_USER, useAuthRegistry, useRegistry } from '../harness/stack';

/** Repository names unique to this run: the registry is shared by every test file of `npm test`. */
const run = randomBytes(4).toString('hex');
const anonymous = () => new RegistryClient({ keychain: () => ({}), retryBaseDelayMs: 10 });

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('registry client against a real registry', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`pushes and resolves an image with ${compression} layers, streaming verified bytes`, async () => {
      const { host } = await useRegistry();
      const base = await buildLayer(
        [
          { type: 'dir', path: 'usr/lib/python3.12/site-packages' },
          { type: 'file', path: 'usr/lib/python3.12/site-packages/six.py', content: 'import sys\n' },
        ],
        { compression },
      );
      const top = await buildLayer(
        [{ type: 'file', path: 'opt/app/run.sh', content: '#!/bin/sh\n', mode: 0o755 }],
        {
          compression,
        },
      );
      const image = buildImage([base, top], { format: compression === 'zstd' ? 'oci' : 'docker' });
      const repo = `rt-${run}/${compression}`;
      const pushed = await pushImage(host, repo, 'v1', image);
      assert.equal(pushed, image.manifestDigest);

      const resolved = await resolveImage(`${host}/${repo}:v1`, { registryClient: anonymous() });
      assert.equal(resolved.manifestDigest, image.manifestDigest);
      assert.equal(resolved.repository, `${host}/${repo}`);
      assert.equal(resolved.reference, `${host}/${repo}:v1`);
      assert.equal(resolved.platform, 'linux/amd64');
      assert.deepEqual(
        resolved.layers.map((l) => [l.digest, l.size, l.mediaType]),
        image.layers.map((l, i) => [l.digest, l.size, image.layerMediaTypes[i]]),
      );
      const expectType = {
        gzip: MediaTypes.dockerLayerGzip,
        zstd: MediaTypes.ociLayerZstd,
        none: MediaTypes.dockerLayerTar,
      };
      assert.equal(resolved.layers[0].mediaType, expectType[compression]);
      for (const [i, layer] of resolved.layers.entries()) {
        // Each open() is a fresh stream: read twice.
        for (let k = 0; k < 2; k++) {
          const blob = await readAll(await layer.open());
          assert.equal(sha256(blob), image.layers[i].digest);
          const tar =
            compression === 'gzip'
              ? gunzipSync(blob)
              : compression === 'zstd'
                ? Buffer.from(zstdDecompress(blob))
                : blob;
          assert.equal(sha256(tar), image.layers[i].diffId);
        }
      }
      // By digest too, and resolveDigest agrees with the tag.
      const byDigest = await resolveImage(`${host}/${repo}@${image.manifestDigest}`, {
        registryClient: anonymous(),
      });
      assert.equal(byDigest.layers.length, 2);
      assert.equal(
        await anonymous().resolveDigest(parseRegistryRef(`${host}/${repo}:v1`)),
        image.manifestDigest,
      );
    });
  }

  it('selects a platform from a two-platform index, and says which exist when one is missing', async () => {
    const { host } = await useRegistry();
    const amd = buildImage([await buildLayer([{ type: 'file', path: 'bin/amd', content: 'x86' }])], {
      platform: 'linux/amd64',
    });
    const arm = buildImage([await buildLayer([{ type: 'file', path: 'bin/arm', content: 'arm' }])], {
      platform: 'linux/arm64/v8',
    });
    for (const format of ['docker', 'oci'] as const) {
      const index = buildIndex([amd, arm], { format });
      const repo = `multi-${run}/${format}`;
      assert.equal(await pushImage(host, repo, 'latest', index), index.digest);
      const client = anonymous();
      const a = await resolveImage(`${host}/${repo}`, { registryClient: client });
      assert.equal(a.platform, 'linux/amd64');
      assert.equal(a.manifestDigest, amd.manifestDigest);
      assert.equal(a.layers[0].digest, amd.layers[0].digest);
      const b = await resolveImage(`${host}/${repo}`, { registryClient: client, platform: 'linux/arm64' });
      assert.equal(b.platform, 'linux/arm64/v8');
      assert.equal(b.manifestDigest, arm.manifestDigest);
      const c = await resolveImage(`${host}/${repo}`, {
        registryClient: client,
        config: { registry: { platform: 'linux/arm64/v8' } as never },
      });
      assert.equal(c.manifestDigest, arm.manifestDigest);
      assert.equal(await client.resolveDigest(parseRegistryRef(`${host}/${repo}`)), index.digest);
      await assert.rejects(
        resolveImage(`${host}/${repo}`, { registryClient: client, platform: 'linux/s390x' }),
        (e) =>
          isPraxiError(e) &&
          e.code === 'NOT_FOUND' &&
          /no image for platform linux\/s390x; it has linux\/amd64, linux\/arm64\/v8/.test(e.message),
      );
    }
  });

  it('lists the catalog and tags across pages', async () => {
    const { host } = await useRegistry();
    const image = buildImage([await buildLayer([{ type: 'file', path: 'x', content: 'page' }])]);
    const repos = Array.from({ length: 7 }, (_, i) => `page-${run}/r${i}`);
    for (const r of repos) await pushImage(host, r, 't0', image);
    const tags = Array.from({ length: 9 }, (_, i) => `t${i}`);
    for (const t of tags) await pushImage(host, repos[0], t, image);

    const client = anonymous();
    const all = await client.listRepositories(host, { pageSize: 2 });
    assert.deepEqual(
      all.filter((r) => r.startsWith(`page-${run}/`)),
      repos,
    );
    assert.equal(new Set(all).size, all.length, 'no repository repeats across pages');
    assert.deepEqual((await client.listTags({ host, repository: repos[0] }, { pageSize: 2 })).sort(), tags);
    assert.deepEqual(await client.listTags({ host, repository: repos[1] }), ['t0']);
  });

  it('gives typed NOT_FOUND errors for a missing manifest, blob and repository', async () => {
    const { host } = await useRegistry();
    const repo = `nf-${run}/app`;
    await pushImage(
      host,
      repo,
      'v1',
      buildImage([await buildLayer([{ type: 'file', path: 'y', content: 'y' }])]),
    );
    const client = anonymous();
    await assert.rejects(
      resolveImage(`${host}/${repo}:nope`, { registryClient: client }),
      (e) =>
        isPraxiError(e) &&
        e.code === 'NOT_FOUND' &&
        e.detail === 'MANIFEST_UNKNOWN' &&
        exitCodeFor(e) === 3 &&
        !e.retryable,
    );
    await assert.rejects(
      client.openBlob({ host, repository: repo }, { digest: sha256('no such blob') }),
      (e) =>
        isPraxiError(e) &&
        e.code === 'NOT_FOUND' &&
        e.detail === 'BLOB_UNKNOWN' &&
        /blob sha256:/.test(e.message),
    );
    await assert.rejects(
      client.listTags({ host, repository: `nf-${run}/none` }),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND' && e.detail === 'NAME_UNKNOWN',
    );
  });
});

describe('registry client with basic auth (htpasswd)', () => {
  async function pushed(): Promise<{ host: string; ref: string; digest: string }> {
    const reg = await useAuthRegistry();
    const image = buildImage([await buildLayer([{ type: 'file', path: 'secret/app', content: 'auth' }])]);
    const repo = `auth-${run}/app`;
    const digest = await pushImage(reg.host, repo, 'v1', image, TEST_REGISTRY_USER);
    return { host: reg.host, ref: `${reg.host}/${repo}:v1`, digest };
  }

  it('authenticates with credentials from the environment', async () => {
    const { host, ref, digest } = await pushed();
    const env = {
      PRAXI_REGISTRY_USERNAME: TEST_REGISTRY_USER.username,
      PRAXI_REGISTRY_PASSWORD: TEST_REGISTRY_USER.password,
      PRAXI_REGISTRY_HOST: host,
      HOME: tempDir('home'),
    };
    const client = new RegistryClient({ env });
    const img = await resolveImage(ref, { registryClient: client });
    assert.equal(img.manifestDigest, digest);
    assert.equal(sha256(await readAll(await img.layers[0].open())), img.layers[0].digest);
    // Credentials scoped to another host are not sent here.
    const other = new RegistryClient({ env: { ...env, PRAXI_REGISTRY_HOST: 'other.example.com' } });
    await assert.rejects(
      resolveImage(ref, { registryClient: other }),
      (e) => isPraxiError(e) && e.code === 'UNAUTHORIZED',
    );
  });

  it('authenticates with a Docker config.json, and reports credential helpers it cannot use', async () => {
    const { host, ref, digest } = await pushed();
    const dir = tempDir('docker-config');
    const file = path.join(dir, 'config.json');
    const auth = Buffer.from(`${TEST_REGISTRY_USER.username}:${TEST_REGISTRY_USER.password}`).toString(
      'base64',
    );
    writeFileSync(file, JSON.stringify({ auths: { [`http://${host}/v2/`]: { auth } } }));
    const viaConfig = new RegistryClient({ registry: { dockerConfig: file }, env: {} });
    assert.equal((await resolveImage(ref, { registryClient: viaConfig })).manifestDigest, digest);
    // $DOCKER_CONFIG is the default location.
    const viaEnv = new RegistryClient({ env: { DOCKER_CONFIG: dir } });
    assert.equal((await resolveImage(ref, { registryClient: viaEnv })).manifestDigest, digest);

    const helperFile = path.join(dir, 'helper.json');
    writeFileSync(helperFile, JSON.stringify({ credHelpers: { [host]: 'secretservice' } }));
    await assert.rejects(
      resolveImage(ref, {
        registryClient: new RegistryClient({ keychain: dockerConfigKeychain(helperFile) }),
      }),
      (e) =>
        isPraxiError(e) &&
        e.code === 'UNAUTHORIZED' &&
        /docker-credential-secretservice/.test(e.message) &&
        /does not run/.test(e.message),
    );
    assert.throws(
      () => defaultKeychain({ dockerConfig: path.join(dir, 'missing.json'), env: {} }),
      (e) => isPraxiError(e) && e.code === 'BAD_CONFIG',
    );
  });

  it('refuses wrong or missing credentials with AuthError (exit code 3), never echoing the secret', async () => {
    const { ref } = await pushed();
    const wrong = new RegistryClient({
      env: {
        PRAXI_REGISTRY_USERNAME: 'praxi',
        PRAXI_REGISTRY_PASSWORD: 'not-the-password-xyz',
        HOME: tempDir('home'),
      },
    });
    await assert.rejects(resolveImage(ref, { registryClient: wrong }), (e) => {
      assert.ok(isPraxiError(e));
      assert.equal(e.code, 'UNAUTHORIZED');
      assert.equal(e.constructor.name, 'AuthError');
      assert.equal(exitCodeFor(e), 3);
      assert.equal(e.retryable, false);
      assert.match(e.message, /401/);
      assert.match(e.message, /refused/);
      assert.doesNotMatch(e.message + String(e.stack), /not-the-password-xyz/);
      return true;
    });
    const none = new RegistryClient({ env: { HOME: tempDir('home') } });
    await assert.rejects(
      resolveImage(ref, { registryClient: none }),
      (e) =>
        isPraxiError(e) && e.code === 'UNAUTHORIZED' && /requires a username and password/.test(e.message),
    );
  });
});

// Keep the hashing helper honest: sha256() of the builder is what the registry computes.
it('builder digests are sha256 of the bytes', () => {
  assert.equal(sha256('abc'), `sha256:${createHash('sha256').update('abc').digest('hex')}`);
});
