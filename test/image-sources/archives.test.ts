import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { exitCodeFor, isPraxiError } from '../../activities/errors';
import { resolveImage } from '../../activities/image-sources';
import { TarTree } from '../../activities/image-sources/file-tree';
import { MediaTypes } from '../../activities/registry/media-types';
import {
  buildImage,
  buildIndex,
  buildLayer,
  dockerArchive,
  sha256,
  TarWriter,
  writeDockerArchive,
  writeOciArchive,
  writeOciLayout,
} from '../harness/image-builder';
import { tempDir } from '../harness/process';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function twoLayerImage(format: 'docker' | 'oci' = 'docker', platform = 'linux/amd64') {
  const a = await buildLayer(
    [
      { type: 'dir', path: 'usr/lib/python3/dist-packages/requests' },
      {
        type: 'file',
        path: 'usr/lib/python3/dist-packages/requests/__init__.py',
        content: `# ${platform}\n`,
      },
    ],
    { compression: 'gzip' },
  );
  const b = await buildLayer(
    [{ type: 'file', path: `opt/${'deep/'.repeat(30)}file.txt`, content: 'long name' }],
    {
      compression: 'zstd',
    },
  );
  return buildImage([a, b], { format, platform });
}

describe('docker-archive: (docker save tarball)', () => {
  it('reads layers as verified byte ranges of the archive, uncompressed, named by diff id', async () => {
    const image = await twoLayerImage();
    const file = path.join(tempDir('docker-archive'), 'img.tar');
    writeDockerArchive(file, image, 'praxi/app:1');
    const resolved = await resolveImage(`docker-archive:${file}`);
    assert.equal(resolved.reference, `docker-archive:${file}`);
    assert.equal(resolved.repository, `docker-archive:${file}`);
    assert.equal(resolved.manifestDigest, image.configDigest);
    assert.equal(resolved.platform, 'linux/amd64');
    assert.deepEqual(
      resolved.layers.map((l) => [l.digest, l.size, l.mediaType]),
      image.layers.map((l) => [l.diffId, l.tar.length, MediaTypes.ociLayerTar]),
    );
    for (const [i, layer] of resolved.layers.entries()) {
      assert.deepEqual(await readAll(await layer.open()), image.layers[i].tar);
      assert.deepEqual(
        await readAll(await layer.open()),
        image.layers[i].tar,
        'a second open is a fresh stream',
      );
    }
  });

  it('reads archives that name layers by digest (Docker 25+) and compressed layers', async () => {
    const image = await twoLayerImage();
    const w = new TarWriter();
    const names = image.layers.map((l, i) =>
      i === 0 ? `blobs/sha256/${l.diffId.slice(7)}` : `legacy${i}/layer.tar`,
    );
    w.file(names[0], image.layers[0].tar);
    w.file(names[1], image.layers[1].blob); // zstd bytes under a legacy name: digest must be computed
    w.file(`blobs/sha256/${image.configDigest.slice(7)}`, image.config);
    w.file(
      'manifest.json',
      JSON.stringify([
        { Config: `blobs/sha256/${image.configDigest.slice(7)}`, RepoTags: null, Layers: names },
      ]),
    );
    const file = path.join(tempDir('docker-archive'), 'new.tar');
    writeFileSync(file, w.finish());
    const resolved = await resolveImage(`docker-archive:${file}`);
    assert.deepEqual(
      resolved.layers.map((l) => [l.digest, l.mediaType]),
      [
        [image.layers[0].diffId, MediaTypes.ociLayerTar],
        [image.layers[1].digest, MediaTypes.ociLayerZstd],
      ],
    );
    assert.equal(sha256(await readAll(await resolved.layers[1].open())), image.layers[1].digest);
  });

  it('fails a layer whose bytes were altered in the archive with DIGEST_MISMATCH', async () => {
    const image = await twoLayerImage();
    const bytes = dockerArchive(image);
    // Flip a byte inside the first layer's data (found by its content).
    const at = bytes.indexOf(Buffer.from('# linux/amd64'));
    assert.ok(at > 0);
    bytes[at] ^= 0x01;
    const file = path.join(tempDir('docker-archive'), 'altered.tar');
    writeFileSync(file, bytes);
    const resolved = await resolveImage(`docker-archive:${file}`);
    await assert.rejects(
      readAll(await resolved.layers[0].open()),
      (e) => isPraxiError(e) && e.code === 'DIGEST_MISMATCH' && exitCodeFor(e) === 4,
    );
  });

  it('gives typed errors for a truncated archive, a non-tar file, a missing file and a multi-image archive', async () => {
    const image = await twoLayerImage();
    const dir = tempDir('docker-archive');
    const full = dockerArchive(image);
    const truncated = path.join(dir, 'truncated.tar');
    writeFileSync(truncated, full.subarray(0, full.length - 3000));
    await assert.rejects(
      resolveImage(`docker-archive:${truncated}`),
      (e) => isPraxiError(e) && e.code === 'CORRUPT_CONTENT' && /truncated/.test(e.message),
    );

    const junk = path.join(dir, 'junk.tar');
    writeFileSync(junk, Buffer.alloc(4096, 'not a tar '));
    await assert.rejects(
      resolveImage(`docker-archive:${junk}`),
      (e) => isPraxiError(e) && e.code === 'CORRUPT_CONTENT' && /not a tar archive/.test(e.message),
    );

    const gz = path.join(dir, 'img.tar.gz');
    writeFileSync(gz, gzipSync(full));
    await assert.rejects(
      resolveImage(`docker-archive:${gz}`),
      (e) =>
        isPraxiError(e) && e.code === 'BAD_INPUT' && /gzip-compressed; decompress it first/.test(e.message),
    );

    await assert.rejects(
      resolveImage(`docker-archive:${path.join(dir, 'missing.tar')}`),
      (e) => isPraxiError(e) && e.code === 'BAD_INPUT' && /ENOENT/.test(e.message),
    );

    const w = new TarWriter();
    w.file(
      'manifest.json',
      JSON.stringify([
        { Config: 'a.json', RepoTags: ['a:1'], Layers: [] },
        { Config: 'b.json', RepoTags: ['b:1'], Layers: [] },
      ]),
    );
    const multi = path.join(dir, 'multi.tar');
    writeFileSync(multi, w.finish());
    await assert.rejects(
      resolveImage(`docker-archive:${multi}`),
      (e) => isPraxiError(e) && e.code === 'BAD_INPUT' && /2 images \(a:1, b:1\)/.test(e.message),
    );
  });
});

describe('oci: and oci-archive: (OCI image layout)', () => {
  it('reads a single image by name or as the only one, from a directory and from a tar', async () => {
    const image = await twoLayerImage('oci');
    const dir = tempDir('oci-layout');
    writeOciLayout(dir, image, { tag: 'v1' });
    const archive = path.join(tempDir('oci-archive'), 'img.tar');
    writeOciArchive(archive, image, { tag: 'v1' });
    for (const ref of [
      `oci:${dir}`,
      `oci:${dir}:v1`,
      `oci-archive:${archive}`,
      `oci-archive:${archive}:v1`,
    ]) {
      const resolved = await resolveImage(ref);
      assert.equal(resolved.manifestDigest, image.manifestDigest, ref);
      assert.equal(resolved.platform, 'linux/amd64');
      assert.deepEqual(
        resolved.layers.map((l) => [l.digest, l.size, l.mediaType]),
        [
          [image.layers[0].digest, image.layers[0].size, MediaTypes.ociLayerGzip],
          [image.layers[1].digest, image.layers[1].size, MediaTypes.ociLayerZstd],
        ],
      );
      for (const [i, l] of resolved.layers.entries())
        assert.deepEqual(await readAll(await l.open()), image.layers[i].blob);
    }
    await assert.rejects(
      resolveImage(`oci:${dir}:v2`),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND' && /no image named "v2".*"v1"/.test(e.message),
    );
  });

  it('selects the platform through a nested index, and names the platforms it has when one is missing', async () => {
    const amd = await twoLayerImage('oci', 'linux/amd64');
    const arm = await twoLayerImage('oci', 'linux/arm64/v8');
    const index = buildIndex([amd, arm], { format: 'oci' });
    const dir = tempDir('oci-index');
    writeOciLayout(dir, index, { tag: 'multi' });
    assert.equal((await resolveImage(`oci:${dir}:multi`)).manifestDigest, amd.manifestDigest);
    const a = await resolveImage(`oci:${dir}`, { platform: 'linux/arm64/v8' });
    assert.equal(a.manifestDigest, arm.manifestDigest);
    assert.equal(a.platform, 'linux/arm64/v8');
    await assert.rejects(
      resolveImage(`oci:${dir}`, { platform: 'windows/amd64' }),
      (e) =>
        isPraxiError(e) &&
        e.code === 'NOT_FOUND' &&
        /windows\/amd64; it has linux\/amd64, linux\/arm64\/v8/.test(e.message),
    );
  });

  it('gives typed errors for a missing layout, a missing blob, a corrupt blob and an unknown manifest type', async () => {
    await assert.rejects(
      resolveImage(`oci:${tempDir('empty')}`),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND' && /not an OCI image layout/.test(e.message),
    );

    const image = await twoLayerImage('oci');
    const dir = tempDir('oci-bad');
    writeOciLayout(dir, image);
    rmSync(path.join(dir, 'blobs/sha256', image.layers[1].digest.slice(7)));
    const blob0 = path.join(dir, 'blobs/sha256', image.layers[0].digest.slice(7));
    writeFileSync(blob0, readFileSync(blob0).subarray(0, 10));
    const resolved = await resolveImage(`oci:${dir}`);
    await assert.rejects(
      readAll(await resolved.layers[0].open()),
      (e) => isPraxiError(e) && e.code === 'CORRUPT_CONTENT' && /truncated/.test(e.message),
    );
    await assert.rejects(
      resolved.layers[1].open(),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND' && /missing from the layout/.test(e.message),
    );

    const odd = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.odd+json' }),
    );
    const oddDir = tempDir('oci-odd');
    writeOciLayout(oddDir, image);
    writeFileSync(path.join(oddDir, 'blobs/sha256', sha256(odd).slice(7)), odd);
    writeFileSync(
      path.join(oddDir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/vnd.example.odd+json', digest: sha256(odd), size: odd.length }],
      }),
    );
    await assert.rejects(
      resolveImage(`oci:${oddDir}`),
      (e) =>
        isPraxiError(e) &&
        e.code === 'UNSUPPORTED_CONTENT' &&
        /application\/vnd\.example\.odd\+json/.test(e.message),
    );
  });
});

describe('tar index', () => {
  for (const longNames of ['pax', 'gnu'] as const) {
    it(`finds members with ${longNames} long names and follows links`, async () => {
      const w = new TarWriter(longNames);
      const long = `${'dir-'.repeat(40)}/member.bin`;
      w.file(long, Buffer.from('long member'));
      w.add({ name: 'short', typeflag: '2', linkname: long });
      w.add({ name: 'hard', typeflag: '1', linkname: long });
      const file = path.join(tempDir('tar-index'), 't.tar');
      writeFileSync(file, w.finish());
      const tree = await TarTree.open(file);
      assert.equal(await tree.size(long), 11);
      assert.equal((await tree.readFile(long)).toString(), 'long member');
      assert.equal((await tree.readFile('short')).toString(), 'long member');
      assert.equal((await readAll(tree.open('hard'))).toString(), 'long member');
      assert.equal((await readAll(tree.open(long, 4))).toString(), 'long');
      assert.equal(await tree.size('nope'), undefined);
    });
  }
});
