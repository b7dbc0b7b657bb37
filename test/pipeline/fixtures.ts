import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { S3Store } from '../../activities/store';
import type { ObjectStore } from '../../activities/store/object-store';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { createWorkers, type Role } from '../../workers/create-workers';
import { makeRng, SyntheticWorld, generateSamples } from '../../models/synthetic';
import { publishTrained, trainFull } from '../../models/train';
import { buildImage, buildLayer, type BuiltImage, type LayerEntry } from '../harness/image-builder';
import type { S3Info } from '../harness/s3';

/**
 * A world of made-up packages, a small model really trained on it (ml-xgboost), and images whose layers
 * install those packages: enough for the whole pipeline to find something real.
 */
export const WORLD = new SyntheticWorld({ seed: 11, packages: 10, versionsPerPackage: 2 });

export async function publishTestModel(store: ObjectStore): Promise<string> {
  const samples = generateSamples(WORLD, { seed: 1, singlePerLabel: 4, multi: 16, base: 8 });
  const validation = generateSamples(WORLD, { seed: 2, singlePerLabel: 1, multi: 6, base: 4 });
  const trained = await trainFull(samples, { workers: 1, validation });
  return (await publishTrained(store, trained)).version;
}

export function filesOf(paths: string[]): LayerEntry[] {
  return [...new Set(paths)].map((p) => ({ type: 'file' as const, path: p, content: '' }));
}

/** Layer 0: a base-like root filesystem; layer 1: one package (no records); layer 2: requests 2.25.0 with its dist-info. */
export async function buildAppImage(seed: number, label: string): Promise<BuiltImage> {
  const r = makeRng(seed);
  const base = await buildLayer(filesOf(WORLD.baseSample(r).paths), { compression: 'gzip' });
  const app = await buildLayer(filesOf(WORLD.sample([label], r).paths), { compression: 'gzip' });
  const site = 'usr/local/lib/python3.11/site-packages';
  const withRecords = await buildLayer(
    [
      { type: 'file', path: `${site}/requests/__init__.py`, content: '' },
      { type: 'file', path: `${site}/requests/sessions.py`, content: '' },
      {
        type: 'file',
        path: `${site}/requests-2.25.0.dist-info/METADATA`,
        content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\nSummary: Python HTTP for Humans.\n',
      },
      { type: 'file', path: `${site}/requests-2.25.0.dist-info/RECORD`, content: '' },
    ],
    { compression: 'gzip' },
  );
  return buildImage([base, app, withRecords]);
}

export function s3StoreFor(s3: S3Info): S3Store {
  return new S3Store({
    bucket: s3.bucket,
    prefix: `pipeline-${randomUUID()}/`,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** A config whose task queues are unique to one test, so workers of different tests never steal work. */
export function testConfig(env: TestWorkflowEnvironment, extra: Record<string, unknown> = {}): Config {
  const q = randomUUID().slice(0, 8);
  return parseConfig({
    temporal: {
      address: env.address,
      taskQueues: { scan: `scan-${q}`, infer: `infer-${q}`, train: `train-${q}` },
    },
    store: { kind: 'local', dir: '/nonexistent-the-tests-pass-a-store' },
    alarms: { log: false },
    ...extra,
  });
}

/** In-process workers for some roles over the test server's connection; `stop` drains and ends them. */
export async function runWorkers(
  env: TestWorkflowEnvironment,
  config: Config,
  roles: Role[],
  store: ObjectStore,
): Promise<{ stop(): Promise<void> }> {
  const { workers } = await createWorkers({ config, roles, connection: env.nativeConnection, store });
  const running = workers.map((w) => w.run());
  return {
    stop: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
    },
  };
}
