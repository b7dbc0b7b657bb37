import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startLocalRegistry } from '../../workers/local-registry';
import { freePort, tempDir } from './process';

export interface RegistryInfo {
  /** HOST:PORT on loopback; plain HTTP. */
  host: string;
  auth?: { username: string; password: string };
}

export interface RunningRegistry extends RegistryInfo {
  stop(): Promise<void>;
}

/**
 * A real CNCF Distribution registry (Debian's `docker-registry`) on a free loopback port with its
 * storage in a temp folder. With `auth`, it requires htpasswd basic auth.
 */
export async function startRegistry(
  opts: { auth?: { username: string; password: string }; port?: number; dir?: string } = {},
): Promise<RunningRegistry> {
  const dir = opts.dir ?? tempDir('registry');
  let htpasswd: string | undefined;
  if (opts.auth) {
    htpasswd = path.join(dir, 'htpasswd');
    writeFileSync(
      htpasswd,
      execFileSync('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password], { encoding: 'utf8' }),
    );
  }
  const r = await startLocalRegistry({ dataDir: dir, port: opts.port ?? (await freePort()), htpasswd });
  return { host: r.host, auth: opts.auth, stop: r.stop };
}
