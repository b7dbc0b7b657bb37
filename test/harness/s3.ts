import { freePort, httpStatus, startService, tempDir } from './process';

export interface S3Info {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RunningS3 extends S3Info {
  stop(): Promise<void>;
}

/**
 * An S3-compatible server on loopback: s3rver (see README "Object store" for why not MinIO).
 * It runs in its own process: its paginated listing needs the legacy OpenSSL provider, which we
 * do not want in the test process.
 */
export async function startS3(): Promise<RunningS3> {
  const dir = tempDir('s3');
  const port = await freePort();
  const bucket = 'praxi-test';
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ port: ${port}, address: '127.0.0.1', directory: ${JSON.stringify(dir)}, silent: true,
      configureBuckets: [{ name: ${JSON.stringify(bucket)} }] }).run().catch((e) => { console.error(e); process.exit(1); });
  `;
  const svc = await startService(`s3rver-${port}`, process.execPath, ['-e', script], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    cwd: process.cwd(),
    logDir: dir,
    ready: async () => (await httpStatus(`http://127.0.0.1:${port}/`)) < 500,
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    // s3rver's fixed development credentials; not a secret.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: svc.stop,
  };
}
