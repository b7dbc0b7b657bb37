import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import {
  defaultKeychain,
  dockerConfigKeychain,
  envKeychain,
  parseChallenge,
} from '../../activities/registry/auth';
import { nextLink } from '../../activities/registry/client';
import { tempDir } from '../harness/process';

function configFile(doc: unknown): string {
  const file = path.join(tempDir('docker-config'), 'config.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('registry auth pieces', () => {
  it('parses WWW-Authenticate challenges, quoted and escaped', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/python:pull',
        },
      },
    );
    assert.deepEqual(parseChallenge('Basic realm="praxi \\"test\\""'), {
      scheme: 'basic',
      params: { realm: 'praxi "test"' },
    });
    assert.deepEqual(parseChallenge('Bearer realm=https://r/t, service=s'), {
      scheme: 'bearer',
      params: { realm: 'https://r/t', service: 's' },
    });
    assert.equal(parseChallenge(null), undefined);
  });

  it('finds the next page in a Link header', () => {
    assert.equal(nextLink('</v2/_catalog?last=b&n=2>; rel="next"'), '/v2/_catalog?last=b&n=2');
    assert.equal(
      nextLink('<https://x/prev>; rel="prev", <https://x/v2/t?last=c>; rel=next'),
      'https://x/v2/t?last=c',
    );
    assert.equal(nextLink('<https://x/prev>; rel="prev"'), undefined);
    assert.equal(nextLink(null), undefined);
  });

  it('scopes environment credentials to PRAXI_REGISTRY_HOST when it is set', () => {
    const env = { PRAXI_REGISTRY_USERNAME: 'u', PRAXI_REGISTRY_PASSWORD: 'p' };
    assert.deepEqual(envKeychain(env)('any.example.com').credential, { username: 'u', password: 'p' });
    const scoped = envKeychain({ ...env, PRAXI_REGISTRY_HOST: 'reg.example.com:5000' });
    assert.ok(scoped('reg.example.com:5000').credential);
    assert.equal(scoped('reg.example.com').credential, undefined);
    assert.ok(
      envKeychain({ ...env, PRAXI_REGISTRY_HOST: 'docker.io' })('registry-1.docker.io').credential,
      'Docker Hub aliases match',
    );
    assert.equal(
      envKeychain({ PRAXI_REGISTRY_USERNAME: 'u' })('x').credential,
      undefined,
      'a username alone is not a credential',
    );
  });

  it('reads Docker config auths under URL and host keys, Docker Hub included', () => {
    const file = configFile({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'reg.example.com:5000': { username: 'plain', password: 'pw' },
        'http://127.0.0.1:5000/v2/': { auth: b64('local:secret') },
        'id.example.com': { identitytoken: 'refresh-me' },
      },
    });
    const kc = dockerConfigKeychain(file);
    assert.deepEqual(kc('registry-1.docker.io').credential, { username: 'hubuser', password: 'hub:pass' });
    assert.deepEqual(kc('reg.example.com:5000').credential, { username: 'plain', password: 'pw' });
    assert.deepEqual(kc('127.0.0.1:5000').credential, { username: 'local', password: 'secret' });
    assert.deepEqual(kc('id.example.com').credential, { identityToken: 'refresh-me' });
    assert.equal(kc('other.example.com').credential, undefined);
    assert.equal(kc('127.0.0.1:5000').source, file);
  });

  it('explains credential helpers, and refuses malformed config files without echoing their content', () => {
    const helper = dockerConfigKeychain(
      configFile({ credsStore: 'desktop', auths: { 'a.example.com': {} } }),
    );
    const lookup = helper('a.example.com');
    assert.equal(lookup.credential, undefined);
    assert.match(lookup.note ?? '', /docker-credential-desktop.*does not run/);

    assert.throws(
      () => dockerConfigKeychain(configFile('{"auths": {"x": {"auth": "bm90LXNlY3JldA"')),
      (e) => isPraxiError(e) && e.code === 'BAD_CONFIG' && /not valid JSON/.test(e.message),
    );
    const noColon = dockerConfigKeychain(
      configFile({ auths: { 'x.example.com': { auth: b64('nocolonsecret') } } }),
    );
    assert.throws(
      () => noColon('x.example.com'),
      (e) => isPraxiError(e) && e.code === 'BAD_CONFIG' && !/nocolonsecret/.test(e.message),
    );
  });

  it('prefers environment credentials over the Docker config, and finds the config through DOCKER_CONFIG', () => {
    const file = configFile({ auths: { 'r.example.com': { auth: b64('fromfile:pw') } } });
    const dir = path.dirname(file);
    assert.equal(
      defaultKeychain({ env: { DOCKER_CONFIG: dir } })('r.example.com').credential?.username,
      'fromfile',
    );
    const both = defaultKeychain({
      env: { DOCKER_CONFIG: dir, PRAXI_REGISTRY_USERNAME: 'fromenv', PRAXI_REGISTRY_PASSWORD: 'x' },
    });
    assert.equal(both('r.example.com').credential?.username, 'fromenv');
    assert.equal(
      defaultKeychain({ env: { HOME: tempDir('home') } })('r.example.com').credential,
      undefined,
      'no config file: anonymous',
    );
  });
});
