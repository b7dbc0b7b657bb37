/**
 * End-to-end benchmark: N images (default 20, ~3 layers / ~100 MB each) in a loopback registry, one
 * all-in-one `praxi worker` process, scanned through scanRegistry. Reports images and layers per minute
 * cold (every layer read) and warm (new images whose layers are all cached), history events per image,
 * and the worker's peak RSS. Target (issue 6): >= 60 images/min warm on this 2-core machine.
 * With --split the roles run as two processes (`--queues scan` and `--queues infer,train`), as a
 * deployment would, and each one's peak RSS is reported: the inference worker's is issue 5's target.
 *
 *   node dist/bench/e2e.js [--images 20] [--base-mb 80] [--split]
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { repoRoot } from '../activities/repo-root';
import { RegistryClient } from '../activities/registry/client';
import { LocalStore } from '../activities/store';
import { currentVersion } from '../models/registry';
import { generateSamples, SyntheticWorld } from '../models/synthetic';
import { publishTrained, trainFull } from '../models/train';
import { installPretrained } from '../cli/pretrained';
import { pushImage, type Layer } from '../cli/demo/layers';
import { startDevServer } from '../workers/dev-server';
import { startLocalRegistry } from '../workers/local-registry';
import type { ScanRegistryTotals } from '../workflows/scan-registry';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { buffer } from 'node:stream/consumers';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function layer(files: Array<{ name: string; size: number }>): Promise<Layer> {
  const p = pack();
  const out = buffer(p);
  for (const f of files) p.entry({ name: f.name, size: f.size, mtime: new Date(0) }, randomBytes(f.size));
  p.finalize();
  const tar = await out;
  const blob = gzipSync(tar, { level: 1 });
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  return { blob, digest: sha(blob), diffId: sha(tar) };
}

const many = (prefix: string, n: number, size: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}/f${i}.bin`, size }));

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  const n = arg('images', 20);
  const baseMb = arg('base-mb', 80);
  const dir = mkdtempSync(path.join(tmpdir(), 'praxi-bench-e2e-'));
  const [port, uiPort, regPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startDevServer({ dataDir: path.join(dir, 'temporal'), port, uiPort });
  const registry = await startLocalRegistry({ dataDir: path.join(dir, 'registry'), port: regPort });
  const storeDir = path.join(dir, 'store');
  const store = new LocalStore(storeDir);
  const shipped = await installPretrained(store);
  let modelNote = `shipped model ${shipped.version}`;
  if (!(await currentVersion(store))) {
    const world = new SyntheticWorld({ seed: 3, packages: 200 });
    const trained = await trainFull(
      generateSamples(world, { seed: 1, singlePerLabel: 4, multi: 50, base: 20 }),
    );
    const m = await publishTrained(store, trained);
    modelNote = `synthetic model ${m.version} (${m.experts.length} experts; no shipped model)`;
  }
  const queues = {
    scan: `scan-${randomUUID().slice(0, 6)}`,
    infer: `infer-${randomUUID().slice(0, 6)}`,
    train: `train-${randomUUID().slice(0, 6)}`,
  };
  const configFile = path.join(dir, 'praxi.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      temporal: { address: server.address, taskQueues: queues },
      store: { kind: 'local', dir: storeDir },
      alarms: { log: false },
    }),
  );
  const split = process.argv.includes('--split');
  const startWorker = async (queues?: string) => {
    const args = [
      path.join(repoRoot(), 'bin', 'praxi.js'),
      'worker',
      ...(queues ? ['--queues', queues] : []),
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, PRAXI_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    while (!/worker on/.test(out)) await new Promise((r) => setTimeout(r, 100));
    return { child, name: queues ?? 'scan,infer,train' };
  };
  const workers = split
    ? [await startWorker('scan'), await startWorker('infer,train')]
    : [await startWorker()];

  console.log(`building layers: shared base ~${baseMb} MB, shared middle ~15 MB, unique top ~5 MB per image`);
  const base = await layer(many('opt/base', baseMb, 1 << 20));
  const middle = await layer(many('usr/lib/mid', 15 * 4, 256 << 10));
  const tops: Layer[] = [];
  for (let i = 0; i < 2 * n; i++) tops.push(await layer(many(`srv/app${i}`, 20, 256 << 10)));
  const client = new RegistryClient({});
  const push = async (prefix: string, from: number) => {
    for (let i = 0; i < n; i++)
      await pushImage(client, registry.host, `${prefix}/app${i}`, 'v1', [base, middle, tops[from + i]]);
  };
  const connection = await Connection.connect({ address: server.address });
  const temporal = new Client({ connection });
  const poll = async (prefix: string) => {
    const t0 = Date.now();
    const totals = (await temporal.workflow.execute('scanRegistry', {
      taskQueue: queues.scan,
      workflowId: `bench/${prefix}/${randomUUID()}`,
      args: [
        {
          registry: registry.host,
          repositories: [`${prefix}/*`],
          maxConcurrent: 8,
          inferQueue: queues.infer,
        },
      ],
    })) as ScanRegistryTotals;
    return { seconds: (Date.now() - t0) / 1000, totals };
  };
  const historyPerImage = async (prefix: string) => {
    let events = 0;
    let count = 0;
    for await (const wf of temporal.workflow.list({
      query: `WorkflowType = 'scanImage' AND PraxiImageRepository STARTS_WITH '${registry.host}/${prefix}/'`,
    })) {
      events += wf.historyLength;
      count++;
    }
    return count ? events / count : 0;
  };

  await push('cold', 0);
  const cold = await poll('cold');
  // New images (new top layers, so new digests) over the cached base and middle: the steady state of a
  // registry where most layers are shared.
  await push('warm', n);
  const warm = await poll('warm');
  const rss = workers.map((w) => ({ name: w.name, bytes: peakRss(w.child.pid!) }));
  const mb = (base.blob.length + middle.blob.length + tops[0].blob.length) / 1e6;
  const line = (name: string, r: { seconds: number; totals: ScanRegistryTotals }) =>
    `${name.padEnd(5)} ${r.totals.scanned} images in ${r.seconds.toFixed(1)} s: ${((60 * r.totals.scanned) / r.seconds).toFixed(1)} images/min, ${((180 * r.totals.scanned) / r.seconds).toFixed(1)} layers/min (failed ${r.totals.failed})`;
  console.log(`\n${modelNote}; images of 3 layers, ${mb.toFixed(0)} MB each`);
  console.log(line('cold', cold));
  console.log(line('warm', warm));
  console.log(
    `history events per image: ${(await historyPerImage('cold')).toFixed(0)} (cold), ${(await historyPerImage('warm')).toFixed(0)} (warm)`,
  );
  for (const r of rss) console.log(`worker (${r.name}) peak RSS: ${(r.bytes / 2 ** 20).toFixed(0)} MiB`);
  console.log(
    `ratio warm vs target (60 images/min): ${((60 * warm.totals.scanned) / warm.seconds / 60).toFixed(2)}x`,
  );
  await connection.close();
  await Promise.all(
    workers.map(({ child }) => {
      child.kill('SIGTERM');
      return new Promise((r) => child.once('exit', r));
    }),
  );
  await registry.stop();
  await server.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
