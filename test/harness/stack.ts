import { after } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureDocker } from './docker';
import { type RegistryInfo, startRegistry } from './registry';
import { type S3Info, startS3 } from './s3';
import { connectTemporal, startTemporal } from './temporal';

/**
 * The real services tests talk to. `npm test` (test/run-tests.ts) starts them once per run and hands
 * their addresses to every test file in PRAXI_TEST_STACK; a test file run on its own starts the ones it
 * asks for itself. Either way a test that needs a service fails when the service did not start.
 */
export interface StackInfo {
  temporal?: { address: string; namespace: string };
  registry?: RegistryInfo;
  authRegistry?: RegistryInfo;
  s3?: S3Info;
  docker?: { socketPath: string };
}

export const TEST_REGISTRY_USER = { username: 'praxi', password: 'praxi-test-password' };

const shared: StackInfo | undefined = process.env.PRAXI_TEST_STACK
  ? JSON.parse(process.env.PRAXI_TEST_STACK)
  : undefined;
const stops: Array<() => Promise<void>> = [];
const memo = new Map<string, Promise<unknown>>();

after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
});

function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as Promise<T>;
}

export function useTemporal(): Promise<TestWorkflowEnvironment> {
  return once('temporal', async () => {
    const env = shared?.temporal
      ? await connectTemporal(shared.temporal.address, shared.temporal.namespace)
      : await startTemporal();
    stops.push(() => env.teardown());
    return env;
  });
}

export function useRegistry(): Promise<RegistryInfo> {
  return once('registry', async () => {
    if (shared?.registry) return shared.registry;
    const r = await startRegistry();
    stops.push(r.stop);
    return { host: r.host };
  });
}

export function useAuthRegistry(): Promise<RegistryInfo> {
  return once('authRegistry', async () => {
    if (shared?.authRegistry) return shared.authRegistry;
    const r = await startRegistry({ auth: TEST_REGISTRY_USER });
    stops.push(r.stop);
    return { host: r.host, auth: r.auth };
  });
}

export function useS3(): Promise<S3Info> {
  return once('s3', async () => {
    if (shared?.s3) return shared.s3;
    const s = await startS3();
    stops.push(s.stop);
    const { stop: _stop, ...info } = s;
    return info;
  });
}

export function useDocker(): Promise<{ socketPath: string }> {
  return once('docker', async () => {
    if (shared?.docker) return shared.docker;
    const d = await ensureDocker();
    stops.push(d.stop);
    return { socketPath: d.socketPath };
  });
}
