import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, BadInputError, PraxiError, TransientError } from '../errors';
import type { Alarm } from './alarm';
import type { AlarmSink } from './sinks';

/**
 * JSON POST of each alarm to a webhook, signed like GitHub's webhooks: `X-Praxi-Signature:
 * sha256=<hex HMAC-SHA256 of the exact body>` with a shared secret. Network faults, 408, 425, 429 and
 * 5xx are retried with exponential backoff (honouring Retry-After); other answers are final. The loop
 * stops at the first 2xx, so sink retries never deliver one alarm twice. The receiver should still
 * dedupe on `X-Praxi-Alarm-Key` (delivery is at-least-once across crashes: see ./dedupe).
 */
export interface WebhookOptions {
  url: string;
  /** HMAC secret; without one, requests go unsigned. Held privately: never logged or serialised. */
  secret?: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = 'x-praxi-signature';
export const ALARM_KEY_HEADER = 'x-praxi-alarm-key';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The secret from PRAXI_WEBHOOK_SECRET, else the file config names, else none. */
export function webhookSecretFrom(
  cfg: { webhookSecretFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env.PRAXI_WEBHOOK_SECRET) return env.PRAXI_WEBHOOK_SECRET;
  if (!cfg.webhookSecretFile) return undefined;
  try {
    const s = readFileSync(cfg.webhookSecretFile, 'utf8').trim();
    if (!s) throw new Error('the file is empty');
    return s;
  } catch (e) {
    // The message names the file, never its content.
    throw new BadInputError(
      `cannot read the webhook secret file ${cfg.webhookSecretFile}: ${(e as Error).message}`,
      'BAD_CONFIG',
    );
  }
}

function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

export class WebhookSink implements AlarmSink {
  readonly name = 'webhook';
  readonly url: string;
  /** The URL without user:password or query, for messages. */
  private readonly shownUrl: string;
  readonly #secret: string | undefined;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(opts: WebhookOptions) {
    this.url = opts.url;
    this.shownUrl = shownUrl(opts.url);
    this.#secret = opts.secret;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 30_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, url: this.shownUrl, signed: this.#secret !== undefined };
  }

  async deliver(alarm: Alarm): Promise<void> {
    const body = JSON.stringify({ type: 'praxi.alarm/v1', alarm });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'praxi',
      [ALARM_KEY_HEADER]: alarm.key,
    };
    if (this.#secret !== undefined) headers[SIGNATURE_HEADER] = signBody(this.#secret, body);
    let lastError: PraxiError | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined); // drain, so the connection can be reused
        if (res.ok) return;
        const what = `webhook ${this.shownUrl} answered ${res.status} for alarm ${alarm.key}`;
        if (res.status === 401 || res.status === 403)
          throw new AuthError(what, undefined, res.status === 401 ? 'UNAUTHORIZED' : 'DENIED');
        if (!(res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500))
          throw new BadInputError(what);
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000;
        lastError = new TransientError(what, res.status === 429 ? 'TOO_MANY_REQUESTS' : 'UNAVAILABLE');
      } catch (e) {
        if (e instanceof PraxiError && !e.retryable) throw e;
        lastError =
          e instanceof PraxiError
            ? e
            : new TransientError(
                `webhook ${this.shownUrl} unreachable: ${(e as Error).message}`,
                (e as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK',
                {
                  cause: e,
                },
              );
      }
      if (attempt < this.maxAttempts) {
        const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.min(this.maxDelayMs, retryAfterMs ?? backoff * (0.5 + Math.random() / 2)));
      }
    }
    throw lastError ?? new TransientError(`webhook ${this.shownUrl}: no attempt made`);
  }
}
