import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeFor, isPraxiError } from '../../activities/errors';
import {
  formatRef,
  formatRepository,
  type ImageRef,
  parseImageRef,
  registryScheme,
} from '../../activities/registry/reference';

const D = `sha256:${'ab'.repeat(32)}`;

describe('image references', () => {
  const good: Array<[string, ImageRef, string]> = [
    [
      '127.0.0.1:5000/team/app:1.0',
      { kind: 'registry', host: '127.0.0.1:5000', repository: 'team/app', tag: '1.0' },
      '127.0.0.1:5000/team/app:1.0',
    ],
    [
      'localhost/app',
      { kind: 'registry', host: 'localhost', repository: 'app', tag: 'latest' },
      'localhost/app:latest',
    ],
    [
      'localhost:5000/a/b/c',
      { kind: 'registry', host: 'localhost:5000', repository: 'a/b/c', tag: 'latest' },
      'localhost:5000/a/b/c:latest',
    ],
    [
      '[::1]:5000/app:v2',
      { kind: 'registry', host: '[::1]:5000', repository: 'app', tag: 'v2' },
      '[::1]:5000/app:v2',
    ],
    [
      `reg.example.com/app@${D}`,
      { kind: 'registry', host: 'reg.example.com', repository: 'app', digest: D },
      `reg.example.com/app@${D}`,
    ],
    [
      `reg.example.com:443/app:1@${D}`,
      { kind: 'registry', host: 'reg.example.com:443', repository: 'app', tag: '1', digest: D },
      `reg.example.com:443/app:1@${D}`,
    ],
    [
      'Reg.Example.COM/app',
      { kind: 'registry', host: 'reg.example.com', repository: 'app', tag: 'latest' },
      'reg.example.com/app:latest',
    ],
    [
      'python:3.12',
      { kind: 'registry', host: 'registry-1.docker.io', repository: 'library/python', tag: '3.12' },
      'docker.io/library/python:3.12',
    ],
    [
      'python',
      { kind: 'registry', host: 'registry-1.docker.io', repository: 'library/python', tag: 'latest' },
      'docker.io/library/python:latest',
    ],
    [
      'user/app',
      { kind: 'registry', host: 'registry-1.docker.io', repository: 'user/app', tag: 'latest' },
      'docker.io/user/app:latest',
    ],
    [
      'docker.io/python:3',
      { kind: 'registry', host: 'registry-1.docker.io', repository: 'library/python', tag: '3' },
      'docker.io/library/python:3',
    ],
    [
      'index.docker.io/user/app:x',
      { kind: 'registry', host: 'registry-1.docker.io', repository: 'user/app', tag: 'x' },
      'docker.io/user/app:x',
    ],
    [
      'docker://127.0.0.1:5000/app:1',
      { kind: 'registry', host: '127.0.0.1:5000', repository: 'app', tag: '1' },
      '127.0.0.1:5000/app:1',
    ],
    [
      'my-reg.local/a.b/c__d/e-f--g:T_1.2-x',
      { kind: 'registry', host: 'my-reg.local', repository: 'a.b/c__d/e-f--g', tag: 'T_1.2-x' },
      'my-reg.local/a.b/c__d/e-f--g:T_1.2-x',
    ],
    ['docker-daemon:app:1', { kind: 'docker-daemon', name: 'app:1' }, 'docker-daemon:app:1'],
    ['docker-daemon:python', { kind: 'docker-daemon', name: 'python:latest' }, 'docker-daemon:python:latest'],
    [
      'docker-daemon:127.0.0.1:5000/x/y:2',
      { kind: 'docker-daemon', name: '127.0.0.1:5000/x/y:2' },
      'docker-daemon:127.0.0.1:5000/x/y:2',
    ],
    [`docker-daemon:${D}`, { kind: 'docker-daemon', name: D }, `docker-daemon:${D}`],
    [
      'docker-archive:/tmp/a b/img.tar',
      { kind: 'docker-archive', path: '/tmp/a b/img.tar' },
      'docker-archive:/tmp/a b/img.tar',
    ],
    ['oci-archive:/tmp/img.tar', { kind: 'oci-archive', path: '/tmp/img.tar' }, 'oci-archive:/tmp/img.tar'],
    [
      'oci-archive:/tmp/img.tar:v1',
      { kind: 'oci-archive', path: '/tmp/img.tar', tag: 'v1' },
      'oci-archive:/tmp/img.tar:v1',
    ],
    ['oci:/tmp/layout', { kind: 'oci', dir: '/tmp/layout' }, 'oci:/tmp/layout'],
    ['oci:./layout:latest', { kind: 'oci', dir: './layout', tag: 'latest' }, 'oci:./layout:latest'],
    ['oci:/tmp/dir:with/slash', { kind: 'oci', dir: '/tmp/dir:with/slash' }, 'oci:/tmp/dir:with/slash'],
  ];
  for (const [input, want, canonical] of good) {
    it(`parses ${input}`, () => {
      const ref = parseImageRef(input);
      assert.deepEqual(ref, want);
      assert.equal(formatRef(ref), canonical);
      assert.deepEqual(parseImageRef(formatRef(ref)), ref, 'the canonical form parses back to the same ref');
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['  app', /whitespace/],
    ['app/X', /lower-case/],
    ['127.0.0.1:5000/Team/app', /lower-case/],
    ['127.0.0.1:5000/app:', /empty tag/],
    ['127.0.0.1:5000/app:-x', /tag "-x"/],
    ['127.0.0.1:5000//app', /empty path component/],
    ['127.0.0.1:5000/app/', /empty path component/],
    ['127.0.0.1:99999/app', /out of range/],
    ['127.0.0.1:5000/', /no repository/],
    ['app@sha256:1234', /64/],
    ['app@md5:' + 'a'.repeat(32), /only sha256/],
    ['app@latest', /not a digest/],
    ['@' + D, /no repository/],
    ['a..b/x', /a\.\.b/],
    ['reg.example.com/a--/b', /a--/],
    ['docker-daemon:', /nothing follows/],
    ['docker-daemon:sha256:abc', /image id/],
    ['docker:app', /docker:\/\//],
    ['oci:/x:', /empty tag/],
    [`reg.example.com/${'a'.repeat(260)}`, /longer than 255/],
    ['reg.example.com/app:' + 'v'.repeat(129), /at most 128/],
  ];
  for (const [input, why] of bad) {
    it(`refuses ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '...' : input)}`, () => {
      assert.throws(
        () => parseImageRef(input),
        (e) => isPraxiError(e) && e.code === 'BAD_REFERENCE' && why.test(e.message) && exitCodeFor(e) === 2,
      );
    });
  }

  it('picks HTTP for loopback and listed insecure hosts, HTTPS otherwise', () => {
    assert.equal(registryScheme('127.0.0.1:5000'), 'http');
    assert.equal(registryScheme('127.9.8.7'), 'http');
    assert.equal(registryScheme('localhost:5000'), 'http');
    assert.equal(registryScheme('[::1]:5000'), 'http');
    assert.equal(registryScheme('reg.example.com'), 'https');
    assert.equal(registryScheme('10.0.0.5:5000'), 'https');
    assert.equal(registryScheme('10.0.0.5:5000', ['10.0.0.5:5000']), 'http');
    assert.equal(registryScheme('reg.lan:5000', ['reg.lan']), 'http');
    assert.equal(registryScheme('reg.lan:5000', ['reg.lan:6000']), 'https');
  });

  it('names the repository of each kind', () => {
    assert.equal(formatRepository(parseImageRef('127.0.0.1:5000/team/app:1')), '127.0.0.1:5000/team/app');
    assert.equal(formatRepository(parseImageRef('python:3')), 'docker.io/library/python');
    assert.equal(
      formatRepository(parseImageRef('docker-daemon:127.0.0.1:5000/x:2')),
      'docker-daemon:127.0.0.1:5000/x',
    );
    assert.equal(formatRepository(parseImageRef('oci:/l:v1')), 'oci:/l');
  });
});
