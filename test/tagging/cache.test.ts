import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import type { Changeset } from '../../activities/layers/changeset';
import { LocalStore, type ObjectStore, S3Store } from '../../activities/store';
import { summarize, summaryKey, TagsetCache, tagsetKey } from '../../activities/tagging/cache';
import { tagsetFromChangeset, tokenizerId } from '../../activities/tagging/columbus';
import { fingerprintLayer } from '../../activities/tagging/fingerprint';
import { tempDir } from '../harness/process';
import { useS3 } from '../harness/stack';
import { blobStream, type FixtureEntry, gzip, makeTar } from '../layers/fixtures';

const digestOf = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function changeset(layerDigest: string, paths: string[]): Changeset {
  return {
    schema: 'praxi.changeset/v1',
    layerDigest,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    entries: paths.map((path) => ({ path, type: 'file', size: 1, mode: 0o644 })),
    deletions: ['etc/old'],
    bytes: 1234,
  };
}

const PATHS = ['opt/foo/foobar', 'opt/foo/foobaz', 'opt/foo/food'];

/** A layer handle over a blob built in the test, counting how often it is opened. */
class CountingLayer {
  opens = 0;
  readonly digest: string;
  readonly mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip';
  constructor(private readonly blob: Buffer) {
    this.digest = digestOf(blob);
  }
  async open(): Promise<Readable> {
    this.opens++;
    return blobStream(this.blob);
  }
}

async function layerOf(entries: FixtureEntry[]): Promise<CountingLayer> {
  return new CountingLayer(gzip(await makeTar(entries)));
}

function suite(name: string, open: () => Promise<ObjectStore>): void {
  describe(`tagset cache: ${name}`, () => {
    it('computes once, then answers from the store with the same tagset and summary', async () => {
      const store = await open();
      const cache = new TagsetCache(store, { threshold: 2 });
      const digest = digestOf('layer-a');
      let reads = 0;
      const read = async () => {
        reads++;
        return changeset(digest, PATHS);
      };
      const first = await cache.getOrCompute(digest, read);
      assert.equal(first.cached, false);
      assert.ok(first.changeset, 'the computed changeset comes back');
      assert.deepEqual(first.tagset, tagsetFromChangeset(changeset(digest, PATHS), { threshold: 2 }));
      assert.deepEqual(first.tagset.tags, { foo: 6, fooba: 2 });

      const again = await new TagsetCache(store, { threshold: 2 }).getOrCompute(digest, read);
      assert.equal(again.cached, true);
      assert.equal(again.changeset, undefined);
      assert.equal(reads, 1);
      assert.deepEqual(again.tagset, first.tagset);
      assert.deepEqual(
        [again.summary.entries, again.summary.deletions, again.summary.bytes, again.summary.layerDigest],
        [3, 1, 1234, digest],
      );
    });

    it('keys tagsets by tokenizer and digest, and summaries by digest alone', async () => {
      const store = await open();
      const digest = digestOf('layer-b');
      const hex = digest.slice('sha256:'.length);
      await new TagsetCache(store, { threshold: 1 }).getOrCompute(digest, async () =>
        changeset(digest, PATHS),
      );
      let rereads = 0;
      const praxi = await new TagsetCache(store, { name: 'columbus-praxi', threshold: 2 }).getOrCompute(
        digest,
        async () => {
          rereads++;
          return changeset(digest, PATHS);
        },
      );
      assert.equal(praxi.cached, false, 'another tokenizer is another tagset');
      assert.equal(rereads, 1);
      const id1 = tokenizerId({ threshold: 1 });
      assert.equal(tagsetKey(id1, digest), `tagsets/columbus-${id1.version}/sha256/${hex}.json`);
      assert.equal(summaryKey(digest), `layers/sha256/${hex}/summary.json`);
      assert.equal(await store.exists(tagsetKey(id1, digest)), true);
      assert.equal(
        await store.exists(tagsetKey(tokenizerId({ name: 'columbus-praxi', threshold: 2 }), digest)),
        true,
      );
      assert.equal(await store.exists(summaryKey(digest)), true);
    });

    it('reads a base layer shared by two images once', async () => {
      const store = await open();
      const cache = new TagsetCache(store);
      const base = await layerOf([
        { name: 'usr/lib/python3.11/os.py', data: 'x' },
        { name: 'usr/lib/python3.11/json/__init__.py', data: 'y' },
      ]);
      const app1 = await layerOf([{ name: 'usr/lib/python3/site-packages/numpy/core.py', data: '1' }]);
      const app2 = await layerOf([{ name: 'usr/lib/python3/site-packages/pandas/frame.py', data: '2' }]);
      const image1 = [base, app1];
      const image2 = [base, app2];
      const fp1 = await Promise.all(image1.map((l) => fingerprintLayer(l, cache)));
      const fp2 = await Promise.all(image2.map((l) => fingerprintLayer(l, cache)));
      assert.deepEqual([base.opens, app1.opens, app2.opens], [1, 1, 1]);
      assert.deepEqual(
        fp1.map((f) => f.cached),
        [false, false],
      );
      assert.deepEqual(
        fp2.map((f) => f.cached),
        [true, false],
      );
      assert.deepEqual(fp2[0].tagset, fp1[0].tagset);
      assert.equal(fp2[0].summary.entries, 2);
      assert.ok(fp1[1].read, 'a layer read now comes with what was read');
      assert.ok(Object.keys(fp1[1].tagset.tags).some((t) => t.startsWith('num')));
    });

    it('shares one computation between concurrent requests for a digest', async () => {
      const store = await open();
      const cache = new TagsetCache(store);
      const layer = await layerOf([{ name: 'opt/app/appx', data: 'a' }, { name: 'opt/app/appy' }]);
      const results = await Promise.all([1, 2, 3, 4].map(() => fingerprintLayer(layer, cache)));
      assert.equal(layer.opens, 1);
      assert.equal(results.filter((r) => !r.cached).length, 1);
      for (const r of results) assert.deepEqual(r.tagset, results[0].tagset);
    });

    it('treats a broken entry as a miss and repairs it', async () => {
      const store = await open();
      const cache = new TagsetCache(store);
      const digest = digestOf('layer-broken');
      await store.put(tagsetKey(cache.tokenizer, digest), '{not json');
      await store.put(
        summaryKey(digest),
        JSON.stringify({ schema: 'praxi.layer-summary/v1', layerDigest: digest }),
      );
      const r = await cache.getOrCompute(digest, async () => changeset(digest, PATHS));
      assert.equal(r.cached, false);
      assert.equal((await cache.get(digest))?.tagset.tags.foo, 6);
    });

    it('reads a layer again when its cached tagset predates size signatures or declared versions', async () => {
      const store = await open();
      const cache = new TagsetCache(store);
      const digest = digestOf('layer-unsized');
      const cs = changeset(digest, [
        'app/node_modules/left-pad/index.js',
        'app/node_modules/left-pad/README.md',
      ]);
      const { sizeSignatures: _s, ...old } = tagsetFromChangeset(cs);
      await cache.put(digest, { tagset: old, summary: summarize(cs) });
      assert.equal(await cache.get(digest), undefined);
      // Nor is one from before the declared npm versions.
      const { declaredVersions: _d, ...sizedOnly } = tagsetFromChangeset(cs);
      await cache.put(digest, { tagset: sizedOnly, summary: summarize(cs) });
      assert.equal(await cache.get(digest), undefined);
      const r = await cache.getOrCompute(digest, async () => cs);
      assert.equal(r.cached, false);
      assert.equal((await cache.get(digest))?.tagset.sizeSignatures?.['npm:left-pad']?.length, 1);
    });

    it('caches nothing when reading fails, so the next attempt reads again', async () => {
      const store = await open();
      const cache = new TagsetCache(store);
      const digest = digestOf('layer-flaky');
      const boom = new Error('network went away');
      await assert.rejects(
        cache.getOrCompute(digest, async () => {
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.equal(await cache.get(digest), undefined);
      const r = await cache.getOrCompute(digest, async () => changeset(digest, PATHS));
      assert.equal(r.cached, false);
    });

    it('refuses a malformed digest with BAD_INPUT', async () => {
      const cache = new TagsetCache(await open());
      await assert.rejects(
        cache.getOrCompute('../../etc', async () => changeset('x', [])),
        (e) => isPraxiError(e) && e.code === 'BAD_INPUT',
      );
    });
  });
}

suite('local directory', async () => new LocalStore(tempDir('tagsets')));

let n = 0;
suite('S3', async () => {
  const s3 = await useS3();
  return new S3Store({
    bucket: s3.bucket,
    prefix: `tagsets-${process.pid}-${n++}/`,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
});
