import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { exitCodeFor, isPraxiError, type PraxiError, TransientError } from '../../activities/errors';
import { resolveImage } from '../../activities/image-sources';
import { dockerConfigKeychain } from '../../activities/registry/auth';
import { RegistryClient } from '../../activities/registry/client';
import { MediaTypes } from '../../activities/registry/media-types';
import { buildImage, type BuiltImage, buildLayer, pushImage } from '../harness/image-builder';
import { tempDir } from '../harness/process';
import { useRegistry } from '../harness/stack';
import { closeAtEnd, type FaultRule, startFaultProxy } from './fault-proxy';

const run = randomBytes(4).toString('hex');

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function client(
  opts: { maxRetries?: number; requestTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): RegistryClient {
  return new RegistryClient({
    keychain: opts.env ? undefined : () => ({}),
    env: opts.env,
    registry: { maxRetries: opts.maxRetries ?? 3, requestTimeoutMs: opts.requestTimeoutMs ?? 5_000 },
    retryBaseDelayMs: 10,
  });
}

let fixture: Promise<{ upstream: string; repo: string; image: BuiltImage }> | undefined;
/** One image in the real registry, shared by the fault cases below (each puts its own proxy in front). */
function image() {
  fixture ??= (async () => {
    const { host } = await useRegistry();
    const layer = await buildLayer([
      { type: 'file', path: 'usr/share/doc/pkg/README', content: 'x'.repeat(5000) },
    ]);
    const img = buildImage([layer]);
    const repo = `faults-${run}/app`;
    await pushImage(host, repo, 'v1', img);
    return { upstream: host, repo, image: img };
  })();
  return fixture;
}

const on =
  (match: (url: string, method: string) => boolean, rule: FaultRule): FaultRule =>
  (req, n) =>
    match(req.url ?? '', req.method ?? '') ? rule(req, n) : undefined;

describe('registry faults, through a fault-injecting proxy in front of the real registry', () => {
  it('retries 503 twice, then succeeds', async () => {
    const { upstream, repo, image: img } = await image();
    let failures = 0;
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.endsWith('/manifests/v1'),
        () =>
          failures++ < 2
            ? {
                kind: 'answer',
                status: 503,
                body: '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}',
              }
            : undefined,
      ),
    ]);
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    assert.equal(resolved.manifestDigest, img.manifestDigest);
    assert.equal(proxy.requests.filter((r) => r.endsWith('/manifests/v1')).length, 3);
  });

  it('waits out a 429 Retry-After, then succeeds', async () => {
    const { upstream, repo, image: img } = await image();
    let limited = false;
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.includes('/blobs/'),
        () => {
          if (limited) return undefined;
          limited = true;
          return {
            kind: 'answer',
            status: 429,
            headers: { 'retry-after': '1' },
            body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
          };
        },
      ),
    ]);
    const t0 = Date.now();
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    assert.ok(Date.now() - t0 >= 950, `waited ${Date.now() - t0} ms, Retry-After said 1 s`);
    assert.equal(resolved.manifestDigest, img.manifestDigest);
  });

  it('retries a connection reset', async () => {
    const { upstream, repo, image: img } = await image();
    let reset = false;
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.includes(`/blobs/${img.layers[0].digest}`),
        () => (reset ? undefined : ((reset = true), { kind: 'reset' })),
      ),
    ]);
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    assert.equal((await readAll(await resolved.layers[0].open())).length, img.layers[0].size);
    assert.ok(reset);
  });

  it('resumes a blob cut mid-stream with a Range request, and says so when the registry cannot resume', async () => {
    const { upstream, repo, image: img } = await image();
    const ranges: string[] = [];
    let cut = false;
    const proxy = await startFaultProxy(upstream, [
      on(
        (u, m) => m === 'GET' && u.includes(`/blobs/${img.layers[0].digest}`),
        (req) => {
          if (req.headers.range) ranges.push(req.headers.range);
          if (cut) return undefined;
          cut = true;
          return { kind: 'cut', after: 40 };
        },
      ),
    ]);
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    const bytes = await readAll(await resolved.layers[0].open());
    assert.equal(bytes.length, img.layers[0].size);
    assert.deepEqual(ranges, ['bytes=40-']);

    const noRanges = await startFaultProxy(upstream, [
      on(
        (u, m) => m === 'GET' && u.includes(`/blobs/${img.layers[0].digest}`),
        () => ({ kind: 'cut', after: 40, dropHeaders: ['accept-ranges'] }),
      ),
    ]);
    const again = await resolveImage(`${noRanges.host}/${repo}:v1`, { registryClient: client() });
    await assert.rejects(
      readAll(await again.layers[0].open()),
      (e) => isPraxiError(e) && e.code === 'NETWORK' && e.retryable,
    );
  });

  it('gives up after maxRetries with a retryable UNAVAILABLE, and does not sleep through a long Retry-After', async () => {
    const { upstream, repo } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.includes('/manifests/'),
        () => ({ kind: 'answer', status: 502, body: 'bad gateway' }),
      ),
    ]);
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client({ maxRetries: 2 }) }),
      (e) => e instanceof TransientError && e.code === 'UNAVAILABLE' && e.retryable && /502/.test(e.message),
    );
    assert.equal(proxy.requests.length, 3);

    const limited = await startFaultProxy(upstream, [
      on(
        (u) => u.includes('/manifests/'),
        () => ({
          kind: 'answer',
          status: 429,
          headers: { 'retry-after': '3600' },
          body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"quota"}]}',
        }),
      ),
    ]);
    const t0 = Date.now();
    await assert.rejects(
      resolveImage(`${limited.host}/${repo}:v1`, { registryClient: client() }),
      (e) =>
        e instanceof TransientError &&
        e.code === 'TOO_MANY_REQUESTS' &&
        e.retryAfterSeconds === 3600 &&
        e.detail === 'TOOMANYREQUESTS',
    );
    assert.ok(Date.now() - t0 < 2000);
  });

  it('times out a registry that does not answer', async () => {
    const { upstream, repo } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.includes('/manifests/'),
        () => ({ kind: 'hang' }),
      ),
    ]);
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}:v1`, {
        registryClient: client({ maxRetries: 1, requestTimeoutMs: 300 }),
      }),
      (e) => isPraxiError(e) && e.code === 'TIMEOUT' && e.retryable,
    );
  });

  it('maps 403 to a DENIED AuthError carrying the registry code', async () => {
    const { upstream, repo } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.includes('/manifests/'),
        () => ({
          kind: 'answer',
          status: 403,
          body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
        }),
      ),
    ]);
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() }),
      (e) => isPraxiError(e) && e.code === 'DENIED' && e.detail === 'DENIED' && exitCodeFor(e) === 3,
    );
  });

  it('fails a truncated blob with CORRUPT_CONTENT', async () => {
    const { upstream, repo, image: img } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u, m) => m === 'GET' && u.includes(`/blobs/${img.layers[0].digest}`),
        () => ({ kind: 'rewrite', rewrite: (b) => b.subarray(0, b.length >> 1) }),
      ),
    ]);
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    await assert.rejects(readAll(await resolved.layers[0].open()), (e: PraxiError) => {
      assert.equal(e.code, 'CORRUPT_CONTENT');
      assert.match(
        e.message,
        new RegExp(`truncated: got ${img.layers[0].size >> 1} of ${img.layers[0].size} bytes`),
      );
      assert.equal(exitCodeFor(e), 4);
      return true;
    });
  });

  it('fails a blob whose bytes do not hash to its digest with DIGEST_MISMATCH', async () => {
    const { upstream, repo, image: img } = await image();
    const flip = (b: Buffer) => {
      const c = Buffer.from(b);
      c[c.length >> 1] ^= 0xff;
      return c;
    };
    const proxy = await startFaultProxy(upstream, [
      on(
        (u, m) => m === 'GET' && u.includes(`/blobs/${img.layers[0].digest}`),
        () => ({ kind: 'rewrite', rewrite: flip }),
      ),
      on(
        (u, m) => m === 'GET' && u.endsWith(`/manifests/${img.manifestDigest}`),
        () => ({ kind: 'rewrite', rewrite: (b) => Buffer.concat([b, Buffer.from(' ')]) }),
      ),
    ]);
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    await assert.rejects(
      readAll(await resolved.layers[0].open()),
      (e) =>
        isPraxiError(e) &&
        e.code === 'DIGEST_MISMATCH' &&
        e.message.includes(`expected ${img.layers[0].digest}`),
    );
    // A manifest fetched by digest is checked too.
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}@${img.manifestDigest}`, { registryClient: client() }),
      (e) => isPraxiError(e) && e.code === 'DIGEST_MISMATCH',
    );
  });

  it('fails a manifest fetched by tag whose bytes differ from the registry Docker-Content-Digest', async () => {
    const { upstream, repo } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u, m) => m === 'GET' && u.endsWith('/manifests/v1'),
        () => ({ kind: 'rewrite', rewrite: (b) => Buffer.concat([b, Buffer.from('\n')]) }),
      ),
    ]);
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() }),
      (e) => isPraxiError(e) && e.code === 'DIGEST_MISMATCH' && /the registry says sha256:/.test(e.message),
    );
  });

  it('refuses an unknown manifest media type and schema 1 with UnsupportedContentError', async () => {
    const { upstream, repo } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.endsWith('/manifests/weird'),
        () => ({
          kind: 'answer',
          status: 200,
          headers: { 'content-type': 'application/vnd.example.thing.v1+json' },
          body: JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.example.thing.v1+json',
            blobs: [],
          }),
        }),
      ),
      on(
        (u) => u.endsWith('/manifests/old'),
        () => ({
          kind: 'answer',
          status: 200,
          headers: { 'content-type': MediaTypes.dockerSchema1Signed },
          body: JSON.stringify({
            schemaVersion: 1,
            name: repo,
            tag: 'old',
            architecture: 'amd64',
            fsLayers: [],
            history: [],
          }),
        }),
      ),
    ]);
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}:weird`, { registryClient: client() }),
      (e) =>
        isPraxiError(e) &&
        e.code === 'UNSUPPORTED_CONTENT' &&
        e.constructor.name === 'UnsupportedContentError' &&
        /unsupported manifest media type "application\/vnd\.example\.thing\.v1\+json"/.test(e.message) &&
        exitCodeFor(e) === 4,
    );
    await assert.rejects(
      resolveImage(`${proxy.host}/${repo}:old`, { registryClient: client() }),
      (e) => isPraxiError(e) && e.code === 'UNSUPPORTED_CONTENT' && /schema 1/.test(e.message),
    );
  });
});

describe('pagination', () => {
  it('follows Link headers through the real catalog, page by page', async () => {
    const { upstream, image: img } = await image();
    const repos = Array.from({ length: 5 }, (_, i) => `pg-${run}/r${i}`);
    for (const r of repos) await pushImage(upstream, r, 'v1', img);
    const proxy = await startFaultProxy(upstream);
    const all = await client().listRepositories(proxy.host, { pageSize: 2 });
    assert.deepEqual(
      all.filter((r) => r.startsWith(`pg-${run}/`)),
      repos,
    );
    const pages = proxy.requests.filter((r) => r.includes('/_catalog'));
    assert.ok(pages.length >= 3, `expected at least 3 catalog pages, got ${pages.length}`);
    assert.ok(pages.slice(1).every((p) => /[?&]last=/.test(p)));
  });

  it('follows Link headers through tag pages (as Distribution 3 and Harbor page them; 2.8 sends one page)', async () => {
    const { upstream, repo } = await image();
    const tags = Array.from({ length: 7 }, (_, i) => `t${i}`);
    const proxy = await startFaultProxy(upstream, [
      on(
        (u) => u.includes('/tags/list'),
        (req) => {
          const q = new URL(req.url ?? '', 'http://x').searchParams;
          const n = Number(q.get('n') ?? 100);
          const last = q.get('last');
          const from = last ? tags.indexOf(last) + 1 : 0;
          const page = tags.slice(from, from + n);
          const more = from + n < tags.length;
          return {
            kind: 'answer',
            status: 200,
            headers: {
              'content-type': 'application/json',
              ...(more
                ? { link: `</v2/${repo}/tags/list?last=${page[page.length - 1]}&n=${n}>; rel="next"` }
                : {}),
            },
            body: JSON.stringify({ name: repo, tags: page }),
          };
        },
      ),
    ]);
    assert.deepEqual(await client().listTags({ host: proxy.host, repository: repo }, { pageSize: 3 }), tags);
    assert.equal(proxy.requests.length, 3);
  });
});

/**
 * A loopback token service (the Docker token protocol) and a proxy that demands its tokens, in front of
 * the plain registry: exercises the Bearer challenge flow without reaching Docker Hub.
 */
async function startTokenAuth(
  upstream: string,
  opts: { requireUser?: { username: string; password: string }; identityToken?: string },
) {
  const issued: string[] = [];
  const tokens = new Map<string, string>();
  const issue = (
    res: ServerResponse,
    scope: string,
    service: string | null,
    field: 'token' | 'access_token',
  ) => {
    const token = randomBytes(8).toString('hex');
    tokens.set(token, scope);
    issued.push(`${service} ${scope}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ [field]: token, expires_in: 300 }));
  };
  const refuse = (res: ServerResponse) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"details":"incorrect username or password"}');
  };
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      // The OAuth2 refresh-token grant Docker clients use with an identity token.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== opts.identityToken)
          return refuse(res);
        issue(res, form.get('scope') ?? '', form.get('service'), 'access_token');
      });
      return;
    }
    const u = new URL(req.url ?? '', 'http://x');
    if (opts.requireUser) {
      const want = `Basic ${Buffer.from(`${opts.requireUser.username}:${opts.requireUser.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) return refuse(res);
    }
    issue(res, u.searchParams.get('scope') ?? '', u.searchParams.get('service'), 'token');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closeAtEnd(server);
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  const proxy = await startFaultProxy(upstream, [
    (req) => {
      const path = new URL(req.url ?? '', 'http://x').pathname;
      const repo = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(path)?.[1];
      const scope = path === '/v2/_catalog' ? 'registry:catalog:*' : repo ? `repository:${repo}:pull` : '';
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (token && tokens.get(token) === scope) return undefined;
      return {
        kind: 'answer',
        status: 401,
        headers: {
          'www-authenticate': `Bearer realm="${realm}",service="praxi-test",scope="${scope}"`,
          'content-type': 'application/json',
        },
        body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
      };
    },
  ]);
  return { host: proxy.host, issued, requests: proxy.requests };
}

describe('Bearer token auth (loopback token service)', () => {
  it('gets anonymous tokens per scope and reuses them', async () => {
    const { upstream, repo, image: img } = await image();
    const auth = await startTokenAuth(upstream, {});
    const c = client();
    const resolved = await resolveImage(`${auth.host}/${repo}:v1`, { registryClient: c });
    assert.equal(resolved.manifestDigest, img.manifestDigest);
    assert.equal((await readAll(await resolved.layers[0].open())).length, img.layers[0].size);
    assert.deepEqual(
      auth.issued,
      [`praxi-test repository:${repo}:pull`],
      'one token for the repository, reused',
    );
    await c.listRepositories(auth.host);
    assert.deepEqual(auth.issued.slice(1), ['praxi-test registry:catalog:*']);
  });

  it('sends credentials to the token service, and maps a refusal to AuthError', async () => {
    const { upstream, repo, image: img } = await image();
    const user = { username: 'tok', password: 'tok-secret-123' };
    const auth = await startTokenAuth(upstream, { requireUser: user });
    const good = client({
      env: {
        PRAXI_REGISTRY_USERNAME: user.username,
        PRAXI_REGISTRY_PASSWORD: user.password,
        HOME: '/nonexistent',
      },
    });
    assert.equal(
      (await resolveImage(`${auth.host}/${repo}:v1`, { registryClient: good })).manifestDigest,
      img.manifestDigest,
    );
    const bad = client({
      env: {
        PRAXI_REGISTRY_USERNAME: user.username,
        PRAXI_REGISTRY_PASSWORD: 'wrong-pass-456',
        HOME: '/nonexistent',
      },
    });
    await assert.rejects(resolveImage(`${auth.host}/${repo}:v1`, { registryClient: bad }), (e) => {
      assert.ok(isPraxiError(e));
      assert.equal(e.code, 'UNAUTHORIZED');
      assert.equal(exitCodeFor(e), 3);
      assert.match(e.message, /token service .* refused the configured credentials/);
      assert.doesNotMatch(e.message, /wrong-pass-456/);
      return true;
    });
  });

  it('exchanges a Docker config identitytoken at the token service (OAuth2 refresh grant)', async () => {
    const { upstream, repo, image: img } = await image();
    const auth = await startTokenAuth(upstream, { identityToken: 'idtok-789' });
    const dir = tempDir('docker-config');
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ auths: { [auth.host]: { identitytoken: 'idtok-789' } } }));
    const c = new RegistryClient({ keychain: dockerConfigKeychain(file), retryBaseDelayMs: 10 });
    assert.equal(
      (await resolveImage(`${auth.host}/${repo}:v1`, { registryClient: c })).manifestDigest,
      img.manifestDigest,
    );
    assert.deepEqual(auth.issued, [`praxi-test repository:${repo}:pull`]);
    writeFileSync(file, JSON.stringify({ auths: { [auth.host]: { identitytoken: 'stale' } } }));
    const stale = new RegistryClient({ keychain: dockerConfigKeychain(file), retryBaseDelayMs: 10 });
    await assert.rejects(
      resolveImage(`${auth.host}/${repo}:v1`, { registryClient: stale }),
      (e) => isPraxiError(e) && e.code === 'UNAUTHORIZED' && !/stale/.test(e.message),
    );
  });
});

describe('blob redirects', () => {
  it('follows a redirect to another origin (as registries do to object storage) and still verifies', async () => {
    const { upstream, repo, image: img } = await image();
    const proxy = await startFaultProxy(upstream, [
      on(
        (u, m) => m === 'GET' && u.includes('/blobs/'),
        (req) => ({ kind: 'answer', status: 307, headers: { location: `http://${upstream}${req.url}` } }),
      ),
    ]);
    const resolved = await resolveImage(`${proxy.host}/${repo}:v1`, { registryClient: client() });
    assert.equal((await readAll(await resolved.layers[0].open())).length, img.layers[0].size);
    assert.ok(proxy.requests.some((r) => r.includes(`/blobs/${img.layers[0].digest}`)));
  });
});
