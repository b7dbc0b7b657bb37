import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  type Alarm,
  type AlarmSink,
  alarmKey,
  alarmsOfImage,
  LogSink,
  PrometheusSink,
  raiseAlarms,
  readMarker,
  sinksFromConfig,
  WebhookSink,
  webhookSecretFrom,
} from '../../activities/alarms';
import { isPraxiError } from '../../activities/errors';
import { LocalStore } from '../../activities/store';
import { ConfigSchema } from '../../config/schema';
import { tempDir } from '../harness/process';

const SECRET = 'test-webhook-secret-value';
const IMAGE = 'sha256:' + 'b'.repeat(64);

function alarm(advisoryId: string, severity: Alarm['severity'] = 'HIGH'): Alarm {
  return {
    key: alarmKey(IMAGE, advisoryId),
    kind: 'vulnerable',
    imageDigest: IMAGE,
    repository: '127.0.0.1:5000/demo/app',
    advisoryId,
    aliases: ['CVE-2023-46136'],
    package: {
      ecosystem: 'pypi',
      name: 'werkzeug',
      version: '3.0.0',
      layerIndex: 2,
      evidence: 'both',
      score: 1,
    },
    severity,
    fixed: ['3.0.1'],
    raisedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A receiver on loopback that answers 503 to the first `failures` requests, then 200; it records what it accepted. */
async function receiver(failures: number) {
  const got: Array<{ status: number; body: string; headers: IncomingMessage['headers'] }> = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = n++ < failures ? 503 : 200;
      got.push({ status, body: Buffer.concat(chunks).toString(), headers: req.headers });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    accepted: () => got.filter((g) => g.status === 200),
  };
}

describe('alarm delivery', () => {
  it('a webhook that fails twice then accepts gets one alarm, signed, and a rescan raises nothing more', async () => {
    const hook = await receiver(2);
    const store = new LocalStore(tempDir('alarms'));
    const registry = new Registry();
    const logLines: string[] = [];
    const sinks: AlarmSink[] = [
      new WebhookSink({ url: hook.url, secret: SECRET, baseDelayMs: 20 }),
      new LogSink((l) => logLines.push(l)),
      new PrometheusSink(registry),
    ];
    const first = await raiseAlarms(store, [alarm('PYSEC-2023-221')], sinks, {
      minSeverity: 'LOW',
      claimant: 'scan/1',
    });
    assert.equal(first.raised.length, 1);
    assert.deepEqual(first.delivery.failures, []);
    assert.equal(hook.got.length, 3, 'two refusals and one acceptance');
    assert.equal(hook.accepted().length, 1, 'one alarm delivered, not three');

    const { body, headers } = hook.accepted()[0];
    const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    assert.equal(headers['x-praxi-signature'], expected);
    assert.equal(headers['x-praxi-alarm-key'], `${IMAGE}/PYSEC-2023-221`);
    assert.equal(JSON.parse(body).alarm.advisoryId, 'PYSEC-2023-221');

    assert.equal(logLines.length, 1);
    assert.match(logLines[0], /"advisory":"PYSEC-2023-221"/);
    assert.ok(!logLines.join('').includes(SECRET));
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'praxi_alarms_total');
    assert.deepEqual(
      (metric?.values ?? []).map((v) => [v.labels.severity, v.labels.kind, v.value]),
      [['HIGH', 'vulnerable', 1]],
    );

    // The same image scanned again, by another workflow: nothing new, nothing sent.
    const again = await raiseAlarms(store, [alarm('PYSEC-2023-221')], sinks, {
      minSeverity: 'LOW',
      claimant: 'scan/2',
    });
    assert.deepEqual(again.raised, []);
    assert.equal(hook.got.length, 3);
    const marker = await readMarker(store, alarm('PYSEC-2023-221'));
    assert.deepEqual(
      [marker?.done, Object.keys(marker?.delivered ?? {}).sort()],
      [true, ['log', 'prometheus', 'webhook']],
    );
    assert.equal((await alarmsOfImage(store, IMAGE)).length, 1);
  });

  it('a retry after a failed delivery resumes only the sinks that did not accept', async () => {
    const hook = await receiver(3);
    const store = new LocalStore(tempDir('alarms-retry'));
    const logLines: string[] = [];
    const sinks = [
      new LogSink((l) => logLines.push(l)),
      new WebhookSink({ url: hook.url, secret: SECRET, maxAttempts: 2, baseDelayMs: 10 }),
    ];
    await assert.rejects(
      raiseAlarms(store, [alarm('PYSEC-1'), alarm('PYSEC-2')], sinks, {
        minSeverity: 'LOW',
        claimant: 'scan/9',
      }),
      (e) => isPraxiError(e) && e.retryable && /a retry resumes/.test(e.message),
    );
    assert.equal(hook.accepted().length, 0);
    assert.equal(
      hook.got.length,
      2,
      'the webhook, down for PYSEC-1, is not tried again for PYSEC-2 in this run',
    );
    // Another claimant keeps off a fresh claim; the same one (the activity's retry) resumes it.
    const other = await raiseAlarms(store, [alarm('PYSEC-1')], sinks, {
      minSeverity: 'LOW',
      claimant: 'scan/10',
    });
    assert.deepEqual(other.raised, []);
    const retry = await raiseAlarms(store, [alarm('PYSEC-1'), alarm('PYSEC-2')], sinks, {
      minSeverity: 'LOW',
      claimant: 'scan/9',
    });
    assert.equal(retry.raised.length, 2);
    assert.equal(hook.accepted().length, 2);
    assert.equal(logLines.length, 2, 'the log sink had accepted both already and is not repeated');
  });

  it('drops alarms under the severity threshold without recording them', async () => {
    const store = new LocalStore(tempDir('alarms-threshold'));
    const lines: string[] = [];
    const r = await raiseAlarms(
      store,
      [alarm('LOW-1', 'LOW'), alarm('CRIT-1', 'CRITICAL')],
      [new LogSink((l) => lines.push(l))],
      {
        minSeverity: 'HIGH',
        claimant: 'scan/3',
      },
    );
    assert.deepEqual(
      r.raised.map((a) => a.advisoryId),
      ['CRIT-1'],
    );
    assert.equal(
      await readMarker(store, alarm('LOW-1')),
      undefined,
      'raised later if the threshold is lowered',
    );
  });

  it('a webhook answering 400 fails at once, without retries', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.writeHead(400).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    after(() => server.close());
    const sink = new WebhookSink({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      baseDelayMs: 10,
    });
    await assert.rejects(sink.deliver(alarm('X-1')), (e) => isPraxiError(e) && !e.retryable);
    assert.equal(calls, 1);
  });

  it('takes the secret from the environment or a file, and never shows it', () => {
    const file = path.join(tempDir('secret'), 'hook.secret');
    writeFileSync(file, `${SECRET}\n`);
    assert.equal(webhookSecretFrom({ webhookSecretFile: file }, {}), SECRET);
    assert.equal(
      webhookSecretFrom({ webhookSecretFile: file }, { PRAXI_WEBHOOK_SECRET: 'from-env' }),
      'from-env',
    );
    assert.throws(
      () => webhookSecretFrom({ webhookSecretFile: '/nonexistent/secret' }, {}),
      (e) => isPraxiError(e) && e.code === 'BAD_CONFIG',
    );
    const cfg = ConfigSchema.parse({
      alarms: { webhookUrl: 'http://127.0.0.1:9/hook', webhookSecretFile: file },
    }).alarms;
    const sinks = sinksFromConfig(cfg, { registry: new Registry(), env: {} });
    assert.deepEqual(
      sinks.map((s) => s.name),
      ['log', 'prometheus', 'webhook'],
    );
    const shown = inspect(sinks, { depth: 5 }) + JSON.stringify(sinks[2]);
    assert.ok(!shown.includes(SECRET), 'the secret leaked into a printed sink');
    const withUser = JSON.stringify(
      new WebhookSink({ url: 'http://alarm:pass-in-url@127.0.0.1:9/hook?key=k', secret: SECRET }),
    );
    assert.ok(
      !withUser.includes('pass-in-url') && !withUser.includes('key=k') && !withUser.includes(SECRET),
      withUser,
    );
  });
});
