import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { CorruptContentError, isPraxiError, TransientError } from '../../activities/errors';
import { readLayer, type ReadLayerOptions } from '../../activities/layers/reader';
import {
  blobStream,
  blocks,
  fileHeaderFactory,
  type FixtureEntry,
  gnuLongNameFile,
  gzip,
  makeTar,
  rawHeader,
  TAR_END,
  zstd,
} from './fixtures';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const opts = (extra: Partial<ReadLayerOptions> = {}): ReadLayerOptions => ({ layerDigest: DIGEST, ...extra });

const isCorrupt = (pattern: RegExp) => (e: unknown) =>
  e instanceof CorruptContentError &&
  e.code === 'CORRUPT_CONTENT' &&
  !e.retryable &&
  e.message.includes(DIGEST) &&
  pattern.test(e.message);

const SAMPLE: FixtureEntry[] = [
  { name: './usr/', type: 'directory' },
  { name: './usr/bin/', type: 'directory' },
  { name: './usr/bin/tool', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
  { name: './usr/lib/python3/dist-packages/pkg/__init__.py', data: 'x = 1\n' },
  { name: './usr/lib/python3/dist-packages/pkg-1.0.dist-info/METADATA', data: 'Name: pkg\nVersion: 1.0\n' },
  { name: './usr/bin/tool-link', type: 'symlink', linkname: 'tool' },
  { name: './usr/bin/tool-hard', type: 'link', linkname: './usr/bin/tool' },
  { name: './var/empty', data: '' },
];

const SAMPLE_ENTRIES = [
  { path: 'usr', type: 'dir', size: 0, mode: 0o755 },
  { path: 'usr/bin', type: 'dir', size: 0, mode: 0o755 },
  { path: 'usr/bin/tool', type: 'file', size: 18, mode: 0o755 },
  { path: 'usr/lib/python3/dist-packages/pkg/__init__.py', type: 'file', size: 6, mode: 0o644 },
  { path: 'usr/lib/python3/dist-packages/pkg-1.0.dist-info/METADATA', type: 'file', size: 23, mode: 0o644 },
  { path: 'usr/bin/tool-link', type: 'symlink', size: 0, mode: 0o644, linkname: 'tool' },
  { path: 'usr/bin/tool-hard', type: 'hardlink', size: 0, mode: 0o644, linkname: 'usr/bin/tool' },
  { path: 'var/empty', type: 'file', size: 0, mode: 0o644 },
];

describe('layer reader: formats', () => {
  const cases: Array<[string, (t: Buffer) => Buffer, Partial<ReadLayerOptions>, string]> = [
    ['uncompressed', (t) => t, {}, 'none'],
    ['gzip', gzip, {}, 'gzip'],
    ['zstd (zstd CLI)', (t) => zstd(t), { zstd: 'cli' }, 'zstd'],
    ['zstd (fzstd)', (t) => zstd(t), { zstd: 'fzstd' }, 'zstd'],
  ];
  for (const [name, compress, extra, compression] of cases) {
    it(`reads a ${name} layer: entries in tar order, a wanted file's content, progress in blob bytes`, async () => {
      const blob = compress(await makeTar(SAMPLE));
      const progress: number[] = [];
      const r = await readLayer(
        blobStream(blob, 301),
        opts({
          ...extra,
          onProgress: (b) => progress.push(b),
          wantContent: (p) => p.endsWith('.dist-info/METADATA'),
        }),
      );
      assert.equal(r.schema, 'praxi.changeset/v1');
      assert.equal(r.layerDigest, DIGEST);
      assert.equal(r.compression, compression);
      assert.deepEqual(r.entries, SAMPLE_ENTRIES);
      assert.deepEqual(r.deletions, []);
      assert.deepEqual(
        r.contents.map((c) => [c.path, c.data.toString()]),
        [['usr/lib/python3/dist-packages/pkg-1.0.dist-info/METADATA', 'Name: pkg\nVersion: 1.0\n']],
      );
      assert.equal(r.bytes, blob.length);
      assert.equal(progress.at(-1), blob.length);
      assert.deepEqual(
        progress,
        progress.slice().sort((a, b) => a - b),
        'progress only grows',
      );
    });
  }

  it('trusts the bytes over a media type that disagrees, and records the given media type', async () => {
    const tar = await makeTar(SAMPLE);
    const asGzip = await readLayer(
      blobStream(gzip(tar)),
      opts({ mediaType: 'application/vnd.oci.image.layer.v1.tar' }),
    );
    assert.equal(asGzip.compression, 'gzip');
    assert.equal(asGzip.declaredCompression, 'none', 'the disagreement is reported');
    assert.equal(asGzip.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    assert.deepEqual(asGzip.entries, SAMPLE_ENTRIES);
    const plain = await readLayer(
      blobStream(tar),
      opts({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }),
    );
    assert.equal(plain.compression, 'none');
    assert.equal(plain.declaredCompression, 'gzip');
    assert.deepEqual(plain.entries, SAMPLE_ENTRIES);
  });

  it('refuses xz and bzip2 blobs with a typed UNSUPPORTED_CONTENT error', async () => {
    for (const magic of [
      Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]),
      Buffer.from('BZh91AY&SY'),
    ]) {
      await assert.rejects(
        readLayer(Readable.from([magic]), opts()),
        (e) => isPraxiError(e) && e.code === 'UNSUPPORTED_CONTENT' && !e.retryable,
      );
    }
  });

  it('reads the empty layer (two zero blocks, gzipped) and an empty blob as no entries', async () => {
    const r = await readLayer(blobStream(gzip(TAR_END)), opts());
    assert.deepEqual([r.entries, r.deletions, r.compression], [[], [], 'gzip']);
    const empty = await readLayer(Readable.from([]), opts());
    assert.deepEqual([empty.entries, empty.bytes], [[], 0]);
  });
});

describe('layer reader: names, links and whiteouts', () => {
  it('reads PAX long names (over 100 and over 255 bytes), UTF-8 names and long link targets', async () => {
    const over100 = `opt/${'a'.repeat(60)}/${'b'.repeat(60)}/file.txt`;
    const over255 = `opt/${'c'.repeat(120)}/${'d'.repeat(120)}/${'e'.repeat(120)}.txt`;
    const longTarget = `../${'t'.repeat(150)}/${'u'.repeat(150)}`;
    const tar = await makeTar([
      { name: over100, data: 'one' },
      { name: over255, data: 'two' },
      { name: 'opt/link', type: 'symlink', linkname: longTarget },
      { name: 'opt/naïve/日本語.txt', data: 'utf8' },
    ]);
    const r = await readLayer(blobStream(gzip(tar)), opts());
    assert.deepEqual(
      r.entries.map((e) => [e.path, e.size, e.linkname]),
      [
        [over100, 3, undefined],
        [over255, 3, undefined],
        ['opt/link', 0, longTarget],
        ['opt/naïve/日本語.txt', 4, undefined],
      ],
    );
    assert.ok(over255.length > 255);
  });

  it('reads GNU long names (././@LongLink, typeflag L), written by hand', async () => {
    const long = `usr/share/${'g'.repeat(200)}/${'h'.repeat(100)}.dat`;
    const blob = Buffer.concat([
      gnuLongNameFile(long, 'gnu!'),
      rawHeader({ name: 'usr/short', size: 2, magic: 'gnu' }),
      blocks('ok'),
      TAR_END,
    ]);
    const r = await readLayer(blobStream(blob, 100), opts({ wantContent: () => true }));
    assert.deepEqual(
      r.entries.map((e) => [e.path, e.size]),
      [
        [long, 4],
        ['usr/short', 2],
      ],
    );
    assert.deepEqual(
      r.contents.map((c) => c.data.toString()),
      ['gnu!', 'ok'],
    );
  });

  it('applies pax records (path, size) to the next member only, and reads global headers', async () => {
    const record = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      if (String(len).length + body.length !== len) len = String(len + 1).length + body.length;
      return `${len}${body}`;
    };
    const pax = record('path', 'opt/from-pax/name.bin') + record('size', '5');
    const global = record('comment', 'made by hand');
    const blob = Buffer.concat([
      rawHeader({ name: 'pax_global_header', typeflag: 'g', size: global.length }),
      blocks(global),
      rawHeader({ name: 'PaxHeaders/x', typeflag: 'x', size: pax.length }),
      blocks(pax),
      rawHeader({ name: 'short-name', size: 0 }),
      blocks('12345'),
      rawHeader({ name: 'after', size: 1 }),
      blocks('z'),
      TAR_END,
    ]);
    const r = await readLayer(blobStream(blob, 97), opts({ wantContent: () => true }));
    assert.deepEqual(
      r.entries.map((e) => [e.path, e.size]),
      [
        ['opt/from-pax/name.bin', 5],
        ['after', 1],
      ],
    );
    assert.deepEqual(
      r.contents.map((c) => c.data.toString()),
      ['12345', 'z'],
    );
  });

  it('records whiteouts as deletions and opaque whiteouts as DIR/, and ignores AUFS bookkeeping', async () => {
    const tar = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.motd' },
      { name: './usr/lib/python3/.wh.old-pkg' },
      { name: 'var/cache/apt/.wh..wh..opq' },
      { name: '.wh..wh.plnk', type: 'directory' },
      { name: '.wh..wh.plnk/123.456' },
      { name: '.wh.top-level' },
      { name: 'etc/motd.new', data: 'hi' },
    ]);
    const r = await readLayer(blobStream(tar), opts());
    assert.deepEqual(r.deletions, ['etc/motd', 'usr/lib/python3/old-pkg', 'var/cache/apt/', 'top-level']);
    assert.deepEqual(
      r.entries.map((e) => e.path),
      ['etc', 'etc/motd.new'],
    );
  });

  it('normalises ./ and / prefixes and resolves .. lexically, never above the root, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'praxi-layer-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const blob = Buffer.concat([
        rawHeader({ name: '../../etc/passwd', size: 5 }),
        blocks('evil\n'),
        rawHeader({ name: '/abs/file', size: 1 }),
        blocks('x'),
        rawHeader({ name: './a/./b/../c', size: 0 }),
        rawHeader({ name: 'lnk', typeflag: '1', linkname: '../../../etc/shadow' }),
        rawHeader({ name: './', typeflag: '5' }),
        TAR_END,
      ]);
      const r = await readLayer(blobStream(blob), opts({ wantContent: () => true }));
      assert.deepEqual(
        r.entries.map((e) => [e.path, e.type, e.linkname]),
        [
          ['etc/passwd', 'file', undefined],
          ['abs/file', 'file', undefined],
          ['a/c', 'file', undefined],
          ['lnk', 'hardlink', 'etc/shadow'],
        ],
      );
      assert.equal(r.contents[0].path, 'etc/passwd', 'content is reported under the normalised path');
      assert.deepEqual(readdirSync(dir), [], 'nothing was written');
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('layer reader: bad input', () => {
  it('fails a truncated gzip blob with CORRUPT_CONTENT naming the layer', async () => {
    const blob = gzip(await makeTar(SAMPLE));
    await assert.rejects(
      readLayer(blobStream(blob.subarray(0, blob.length - 30)), opts()),
      isCorrupt(/truncated/),
    );
  });

  it('fails a truncated uncompressed tar (cut inside a member)', async () => {
    const tar = await makeTar([{ name: 'big', data: Buffer.alloc(5000, 1) }]);
    await assert.rejects(readLayer(blobStream(tar.subarray(0, 2048)), opts()), isCorrupt(/truncated/));
  });

  for (const zstdDecoder of ['cli', 'fzstd'] as const) {
    it(`fails a truncated zstd blob (${zstdDecoder})`, async () => {
      const blob = zstd(await makeTar([{ name: 'big', data: Buffer.alloc(50000, 7) }, ...SAMPLE]));
      await assert.rejects(
        readLayer(blobStream(blob.subarray(0, Math.floor(blob.length / 2))), opts({ zstd: zstdDecoder })),
        isCorrupt(/truncated|corrupt/),
      );
    });
  }

  it('fails corrupt gzip data', async () => {
    const blob = Buffer.from(gzip(await makeTar(SAMPLE)));
    for (let i = 20; i < 60; i++) blob[i] ^= 0x5a;
    await assert.rejects(readLayer(blobStream(blob), opts()), isCorrupt(/gzip/));
  });

  it('fails corrupt zstd data (zstd CLI: the frame checksum catches it)', async () => {
    const blob = Buffer.from(zstd(await makeTar(SAMPLE)));
    for (let i = 30; i < 60; i++) blob[i] ^= 0x5a;
    await assert.rejects(readLayer(blobStream(blob), opts({ zstd: 'cli' })), isCorrupt(/zstd|tar/));
  });

  it('fails a tar header with an absurd size field (base-256, petabytes)', async () => {
    const huge = Buffer.from([0x80, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0]); // 2^60 bytes
    const blob = Buffer.concat([rawHeader({ name: 'x', sizeField: huge }), Buffer.alloc(4096), TAR_END]);
    await assert.rejects(readLayer(blobStream(blob), opts()), isCorrupt(/impossible size/));
  });

  it('fails a tar header whose size field is not a number', async () => {
    const blob = Buffer.concat([rawHeader({ name: 'x', sizeField: Buffer.from('zzzzzzzzzzz\0') }), TAR_END]);
    await assert.rejects(readLayer(blobStream(blob), opts()), isCorrupt(/size/));
  });

  it('fails a tar header with a bad checksum', async () => {
    const header = rawHeader({ name: 'x', size: 1 });
    header[0] = 'y'.charCodeAt(0);
    await assert.rejects(
      readLayer(blobStream(Buffer.concat([header, blocks('1'), TAR_END])), opts()),
      isCorrupt(/tar header/),
    );
  });

  it('passes the source stream’s own error through untouched (a digest mismatch from the registry client)', async () => {
    const blob = gzip(await makeTar([{ name: 'big', data: Buffer.alloc(200000, 3) }, ...SAMPLE]));
    const mismatch = new CorruptContentError(`blob ${DIGEST}: digest mismatch`, 'DIGEST_MISMATCH');
    const source = new Readable({ read() {} });
    source.push(blob.subarray(0, 1000));
    setTimeout(() => source.destroy(mismatch), 20);
    await assert.rejects(readLayer(source, opts()), (e) => e === mismatch);

    const reset = new TransientError('connection reset', 'NETWORK');
    const early = new Readable({ read() {} });
    setImmediate(() => early.destroy(reset));
    await assert.rejects(readLayer(early, opts()), (e) => e === reset);
  });

  it('stops on abort with the abort reason', async () => {
    const source = new Readable({ read() {} });
    source.push(gzip(await makeTar(SAMPLE)).subarray(0, 100));
    const ac = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => ac.abort(reason), 20);
    await assert.rejects(readLayer(source, opts({ signal: ac.signal })), (e) => e === reason);
    assert.ok(source.destroyed, 'the source is released');
  });
});

describe('layer reader: content limits and memory', () => {
  it('keeps wanted files up to the per-file and total limits and lists the rest as skipped', async () => {
    const tar = await makeTar([
      { name: 'a/METADATA', data: 'a'.repeat(100) },
      { name: 'b/METADATA', data: 'b'.repeat(300) },
      { name: 'c/METADATA', data: 'c'.repeat(150) },
      { name: 'd/METADATA', data: 'd'.repeat(100) },
      { name: 'e/other', data: 'e'.repeat(100) },
    ]);
    const asked: Array<[string, number]> = [];
    const r = await readLayer(
      blobStream(gzip(tar)),
      opts({
        wantContent: (p, size) => {
          asked.push([p, size]);
          return p.endsWith('METADATA');
        },
        maxContentBytes: 200,
        maxTotalContentBytes: 260,
      }),
    );
    assert.deepEqual(
      r.contents.map((c) => [c.path, c.data.length]),
      [
        ['a/METADATA', 100],
        ['c/METADATA', 150],
      ],
    );
    assert.deepEqual(r.skippedContents, [
      { path: 'b/METADATA', size: 300 },
      { path: 'd/METADATA', size: 100 },
    ]);
    assert.equal(asked.length, 5);
    assert.equal(r.entries.length, 5);
  });

  it('reads 200,000 members without holding their contents (heap growth stays bounded)', async () => {
    const members = 200_000;
    const payload = Buffer.alloc(512, 0x61);
    const header = fileHeaderFactory(payload.length);
    // Generated as it is read: the test holds no copy of the ~200 MB tar either.
    function* tarBlocks() {
      const batch: Buffer[] = [];
      for (let i = 0; i < members; i++) {
        batch.push(header(`srv/data/d${i % 100}/f${i}.txt`), payload);
        if (batch.length >= 256) yield Buffer.concat(batch.splice(0));
      }
      batch.push(TAR_END);
      yield Buffer.concat(batch);
    }
    const before = process.memoryUsage();
    let peak = 0;
    const r = await readLayer(
      Readable.from(tarBlocks()),
      opts({
        onProgress: () => {
          const m = process.memoryUsage();
          peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
        },
      }),
    );
    assert.equal(r.entries.length, members);
    assert.equal(r.entries[members - 1].path, `srv/data/d${(members - 1) % 100}/f${members - 1}.txt`);
    const contentBytes = members * payload.length;
    if (process.env.PRAXI_TEST_VERBOSE) console.log(`peak growth ${Math.round(peak / 2 ** 20)} MiB`);
    assert.ok(peak < 96 * 1024 * 1024, `peak growth ${Math.round(peak / 2 ** 20)} MiB`);
    assert.ok(peak < contentBytes, 'less than the contents it read');
  });
});

describe('layer reader: archives written by GNU tar', () => {
  it('reads gnu, posix (pax) and v7-era ustar archives of the same tree alike, with 1-byte chunks too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'praxi-gnutar-'));
    try {
      const long = join('opt', 'x'.repeat(120), 'y'.repeat(150));
      mkdirSync(join(dir, long), { recursive: true });
      writeFileSync(join(dir, long, 'data.bin'), Buffer.alloc(3000, 9));
      writeFileSync(join(dir, 'opt', 'small'), 'small');
      symlinkSync('small', join(dir, 'opt', 'sym'));
      linkSync(join(dir, 'opt', 'small'), join(dir, 'opt', 'hard'));
      const listing = (format: string) =>
        execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', dir, '-cf', '-', '.'], {
          maxBuffer: 1 << 26,
        });
      const expected = [
        'opt',
        'opt/hard',
        `${long}`,
        `${long}/data.bin`,
        'opt/small',
        'opt/sym',
        `opt/${'x'.repeat(120)}`,
      ].sort();
      for (const format of ['gnu', 'posix']) {
        const blob = listing(format);
        for (const chunk of [65536, 1]) {
          const r = await readLayer(
            blobStream(blob, chunk),
            opts({ wantContent: (p) => p.endsWith('data.bin') }),
          );
          assert.deepEqual(r.entries.map((e) => e.path).sort(), expected, `${format}, ${chunk}-byte chunks`);
          const byPath = new Map(r.entries.map((e) => [e.path, e]));
          assert.equal(byPath.get('opt/sym')?.linkname, 'small');
          assert.equal(byPath.get('opt/sym')?.type, 'symlink');
          // GNU tar stores the second name of a hard-linked file as a link to the first.
          const linked = [byPath.get('opt/hard'), byPath.get('opt/small')].map((e) => e?.type).sort();
          assert.deepEqual(linked, ['file', 'hardlink']);
          assert.equal(byPath.get(`${long}/data.bin`)?.size, 3000);
          assert.deepEqual(
            r.contents.map((c) => c.data.length),
            [3000],
          );
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('layer reader: caller callbacks', () => {
  it('passes an exception from wantContent or onProgress through as it is, not as corrupt content', async () => {
    const blob = gzip(await makeTar(SAMPLE));
    const oops = new Error('callback bug');
    await assert.rejects(
      readLayer(
        blobStream(blob),
        opts({
          wantContent: () => {
            throw oops;
          },
        }),
      ),
      (e) => e === oops,
    );
    await assert.rejects(
      readLayer(
        blobStream(blob),
        opts({
          onProgress: () => {
            throw oops;
          },
        }),
      ),
      (e) => e === oops,
    );
  });
});
