import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort, httpStatus, startService, tempDir } from './process';

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
  const port = opts.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  let authBlock = '';
  if (opts.auth) {
    const htpasswd = execFileSync('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(dir, 'htpasswd'), htpasswd);
    authBlock = `auth:\n  htpasswd:\n    realm: praxi-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${host}
  secret: praxi-test-${port}
${authBlock}`,
  );
  const svc = await startService(`registry-${port}`, 'docker-registry', ['serve', config], {
    logDir: dir,
    ready: async () => {
      const s = await httpStatus(`http://${host}/v2/`);
      return s === 200 || s === 401;
    },
  });
  return { host, auth: opts.auth, stop: svc.stop };
}
