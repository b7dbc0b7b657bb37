import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Docker from 'dockerode';
import { DEFAULT_PLAN, type Plan } from '../../activities/collect/plan';
import { makeRecipe, type Recipe } from '../../activities/collect/recipe';
import { listOutcomeIds, loadOutcome } from '../../activities/collect/results';
import { LocalStore } from '../../activities/store';
import type { CollectInput, CollectProgress } from '../../workflows/collect-training-data';
import { tempDir } from '../harness/process';
import type { S3Info } from '../harness/s3';
import { useDocker, useS3, useTemporal } from '../harness/stack';
import { testConfig } from '../pipeline/fixtures';
import { startWorkerProcess, type WorkerProcess, writeWorkerConfig } from '../pipeline/worker-process';
import { busyboxWgetImage } from './fixtures';

/**
 * Issue #4, durable collection, on real pieces: `praxi worker` processes running collectTrainingData on
 * a Temporal dev server, installs in containers of the real engine. The worker is SIGKILLed mid-plan
 * with an install in flight; a new worker finishes the plan. Every install reports to a loopback server
 * when it starts (containers run on host networking), so the test counts real runs, not activity calls.
 */
describe('collectTrainingData survives a killed worker (real worker processes)', () => {
  let env: TestWorkflowEnvironment;
  let s3: S3Info;
  let docker: Docker;
  let image: string;
  let server: Server;
  let port: number;
  /** Container starts per recipe index, with the time of the last one. */
  const starts = new Map<number, { count: number; last: number }>();
  const workers: WorkerProcess[] = [];

  before(async () => {
    [env, s3] = await Promise.all([useTemporal(), useS3()]);
    docker = new Docker({ socketPath: (await useDocker()).socketPath });
    image = await busyboxWgetImage(docker);
    server = createServer((req, res) => {
      const m = /^\/start\/(\d+)$/.exec(req.url ?? '');
      if (m) {
        const i = Number(m[1]);
        starts.set(i, { count: (starts.get(i)?.count ?? 0) + 1, last: Date.now() });
      }
      res.writeHead(m ? 200 : 404).end('ok\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await new Promise((r) => server.close(r));
  });

  const countOf = (i: number) => starts.get(i)?.count ?? 0;

  it('resumes after a SIGKILL without redoing finished installs, each recipe recorded once', async () => {
    const t0 = Date.now();
    // Six installs of a few seconds; recipe 1 fails the way apt does when a version is missing.
    const FAILING = 1;
    const recipes: Recipe[] = Array.from({ length: 6 }, (_, i) => {
      const report = `wget -q -O /dev/null http://127.0.0.1:${port}/start/${i}`;
      return makeRecipe({
        kind: 'install',
        ecosystem: 'deb',
        variant: 'deb/apt',
        method: 'container',
        packages: [{ ecosystem: 'deb', name: `resume-${i}`, version: '1.0' }],
        image,
        command:
          i === FAILING
            ? `${report} && sleep 1 && echo "E: Unable to locate package resume-${i}" >&2 && exit 100`
            : `${report} && sleep 3 && mkdir -p /opt/resume && echo ${i} > /opt/resume/r${i}`,
      });
    });
    const scratch = tempDir('collect-resume');
    const planFile = path.join(scratch, 'plan.json');
    const plan: Plan = {
      schema: 'praxi.collect-plan/v1',
      created: new Date().toISOString(),
      params: { ...DEFAULT_PLAN, seed: 'collect-resume-test' },
      labels: { pypi: [], npm: [], deb: recipes.map((r) => r.packages[0]) },
      recipes,
      skipped: [],
    };
    writeFileSync(planFile, JSON.stringify(plan));
    const store = new LocalStore(path.join(scratch, 'store'));
    const outcomes = async () => {
      const out = new Map<string, string>();
      for (const id of await listOutcomeIds(store)) out.set(id, (await loadOutcome(store, id))!.collectedAt);
      return out;
    };

    const config = testConfig(env);
    const configFile = writeWorkerConfig(config, { collect: { scratchDir: scratch } });
    const startWorker = async () => {
      const w = await startWorkerProcess({
        configFile,
        temporalAddress: env.address,
        s3,
        prefix: `collect-resume-${randomUUID()}/`,
        queues: 'scan,train',
      });
      workers.push(w);
      return w;
    };
    const collect = (workflowId: string): Promise<WorkflowHandle> =>
      env.client.workflow.start('collectTrainingData', {
        taskQueue: config.temporal.taskQueues.scan,
        workflowId,
        args: [
          { plan: planFile, concurrency: 3, trainQueue: config.temporal.taskQueues.train } as CollectInput,
        ],
      });

    const first = await startWorker();
    const handle = await collect(`collect-resume/${randomUUID()}`);

    // Kill once two recipes are recorded and another install started under a second ago (so it is
    // certainly still running: the successful installs sleep 3 s).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const done = await listOutcomeIds(store);
      const idOf = new Map(recipes.map((r, i) => [r.id, i]));
      const doneIdx = new Set(done.map((id) => idOf.get(id)));
      const running = [...starts].filter(([i, s]) => !doneIdx.has(i) && Date.now() - s.last < 1000);
      if (done.length >= 2 && running.length > 0) break;
      if (Date.now() > deadline)
        assert.fail(`no kill point within 60 s: ${done.length} done\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill('SIGKILL');
    // Nothing writes the store now: what is in it is what finished before the kill.
    const beforeKill = await outcomes();
    // A container the dead worker asked the engine to start may report its start a moment after the
    // kill. No other worker runs yet, so wait until starts stop arriving before counting them.
    const totalStarts = () => [...starts.values()].reduce((n, s) => n + s.count, 0);
    for (let seen = -1, settleBy = Date.now() + 15_000; seen !== totalStarts() && Date.now() < settleBy;) {
      seen = totalStarts();
      await new Promise((r) => setTimeout(r, 2000));
    }
    const startedBeforeKill = new Map([...starts].map(([i, s]) => [i, s.count]));
    assert.ok(
      beforeKill.size >= 2 && beforeKill.size < recipes.length,
      `killed mid-plan (${beforeKill.size})`,
    );

    await startWorker();
    const result = (await handle.result()) as CollectProgress;
    const doneAt = Date.now() - t0;

    // Every recipe counted once; the planted failure recorded with its reason, not a crash.
    assert.deepEqual(result, { total: 6, ok: 5, failed: 1, failures: { 'version not found': 1 } });
    assert.deepEqual((await listOutcomeIds(store)).sort(), recipes.map((r) => r.id).sort());
    for (const [i, r] of recipes.entries()) {
      const o = (await loadOutcome(store, r.id))!;
      assert.equal(o.recipe.id, r.id);
      if (i === FAILING) {
        assert.equal(o.status, 'failed');
        assert.equal(o.status === 'failed' && o.reason, 'version not found');
        assert.match(o.status === 'failed' ? o.detail : '', /Unable to locate package resume-1/);
      } else {
        assert.equal(o.status, 'ok', JSON.stringify(o));
        assert.deepEqual(o.status === 'ok' && o.labels, [`deb:resume-${i}==1.0`]);
      }
    }

    // Installs finished before the kill ran once and kept their record; installs killed in flight ran
    // again (their first run was lost with the worker); the rest ran once, on the new worker.
    for (const [i, r] of recipes.entries()) {
      const finished = beforeKill.has(r.id);
      const expected = finished ? 1 : (startedBeforeKill.get(i) ?? 0) + 1;
      assert.equal(
        countOf(i),
        expected,
        `recipe ${i} (${finished ? 'finished' : 'not finished'} at the kill)`,
      );
      if (finished) assert.equal((await loadOutcome(store, r.id))!.collectedAt, beforeKill.get(r.id));
    }
    assert.ok(
      recipes.some((r, i) => !beforeKill.has(r.id) && startedBeforeKill.has(i)),
      'no install was in flight at the kill',
    );

    // The history agrees: one activity per recipe index, and the one killed in flight was retried.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map<number, number>();
    for (const e of events) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name !== 'collectRecipe') continue;
      const { index } = JSON.parse(Buffer.from(a.input!.payloads![0].data!).toString('utf8')) as {
        index: number;
      };
      scheduled.set(index, (scheduled.get(index) ?? 0) + 1);
    }
    assert.deepEqual(
      [...scheduled].sort((a, b) => a[0] - b[0]),
      recipes.map((_, i) => [i, 1]),
    );
    assert.ok(
      events.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 0) > 1),
      'no collectRecipe activity was retried',
    );

    // Running the same plan again installs nothing: every outcome is answered from the store.
    const countsBefore = recipes.map((_, i) => countOf(i));
    const recorded = await outcomes();
    const again = await collect(`collect-resume-again/${randomUUID()}`);
    assert.deepEqual(await again.result(), result);
    assert.deepEqual(
      recipes.map((_, i) => countOf(i)),
      countsBefore,
      'a recorded recipe was installed again',
    );
    assert.deepEqual(await outcomes(), recorded);

    // No container is left behind, not even the ones the killed worker was running.
    const left = await docker.listContainers({ all: true, filters: { ancestor: [image] } });
    assert.deepEqual(
      left.map((c) => `${c.Id.slice(0, 12)} ${c.State} ${c.Command}`),
      [],
      'containers left behind',
    );
    const inFlight = recipes.flatMap((r, i) =>
      !beforeKill.has(r.id) && startedBeforeKill.has(i) ? [i] : [],
    );
    console.log(
      `collect-resume: ${beforeKill.size} recorded and [${inFlight}] in flight at the kill; ` +
        `workflow done after ${doneAt} ms, test ${Date.now() - t0} ms`,
    );
  });
});
