import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { assignSplit, writeDataset, type DatasetSample } from '../../activities/collect/dataset';
import { LocalStore } from '../../activities/store';
import { parseLabel } from '../../models/label';
import { getManifest, currentVersion } from '../../models/registry';
import { generateSamples, SyntheticWorld } from '../../models/synthetic';
import { publishTrained, trainFull } from '../../models/train';
import type { RetrainResult } from '../../workflows/retrain';
import { tempDir } from '../harness/process';
import { useTemporal } from '../harness/stack';
import { runCli } from '../cli/run-cli';
import { testConfig, runWorkers } from './fixtures';

const world = new SyntheticWorld({ seed: 23, packages: 9, versionsPerPackage: 2 });

/** The synthetic world as a praxi.dataset/v1 directory, as `praxi collect` would have made it. */
async function writeWorldDataset(dir: string, labels: string[]): Promise<void> {
  const samples = generateSamples(world, { seed: 5, singlePerLabel: 5, multi: 12, base: 6, labels });
  const rows: Array<Omit<DatasetSample, 'split'>> = samples.map((s, i) => ({
    id: `s${i}`,
    ecosystem: s.labels?.length ? parseLabel(s.labels[0]).ecosystem : 'pypi',
    variant: 'synthetic',
    method: 'static',
    labels: s.labels ?? [],
    tags: s.tags,
  }));
  const split = assignSplit(rows);
  await writeDataset(dir, {
    manifest: {
      schema: 'praxi.dataset/v1',
      created: new Date().toISOString(),
      tokenizer: samples[0].tokenizer,
      split: 'test',
      samples: split.length,
      failures: 0,
    },
    samples: split,
    failures: [],
  });
}

describe('retrain workflow and the model commands (real server, training worker)', () => {
  let env: TestWorkflowEnvironment;
  let workers: { stop(): Promise<void> };
  const storeDir = path.join(tempDir('retrain-store'), 's');
  const store = new LocalStore(storeDir);
  const config = () => testConfig(env, { store: { kind: 'local', dir: storeDir } });
  let cfg: ReturnType<typeof config>;

  before(async () => {
    env = await useTemporal();
    cfg = config();
    // The base model knows the first six packages' labels.
    const oldLabels = world.labels.slice(0, 12);
    const base = await trainFull(
      generateSamples(world, { seed: 1, singlePerLabel: 4, multi: 8, base: 4, labels: oldLabels }),
      { workers: 1 },
    );
    await publishTrained(store, base);
    workers = await runWorkers(env, cfg, ['scan', 'train'], store);
  });

  after(() => workers.stop());

  it('adds new labels as new experts only, reusing every existing expert artifact, and publishes', async () => {
    const baseVersion = (await currentVersion(store))!;
    const baseManifest = await getManifest(store, baseVersion);
    const data = path.join(tempDir('dataset'), 'd');
    await writeWorldDataset(data, world.labels);

    const result = (await env.client.workflow.execute('retrain', {
      taskQueue: cfg.temporal.taskQueues.scan,
      workflowId: `retrain/${randomUUID()}`,
      args: [{ mode: 'add', data, trainQueue: cfg.temporal.taskQueues.train, maxRegression: 0.05 }],
    })) as RetrainResult;
    assert.equal(result.published, true, JSON.stringify(result));
    assert.equal(result.candidate.added, world.labels.length - 12, JSON.stringify(result));
    assert.equal(await currentVersion(store), result.candidate.version);
    const next = await getManifest(store, result.candidate.version);
    assert.equal(next.parent, baseVersion);
    const digests = new Set(next.experts.map((e) => e.digest));
    for (const e of baseManifest.experts)
      assert.ok(digests.has(e.digest), `expert ${e.id} was not reused unchanged`);
    assert.equal(new Set(next.labels).size, world.labels.length);

    // The same data through the CLI: models show --json lists every label; data stats counts them.
    const env2 = { PRAXI_STORE_DIR: storeDir };
    const shown = await runCli(['models', 'show', '--json'], env2);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(new Set(JSON.parse(shown.stdout).labels), new Set(world.labels));
    const stats = await runCli(['data', 'stats', data, '--json'], env2);
    assert.equal(stats.code, 0, stats.stderr);
    const eco = JSON.parse(stats.stdout).ecosystems;
    const labels = Object.values(eco as Record<string, { labels: number }>).reduce((n, s) => n + s.labels, 0);
    // Synthetic multi-label samples mix ecosystems, so a label can be counted under two of them.
    assert.ok(labels >= world.labels.length, `data stats counted ${labels} labels`);
    const rolled = await runCli(['models', 'rollback', baseVersion], env2);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(await currentVersion(store), baseVersion);
  });
});
