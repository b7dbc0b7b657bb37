import { existsSync } from 'node:fs';
import Docker from 'dockerode';
import { type Service, startService, tempDir } from './process';

export const DOCKER_SOCKET = '/var/run/docker.sock';

async function ping(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * The real Docker engine. Uses the running one if its socket answers; otherwise starts
 * `dockerd --iptables=false --bridge=none` (this machine kind has no bridge networking) and returns
 * a stop function that ends only what it started.
 */
export async function ensureDocker(): Promise<{ socketPath: string; stop(): Promise<void> }> {
  const docker = new Docker({ socketPath: DOCKER_SOCKET });
  if (existsSync(DOCKER_SOCKET) && (await ping(docker))) {
    return { socketPath: DOCKER_SOCKET, stop: async () => {} };
  }
  const svc: Service = await startService('dockerd', 'dockerd', ['--iptables=false', '--bridge=none'], {
    logDir: tempDir('dockerd'),
    timeoutMs: 90_000,
    ready: () => ping(docker),
  });
  return { socketPath: DOCKER_SOCKET, stop: svc.stop };
}
