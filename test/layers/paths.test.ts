import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressionFromMediaType, detectCompression } from '../../activities/layers/compression';
import { normaliseLayerPath, whiteoutOf } from '../../activities/layers/paths';

describe('layer paths', () => {
  it('normalises member names lexically, never climbing above the root', () => {
    const cases: Array<[string, string]> = [
      ['usr/bin/env', 'usr/bin/env'],
      ['./usr/bin/env', 'usr/bin/env'],
      ['/usr/bin/env', 'usr/bin/env'],
      ['usr//bin/./env', 'usr/bin/env'],
      ['usr/lib/', 'usr/lib'],
      ['../../etc/passwd', 'etc/passwd'],
      ['a/b/../../../c', 'c'],
      ['a/.hidden/x', 'a/.hidden/x'],
      ['a/..b/x', 'a/..b/x'],
      ['./', ''],
      ['.', ''],
    ];
    for (const [name, want] of cases) assert.equal(normaliseLayerPath(name), want, name);
  });

  it('tells whiteouts, opaque whiteouts and AUFS bookkeeping from ordinary names', () => {
    assert.deepEqual(whiteoutOf('etc/.wh.motd'), { kind: 'delete', path: 'etc/motd' });
    assert.deepEqual(whiteoutOf('.wh.top'), { kind: 'delete', path: 'top' });
    assert.deepEqual(whiteoutOf('var/cache/.wh..wh..opq'), { kind: 'opaque', path: 'var/cache/' });
    assert.deepEqual(whiteoutOf('.wh..wh.plnk'), { kind: 'meta' });
    assert.deepEqual(whiteoutOf('.wh..wh.plnk/12.34'), { kind: 'meta' });
    assert.equal(whiteoutOf('etc/motd'), undefined);
    assert.equal(whiteoutOf('etc/not.wh.a-whiteout'), undefined);
  });
});

describe('layer compression', () => {
  it('reads the media types of OCI and Docker layers', () => {
    assert.equal(compressionFromMediaType('application/vnd.oci.image.layer.v1.tar+gzip'), 'gzip');
    assert.equal(compressionFromMediaType('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
    assert.equal(compressionFromMediaType('application/vnd.oci.image.layer.v1.tar'), 'none');
    assert.equal(compressionFromMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
    assert.equal(
      compressionFromMediaType('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'),
      'gzip',
    );
    assert.equal(compressionFromMediaType('application/vnd.oci.image.config.v1+json'), undefined);
    assert.equal(compressionFromMediaType(undefined), undefined);
  });

  it('detects gzip and zstd from magic bytes and calls anything else plain tar', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), 'zstd');
    assert.equal(detectCompression(Buffer.from('usr/bi')), 'none');
    assert.equal(detectCompression(Buffer.alloc(0)), 'none');
    assert.equal(
      detectCompression(Buffer.from([0x1f, 0x8b]), 'application/vnd.oci.image.layer.v1.tar'),
      'gzip',
    );
  });
});
