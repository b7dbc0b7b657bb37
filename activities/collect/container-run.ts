import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { TransientError, UnsupportedContentError } from '../errors';
import { readUpperDir, type UpperDirChanges } from './upper-dir';

/** The host's CA bundle: TLS is intercepted on many networks (this one too), so installers must trust it. */
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Where the bundle is bind-mounted: read-only, never copied, and pruned from the changes. */
export const CA_MOUNT = '/run/praxi-ca.crt';

export interface RunOptions {
  image: string;
  /** Run by /bin/sh -c. */
  command: string;
  timeoutMs: number;
  env?: Record<string, string>;
  /** Mount the host CA bundle and point pip, npm, node and curl at it. Default true. */
  trustHostCa?: boolean;
  /** Keep the log tail this long (characters). */
  logTail?: number;
  /** On success, commit the container as this image (`repo:tag`) before removing it. */
  commitAs?: string;
  /** Read these changed files (small text files: package records) before the container goes. */
  capture?: (path: string) => boolean;
  /** Extra container labels (besides `praxi.collect`), e.g. to find the container again. */
  labels?: Record<string, string>;
}

export interface RunResult {
  exitCode: number;
  timedOut: boolean;
  /** Last `logTail` characters of stdout and stderr together. */
  log: string;
  changes: UpperDirChanges;
  /** Contents of the changed files `capture` chose. */
  captured: Map<string, string>;
  durationMs: number;
}

function caEnv(): Record<string, string> {
  return {
    PIP_CERT: CA_MOUNT,
    npm_config_cafile: CA_MOUNT,
    NODE_EXTRA_CA_CERTS: CA_MOUNT,
    SSL_CERT_FILE: CA_MOUNT,
    REQUESTS_CA_BUNDLE: CA_MOUNT,
    CURL_CA_BUNDLE: CA_MOUNT,
  };
}

/**
 * Runs one command in a fresh container on host networking and returns what it changed. The
 * container is always removed, also on timeout and errors. With the overlay2 driver the changes are
 * read from the container's upper directory (exact types and sizes); other drivers are refused.
 */
export async function runInContainer(docker: Docker, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const trustCa = opts.trustHostCa ?? true;
  const env = { DEBIAN_FRONTEND: 'noninteractive', ...(trustCa ? caEnv() : {}), ...opts.env };
  const binds = trustCa && existsSync(HOST_CA_BUNDLE) ? [`${HOST_CA_BUNDLE}:${CA_MOUNT}:ro`] : [];
  const container = await docker.createContainer({
    Image: opts.image,
    Cmd: ['/bin/sh', '-c', opts.command],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Tty: false,
    HostConfig: { NetworkMode: 'host', Binds: binds },
    Labels: { ...opts.labels, 'praxi.collect': '1' },
  });
  try {
    const info = await container.inspect();
    // @types/dockerode types GraphDriver.Data for devicemapper only; overlay2 gives the layer directories.
    const driver = info.GraphDriver as unknown as { Name?: string; Data?: { UpperDir?: string } } | undefined;
    if (driver?.Name !== 'overlay2' || !driver.Data?.UpperDir) {
      throw new UnsupportedContentError(
        `the collector reads changes from overlay2 upper directories; this engine uses ${driver?.Name}`,
      );
    }
    const upper = driver.Data.UpperDir;
    const tailLen = opts.logTail ?? 4000;
    let log = '';
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => {
      log = (log + c.toString('utf8')).slice(-tailLen);
    });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    container.modem.demuxStream(stream, sink, sink);
    await container.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      container.kill().catch(() => {});
    }, opts.timeoutMs);
    let exitCode: number;
    try {
      exitCode = ((await container.wait()) as { StatusCode: number }).StatusCode;
    } finally {
      clearTimeout(timer);
    }
    // Let the last log bytes arrive before the stream is dropped.
    await new Promise((r) => setTimeout(r, 50));
    const changes = await readUpperDir(upper, new Set(binds.length ? [CA_MOUNT.slice(1)] : []));
    const captured = new Map<string, string>();
    if (opts.capture) {
      for (const e of changes.entries) {
        if (e.type === 'file' && e.size < 8 << 20 && opts.capture(e.path)) {
          captured.set(e.path, await readFile(path.join(upper, e.path), 'utf8'));
        }
      }
    }
    if (opts.commitAs && exitCode === 0 && !timedOut) {
      const [repo, tag] = opts.commitAs.split(':');
      await container.commit({ repo, tag: tag ?? 'latest' });
    }
    return { exitCode, timedOut, log, changes, captured, durationMs: Date.now() - started };
  } catch (e) {
    if (e instanceof UnsupportedContentError) throw e;
    throw new TransientError(`container run failed: ${(e as Error).message}`, 'UNAVAILABLE', { cause: e });
  } finally {
    await container.remove({ force: true, v: true }).catch(() => {});
  }
}
