import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** What the proxy does with one request: pass it on, answer it itself, or pass it on and rewrite the answer. */
export type FaultAction =
  | { kind: 'pass' }
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: Buffer | string }
  | { kind: 'rewrite'; rewrite: (body: Buffer) => Buffer; headers?: Record<string, string> }
  /** Drop the connection without answering (a reset). */
  | { kind: 'reset' }
  /** Never answer (a server that hangs). */
  | { kind: 'hang' }
  /** Pass the answer on but cut the connection after `after` body bytes (headers promise them all). */
  | { kind: 'cut'; after: number; dropHeaders?: string[] };

const servers: Server[] = [];

// Registered at load, on the file's root: an `after` made inside a running test would not close these.
after(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        }),
    ),
  );
});

/** Closes a loopback server when the test file ends, cutting open connections (clients keep them alive). */
export function closeAtEnd(server: Server): void {
  servers.push(server);
}

export type FaultRule = (req: IncomingMessage, n: number) => FaultAction | undefined;

/**
 * A tiny loopback HTTP proxy in front of a real registry that injects faults the real registry never
 * makes (503s, 429s, resets, truncated or altered bytes, odd manifests) so the client's handling of them
 * is tested over a real socket. Rules see every request with a per-proxy counter; the first rule that
 * returns an action wins; otherwise the request passes through unchanged.
 */
export async function startFaultProxy(
  upstream: string,
  rules: FaultRule[] = [],
): Promise<{ host: string; rules: FaultRule[]; requests: string[] }> {
  const requests: string[] = [];
  let n = 0;
  const state = { rules };
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const i = n++;
    let action: FaultAction = { kind: 'pass' };
    for (const rule of state.rules) {
      const a = rule(req, i);
      if (a) {
        action = a;
        break;
      }
    }
    handle(upstream, req, res, action);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closeAtEnd(server);
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    get rules() {
      return state.rules;
    },
    set rules(r: FaultRule[]) {
      state.rules = r;
    },
    requests,
  };
}

function handle(upstream: string, req: IncomingMessage, res: ServerResponse, action: FaultAction): void {
  if (action.kind === 'hang') return;
  if (action.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  if (action.kind === 'answer') {
    req.resume();
    const body = action.body === undefined ? Buffer.alloc(0) : Buffer.from(action.body);
    res.writeHead(action.status, { 'content-length': String(body.length), ...action.headers });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const [host, port] = upstream.split(':');
  const up = httpRequest(
    {
      host,
      port: Number(port),
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream },
    },
    (upRes) => {
      const headers = { ...upRes.headers };
      // Redirects and upload locations must come back through the proxy.
      if (typeof headers.location === 'string')
        headers.location = headers.location.replace(`//${upstream}`, `//${req.headers.host}`);
      if (action.kind === 'pass') {
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
        return;
      }
      if (action.kind === 'cut') {
        for (const h of action.dropHeaders ?? []) delete headers[h];
        res.writeHead(upRes.statusCode ?? 502, headers);
        let sent = 0;
        upRes.on('data', (c: Buffer) => {
          if (sent >= action.after) return;
          const part = c.subarray(0, action.after - sent);
          sent += part.length;
          res.write(part, () => {
            if (sent >= action.after) res.socket?.destroy();
          });
        });
        return;
      }
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = action.rewrite(Buffer.concat(chunks));
        res.writeHead(upRes.statusCode ?? 502, {
          ...headers,
          ...action.headers,
          'content-length': String(body.length),
        });
        res.end(body);
      });
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
}
