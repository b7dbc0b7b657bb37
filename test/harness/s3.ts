import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../activities/repo-root';
import { freePort, httpStatus, startService, tempDir } from './process';

export interface S3Info {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  server: 'minio' | 's3rver';
}

export interface RunningS3 extends S3Info {
  stop(): Promise<void>;
}

/**
 * An S3-compatible server on loopback. MinIO (built by scripts/install-minio.sh) by default: it honours
 * conditional writes and lists correctly at any depth. PRAXI_TEST_S3=s3rver picks the lighter s3rver.
 */
export async function startS3(): Promise<RunningS3> {
  return process.env.PRAXI_TEST_S3 === 's3rver' ? startS3rver() : startMinio();
}

const BUCKET = 'praxi-test';
// Throwaway credentials of a server that lives for one test run on loopback; not a secret.
const TEST_USER = 'praxi-test';
const TEST_KEY = 'praxi-test-secret-key';

async function startMinio(): Promise<RunningS3> {
  const bin = path.join(repoRoot(), 'tools', 'minio');
  if (!existsSync(bin))
    throw new Error(`MinIO not found at ${bin}: run \`bash scripts/install-minio.sh\` (or npm run setup)`);
  const dir = tempDir('minio');
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const svc = await startService(
    `minio-${port}`,
    bin,
    [
      'server',
      path.join(dir, 'data'),
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    {
      env: {
        ...process.env,
        MINIO_ROOT_USER: TEST_USER,
        MINIO_ROOT_PASSWORD: TEST_KEY,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
      },
      logDir: dir,
      ready: async () => (await httpStatus(`${endpoint}/minio/health/live`)) === 200,
    },
  );
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_USER, secretAccessKey: TEST_KEY },
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  return {
    endpoint,
    bucket: BUCKET,
    region: 'us-east-1',
    accessKeyId: TEST_USER,
    secretAccessKey: TEST_KEY,
    server: 'minio',
    stop: svc.stop,
  };
}

async function startS3rver(): Promise<RunningS3> {
  const dir = tempDir('s3');
  const port = await freePort();
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ port: ${port}, address: '127.0.0.1', directory: ${JSON.stringify(dir)}, silent: true,
      configureBuckets: [{ name: ${JSON.stringify(BUCKET)} }] }).run().catch((e) => { console.error(e); process.exit(1); });
  `;
  // Its paginated listing needs the legacy OpenSSL provider, which we keep out of the test process.
  const svc = await startService(`s3rver-${port}`, process.execPath, ['-e', script], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    cwd: repoRoot(),
    logDir: dir,
    ready: async () => (await httpStatus(`http://127.0.0.1:${port}/`)) < 500,
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: BUCKET,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    server: 's3rver',
    stop: svc.stop,
  };
}
