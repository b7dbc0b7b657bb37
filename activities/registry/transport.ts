import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AuthError, NotFoundError, PraxiError, TransientError } from '../errors';
import { basicAuthorization, type Challenge, type Credential, type Keychain, parseChallenge } from './auth';
import { registryScheme } from './reference';

/**
 * The wire to one or more registries: scheme choice, the WWW-Authenticate dance (Basic, and Bearer
 * tokens from the challenge's realm), timeouts, retries with exponential backoff and full jitter on
 * 429/5xx/resets/timeouts, and registry error bodies mapped to typed errors carrying their code.
 * Every client call gets all of this by going through `request`.
 */

export interface TransportOptions {
  keychain: Keychain;
  /** Hosts reached over plain HTTP besides loopback ones. */
  insecure?: readonly string[];
  /** Time allowed until response headers arrive, and between two body chunks. */
  requestTimeoutMs?: number;
  maxRetries?: number;
  /** First backoff step; doubles each retry, with full jitter. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** A Retry-After longer than this is not slept through: the error goes up for the caller (Temporal) to schedule. */
  maxRetryAfterMs?: number;
  userAgent?: string;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** A Readable body is sent once (it cannot be replayed): such requests are not retried. */
  body?: Buffer | string | Readable;
  /** Token scope, e.g. `repository:team/app:pull` or `registry:catalog:*`. */
  scope: string;
  /** What this request is for, for error messages: "manifest team/app:1". */
  what: string;
  /** Statuses the caller handles itself (not turned into errors). 2xx always pass. */
  accept?: number[];
}

interface CachedToken {
  authorization: string;
  expiresAt: number;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export class RegistryTransport {
  private readonly opts: Required<Omit<TransportOptions, 'insecure'>> & { insecure: readonly string[] };
  /** What each host asked for last time, so later requests authenticate up front. */
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();

  constructor(opts: TransportOptions) {
    this.opts = {
      insecure: [],
      requestTimeoutMs: 30_000,
      maxRetries: 5,
      retryBaseDelayMs: 250,
      retryMaxDelayMs: 10_000,
      maxRetryAfterMs: 60_000,
      userAgent: 'praxi',
      // An option passed as undefined means "default", not "unset".
      ...(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as TransportOptions),
    };
  }

  baseUrl(host: string): string {
    return `${registryScheme(host, this.opts.insecure)}://${host}`;
  }

  /**
   * Sends one request (path relative to the host, or an absolute URL from a Link/Location header),
   * authenticating and retrying as needed. Returns the response with its body unread when the status is
   * 2xx or in `accept`; otherwise throws the mapped typed error.
   */
  async request(host: string, pathOrUrl: string, ro: RequestOptions): Promise<Response> {
    const url = new URL(pathOrUrl, this.baseUrl(host)).toString();
    const replayable = !(ro.body instanceof Readable);
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...ro.headers };
      const authorization = await this.authorizationFor(host, ro.scope, ro.what);
      if (authorization) headers.authorization = authorization;
      let res: Response;
      try {
        res = await this.fetchWithTimeout(url, {
          method: ro.method ?? 'GET',
          headers,
          body:
            ro.body instanceof Readable
              ? (Readable.toWeb(ro.body) as unknown as NonNullable<RequestInit['body']>)
              : ro.body,
          ...(ro.body instanceof Readable ? { duplex: 'half' } : {}),
          redirect: 'follow',
        });
      } catch (e) {
        const err = networkError(e, ro.what, host);
        if (!replayable || attempt >= this.opts.maxRetries) throw err;
        await sleep(this.backoff(attempt));
        continue;
      }

      if (res.status === 401 && !authRetried && replayable) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'));
        await drain(res);
        if (challenge && (challenge.scheme === 'basic' || challenge.scheme === 'bearer')) {
          this.challenges.set(host, challenge);
          this.tokens.delete(tokenKey(host, ro.scope));
          authRetried = true;
          attempt--; // an auth round trip is not a retry
          continue;
        }
        throw await this.authFailure(res, host, ro.what, challenge);
      }
      if (res.ok || ro.accept?.includes(res.status)) return res;
      if (RETRYABLE_STATUS.has(res.status)) {
        const err = await errorFor(res, ro.what);
        const retryAfterMs = ((err as TransientError).retryAfterSeconds ?? 0) * 1000;
        if (!replayable || attempt >= this.opts.maxRetries || retryAfterMs > this.opts.maxRetryAfterMs)
          throw err;
        await sleep(Math.max(retryAfterMs, this.backoff(attempt)));
        continue;
      }
      if (res.status === 401) throw await this.authFailure(res, host, ro.what, this.challenges.get(host));
      throw await errorFor(res, ro.what);
    }
  }

  get maxRetries(): number {
    return this.opts.maxRetries;
  }

  /** Full-jitter exponential backoff for the given retry attempt (0-based). */
  backoff(attempt: number): number {
    const cap = Math.min(this.opts.retryMaxDelayMs, this.opts.retryBaseDelayMs * 2 ** attempt);
    return Math.random() * cap;
  }

  private async fetchWithTimeout(url: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.opts.requestTimeoutMs);
    try {
      const res = await fetch(url, { ...init, signal: controller.signal });
      (res as ResponseWithAbort)[ABORT] = controller;
      return res;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The response body as a Node stream that fails with a typed TIMEOUT when no bytes come for requestTimeoutMs. */
  bodyStream(res: Response, what: string): Readable {
    if (!res.body) return Readable.from([]);
    const controller = (res as ResponseWithAbort)[ABORT];
    const stream = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const err = new TransientError(`${what}: no data for ${this.opts.requestTimeoutMs} ms`, 'TIMEOUT');
        controller?.abort(err);
        stream.destroy(err);
      }, this.opts.requestTimeoutMs);
    };
    arm();
    stream.on('data', arm);
    // Idle time counts only while the consumer wants bytes: a slow reader holding back a layer is not a dead server.
    stream.on('pause', () => clearTimeout(timer));
    stream.on('resume', arm);
    stream.on('close', () => clearTimeout(timer));
    // undici reports a connection cut mid-body as a plain TypeError("terminated"): give it a type.
    const out = new PassThrough();
    stream.pipe(out);
    stream.on('error', (e) => out.destroy(e instanceof PraxiError ? e : networkError(e, what)));
    out.on('close', () => {
      clearTimeout(timer);
      if (!stream.destroyed) stream.destroy();
    });
    return out;
  }

  async bodyBuffer(res: Response, what: string, maxBytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of this.bodyStream(res, what)) {
      n += (c as Buffer).length;
      if (n > maxBytes) {
        throw new PraxiError('CORRUPT_CONTENT', `${what}: larger than the ${maxBytes} bytes allowed for it`);
      }
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async authorizationFor(host: string, scope: string, what: string): Promise<string | undefined> {
    const challenge = this.challenges.get(host);
    if (!challenge) return undefined;
    const lookup = this.opts.keychain(host);
    if (challenge.scheme === 'basic') {
      if (!lookup.credential || lookup.credential.username === undefined) {
        throw new AuthError(
          `${what}: ${host} requires a username and password and none is configured${lookup.note ? `; ${lookup.note}` : ' (set PRAXI_REGISTRY_USERNAME and PRAXI_REGISTRY_PASSWORD, or log in with docker login)'}`,
          'UNAUTHORIZED',
        );
      }
      return basicAuthorization(lookup.credential);
    }
    const key = tokenKey(host, scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.authorization;
    const token = await this.fetchToken(host, challenge, scope, lookup.credential, what, lookup.note);
    this.tokens.set(key, token);
    return token.authorization;
  }

  /** The Docker token protocol: GET realm?service&scope (Basic credentials if any), or the OAuth2 refresh-token POST for identity tokens. */
  private async fetchToken(
    host: string,
    challenge: Challenge,
    scope: string,
    cred: Credential | undefined,
    what: string,
    note: string | undefined,
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new AuthError(`${what}: ${host} asked for a Bearer token but named no realm`);
    const service = challenge.params.service;
    const scopes = [scope];
    let res: Response;
    try {
      if (cred?.identityToken) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: cred.identityToken,
          client_id: 'praxi',
          ...(service ? { service } : {}),
          scope: scopes.join(' '),
        });
        res = await this.fetchWithTimeout(realm, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': this.opts.userAgent },
          body: form.toString(),
        });
      } else {
        const u = new URL(realm);
        if (service) u.searchParams.set('service', service);
        for (const s of scopes) u.searchParams.append('scope', s);
        const headers: Record<string, string> = { 'user-agent': this.opts.userAgent };
        if (cred?.username !== undefined) headers.authorization = basicAuthorization(cred);
        res = await this.fetchWithTimeout(u.toString(), { headers });
      }
    } catch (e) {
      throw networkError(e, `${what}: token request to ${new URL(realm).host}`);
    }
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw new AuthError(
        `${what}: the token service of ${host} refused ${cred ? 'the configured credentials' : 'anonymous access'}${note ? `; ${note}` : ''}`,
        res.status === 401 ? 'UNAUTHORIZED' : 'DENIED',
        res.status === 401 ? 'UNAUTHORIZED' : 'DENIED',
      );
    }
    if (!res.ok) throw await errorFor(res, `${what}: token request`);
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new AuthError(`${what}: the token service of ${host} answered with something that is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new AuthError(`${what}: the token service of ${host} answered without a token`);
    // Renew a little early so a token does not expire between check and use.
    const lifetime = Math.max(10, Number(body.expires_in) || 60);
    return { authorization: `Bearer ${token}`, expiresAt: Date.now() + (lifetime - 5) * 1000 };
  }

  private async authFailure(
    res: Response,
    host: string,
    what: string,
    challenge: Challenge | undefined,
  ): Promise<PraxiError> {
    const { code } = await readRegistryError(res);
    const lookup = this.opts.keychain(host);
    const creds = lookup.credential
      ? `the credentials from ${lookup.source ?? 'the keychain'} were refused`
      : `no credentials are configured for ${host}${lookup.note ? ` (${lookup.note})` : ''}`;
    return new AuthError(
      `${what}: ${host} answered 401 Unauthorized${challenge ? ` (${challenge.scheme} auth)` : ''}: ${creds}`,
      code ?? 'UNAUTHORIZED',
      'UNAUTHORIZED',
    );
  }
}

const ABORT = Symbol('abort');
type ResponseWithAbort = Response & { [ABORT]?: AbortController };

function tokenKey(host: string, scope: string): string {
  return `${host} ${scope}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function drain(res: Response): Promise<void> {
  try {
    await res.arrayBuffer();
  } catch {
    // The body of an answer we are discarding does not matter.
  }
}

/** The distribution spec's error body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}`. */
async function readRegistryError(res: Response): Promise<{ code?: string; message?: string }> {
  let text = '';
  try {
    text = (await res.text()).slice(0, 64 * 1024);
  } catch {
    return {};
  }
  try {
    const doc = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = doc.errors?.[0];
    if (first) return { code: first.code, message: first.message };
  } catch {
    // Not JSON: a proxy or load balancer answered.
  }
  return {};
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Maps a non-2xx registry answer to the typed error a caller decides on. */
export async function errorFor(res: Response, what: string): Promise<PraxiError> {
  const { code, message } = await readRegistryError(res);
  const said = `${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  switch (true) {
    case res.status === 404:
      return new NotFoundError(`${what} not found (registry answered ${said})`, code ?? 'NOT_FOUND');
    case res.status === 401:
      return new AuthError(`${what}: unauthorized (registry answered ${said})`, code, 'UNAUTHORIZED');
    case res.status === 403:
      return new AuthError(`${what}: access denied (registry answered ${said})`, code, 'DENIED');
    case res.status === 429:
      return new TransientError(`${what}: rate limited (registry answered ${said})`, 'TOO_MANY_REQUESTS', {
        retryAfterSeconds: parseRetryAfter(res.headers.get('retry-after')),
        detail: code ?? 'TOOMANYREQUESTS',
      });
    case res.status === 408:
      return new TransientError(`${what}: registry timed out (${said})`, 'TIMEOUT', { detail: code });
    case res.status >= 500:
      return new TransientError(`${what}: registry unavailable (answered ${said})`, 'UNAVAILABLE', {
        retryAfterSeconds: parseRetryAfter(res.headers.get('retry-after')),
        detail: code,
      });
    default:
      return new PraxiError('BAD_INPUT', `${what}: registry refused the request (answered ${said})`, {
        detail: code,
      });
  }
}

/** Connection refused/reset, DNS failure or timeout, as a retryable typed error (no URL credentials: we never put any in URLs). */
export function networkError(e: unknown, what: string, host?: string): PraxiError {
  if (e instanceof PraxiError) return e;
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    return new TransientError(`${what}: timed out`, 'TIMEOUT', { cause: e });
  }
  const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
  return new TransientError(
    `${what}: network error${host ? ` talking to ${host}` : ''} (${cause})`,
    'NETWORK',
    {
      cause: e,
      detail: err?.cause?.code,
    },
  );
}
