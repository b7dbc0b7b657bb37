import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A CNCF Distribution registry (Debian's `docker-registry`) on loopback with its storage under the data
 * folder: where the demo pushes the images it builds. Plain HTTP, as loopback registries are.
 */
export async function startLocalRegistry(opts: {
  dataDir: string;
  port: number;
  /** An htpasswd file (bcrypt entries): the registry then requires basic auth. */
  htpasswd?: string;
}): Promise<{ host: string; stop(): Promise<void> }> {
  mkdirSync(opts.dataDir, { recursive: true });
  const host = `127.0.0.1:${opts.port}`;
  const config = path.join(opts.dataDir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(opts.dataDir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: praxi-local-${opts.port}\n` +
      (opts.htpasswd ? `auth:\n  htpasswd:\n    realm: praxi\n    path: ${opts.htpasswd}\n` : ''),
  );
  const log = openSync(path.join(opts.dataDir, 'registry.log'), 'a');
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
  let exit: string | undefined;
  child.on('exit', (code, sig) => (exit = `exited with ${sig ?? code}`));
  child.on(
    'error',
    (e) =>
      (exit = `could not start (${e.message}); install Debian's docker-registry (bash scripts/setup.sh)`),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exit) throw new Error(`registry on ${host} ${exit}; see ${path.join(opts.dataDir, 'registry.log')}`);
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok || res.status === 401) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`registry on ${host} did not answer within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}
