import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import { LocalStore, type ObjectStore, S3Store } from '../../activities/store';
import { tempDir } from '../harness/process';
import { useS3 } from '../harness/stack';

/** The same contract, run against both backends: the local directory and a real S3-compatible server. */
function contract(name: string, open: () => Promise<ObjectStore>): void {
  describe(`object store contract: ${name}`, () => {
    it('puts, gets, checks and lists keys, at any depth', async () => {
      const s = await open();
      await s.put('a/b/one.json', '{"x":1}');
      await s.put('a/two.txt', Buffer.from('two'));
      await s.put('a/b/c/three.bin', Readable.from([Buffer.from('thr'), Buffer.from('ee')]));
      await s.put('other/x', 'x');
      assert.equal((await s.get('a/b/one.json')).toString(), '{"x":1}');
      assert.equal((await s.get('a/b/c/three.bin')).toString(), 'three');
      assert.equal(await s.exists('a/two.txt'), true);
      assert.equal(await s.exists('a/nope'), false);
      assert.deepEqual(await s.list('a/'), ['a/b/c/three.bin', 'a/b/one.json', 'a/two.txt']);
      assert.deepEqual(await s.list('a/b/o'), ['a/b/one.json']);
      const chunks: Buffer[] = [];
      for await (const c of await s.getStream('a/two.txt')) chunks.push(c as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'two');
    });

    it('lists more keys than one page holds', async () => {
      const s = await open();
      const keys = Array.from({ length: 1005 }, (_, i) => `many/k${String(i).padStart(4, '0')}`);
      for (let i = 0; i < keys.length; i += 50)
        await Promise.all(keys.slice(i, i + 50).map((k) => s.put(k, 'v')));
      assert.deepEqual(await s.list('many/'), keys);
    });

    it('gives a typed KEY_NOT_FOUND error for a missing key', async () => {
      const s = await open();
      await assert.rejects(
        s.get('missing/key'),
        (e) => isPraxiError(e) && e.code === 'KEY_NOT_FOUND' && !e.retryable,
      );
      await assert.rejects(s.getStream('missing/key'), (e) => isPraxiError(e) && e.code === 'KEY_NOT_FOUND');
    });

    it('refuses keys that could escape the store', async () => {
      const s = await open();
      for (const bad of ['../x', '/abs', 'a//b', 'a/../b', '']) {
        await assert.rejects(s.put(bad, 'x'), (e) => isPraxiError(e) && e.code === 'BAD_INPUT', bad);
      }
    });

    it('publishes a manifest atomically: readers see the old or the new value, whole', async () => {
      const s = await open();
      const big = (c: string) => c.repeat(256 * 1024);
      await s.publish('models/current', big('a'));
      const reads: Promise<Buffer>[] = [];
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) {
        writes.push(s.publish('models/current', big(i % 2 ? 'b' : 'c')));
        reads.push(s.get('models/current'));
      }
      await Promise.all(writes);
      for (const r of await Promise.all(reads)) {
        const text = r.toString();
        assert.equal(text.length, 256 * 1024);
        assert.ok(/^(a+|b+|c+)$/.test(text), 'a read saw a mix of two versions');
      }
    });

    it('writes create-only keys once', async () => {
      const s = await open();
      assert.equal(await s.putIfAbsent('once/k', 'first'), true);
      assert.equal(await s.putIfAbsent('once/k', 'second'), false);
      assert.equal((await s.get('once/k')).toString(), 'first');
    });

    it('deletes', async () => {
      const s = await open();
      await s.put('del/k', 'v');
      await s.delete('del/k');
      assert.equal(await s.exists('del/k'), false);
    });
  });
}

contract('local directory', async () => new LocalStore(tempDir('store')));

let n = 0;
contract('S3 (MinIO, or s3rver with PRAXI_TEST_S3=s3rver)', async () => {
  const s3 = await useS3();
  return new S3Store({
    bucket: s3.bucket,
    prefix: `contract-${process.pid}-${n++}/`,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
});
