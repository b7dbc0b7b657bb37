import { NotFoundError, TransientError } from '../../errors';

/**
 * HTTP for the static path: JSON documents and byte ranges from package indexes, with a timeout and
 * a few retries on faults that may pass. A 404 is a NotFoundError (the version or file is gone).
 */
export interface FetchOptions {
  timeoutMs?: number;
  retries?: number;
  headers?: Record<string, string>;
}

export async function fetchOk(url: string, opts: FetchOptions = {}): Promise<Response> {
  const retries = opts.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: opts.headers,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
      });
    } catch (e) {
      if (attempt >= retries)
        throw new TransientError(`GET ${url}: ${(e as Error).message}`, 'NETWORK', { cause: e });
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      continue;
    }
    if (res.ok) return res;
    await res.body?.cancel();
    if (res.status === 404 || res.status === 410)
      throw new NotFoundError(`GET ${url}: ${res.status}`, String(res.status));
    if (attempt >= retries) {
      throw new TransientError(
        `GET ${url}: HTTP ${res.status}`,
        res.status === 429 ? 'TOO_MANY_REQUESTS' : 'UNAVAILABLE',
      );
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
}

export async function fetchJson<T>(url: string, opts: FetchOptions = {}): Promise<T> {
  return (await (
    await fetchOk(url, { ...opts, headers: { accept: 'application/json', ...opts.headers } })
  ).json()) as T;
}

/** Bytes [start, end) of a remote file. Throws when the server ignores Range (we never read a whole wheel by accident). */
export async function fetchRange(
  url: string,
  start: number,
  end: number,
  opts: FetchOptions = {},
): Promise<Buffer> {
  const res = await fetchOk(url, {
    ...opts,
    headers: { range: `bytes=${start}-${end - 1}`, ...opts.headers },
  });
  if (res.status !== 206) {
    await res.body?.cancel();
    throw new TransientError(
      `GET ${url}: the server ignored the Range header (HTTP ${res.status})`,
      'UNAVAILABLE',
    );
  }
  return Buffer.from(await res.arrayBuffer());
}
