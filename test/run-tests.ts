/**
 * `npm test`: starts the real services once (Temporal dev server, two registries, S3, Docker),
 * runs every compiled test file with Node's test runner against them, then stops what it started.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ensureDocker } from './harness/docker';
import { startRegistry } from './harness/registry';
import { startS3 } from './harness/s3';
import { type StackInfo, TEST_REGISTRY_USER } from './harness/stack';
import { startTemporal } from './harness/temporal';

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = findTests(__dirname).filter(
    (f) => filters.length === 0 || filters.some((x) => f.includes(x)),
  );
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 1;
  }
  const t0 = Date.now();
  console.log('starting the test stack: Temporal dev server, registries, S3 (MinIO), Docker engine');
  const [temporal, registry, authRegistry, s3, docker] = await Promise.all([
    startTemporal(),
    startRegistry(),
    startRegistry({ auth: TEST_REGISTRY_USER }),
    startS3(),
    ensureDocker(),
  ]);
  const stack: StackInfo = {
    temporal: { address: temporal.address, namespace: temporal.namespace ?? 'default' },
    registry: { host: registry.host },
    authRegistry: { host: authRegistry.host, auth: authRegistry.auth },
    s3: {
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      server: s3.server,
    },
    docker: { socketPath: docker.socketPath },
  };
  console.log(
    `stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: temporal ${stack.temporal?.address}, registry ${registry.host}, auth registry ${authRegistry.host}, s3 (${s3.server}) ${s3.endpoint}`,
  );

  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], {
        stdio: 'inherit',
        env: { ...process.env, PRAXI_TEST_STACK: JSON.stringify(stack) },
      });
      child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
    });
  } finally {
    await Promise.allSettled([
      temporal.teardown(),
      registry.stop(),
      authRegistry.stop(),
      s3.stop(),
      docker.stop(),
    ]);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
