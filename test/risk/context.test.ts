import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { assessImage, currentAdvisoryDb, riskContextFrom, syncAdvisories } from '../../activities/risk';
import { LocalStore } from '../../activities/store';
import { ConfigSchema } from '../../config/schema';
import { tempDir } from '../harness/process';
import { addSnapshotAdvisories } from './snapshot-advisories';

describe('risk context from configuration', () => {
  it('imports the configured advisories on first use, caches the set, and feeds outdated checks from labels and an online index', async () => {
    const osv = addSnapshotAdvisories(tempDir('ctx-osv'), 'aiohttp');
    let asked = 0;
    const server = createServer((req, res) => {
      asked++;
      if (req.url === '/pypi/aiohttp/json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            releases: {
              '3.7.3': [{ upload_time_iso_8601: '2020-11-18T00:00:00Z' }],
              '3.9.0': [{ upload_time_iso_8601: '2023-11-18T00:00:00Z' }],
            },
          }),
        );
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    after(() => server.close());
    const risk = ConfigSchema.parse({
      risk: {
        advisories: osv,
        pypiJsonApi: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        outdatedVersionsBehind: 5,
        latestVersionsDir: tempDir('ctx-no-files'),
      },
    }).risk;

    const store = new LocalStore(tempDir('ctx-store'));
    const ctx = await riskContextFrom(store, risk, {
      labels: ['npm:left-pad==1.0.0', 'npm:left-pad==1.3.0', 'not a label'],
      packages: [
        { ecosystem: 'pypi', name: 'aiohttp' },
        { ecosystem: 'npm', name: 'left-pad' },
      ],
    });
    assert.deepEqual(ctx.problems, []);
    assert.equal(asked, 1, 'only PyPI is configured online, and only for the findings');
    assert.ok(ctx.db && ctx.db.advisories.every((a) => a.affected[0].name === 'aiohttp'));
    assert.equal(ctx.latest?.get('npm', 'left-pad')?.latest.version, '1.3.0');

    const report = assessImage(
      {
        image: 'x',
        manifestDigest: 'sha256:' + 'a'.repeat(64),
        modelVersion: 'm',
        layers: [
          {
            index: 0,
            digest: 'sha256:' + 'b'.repeat(64),
            findings: [
              { ecosystem: 'pypi', name: 'aiohttp', version: '3.7.3', score: 1, evidence: 'metadata' },
            ],
          },
        ],
      },
      ctx,
    );
    assert.ok(report.vulnerabilities.some((v) => v.advisoryId === 'PYSEC-2021-76'));
    // Days behind (3 years) flags it though fewer than 5 versions are known after it.
    assert.equal(report.outdated[0]?.daysBehind, 1095);

    const db1 = await currentAdvisoryDb(store, risk);
    assert.equal(await currentAdvisoryDb(store, risk), db1, 'the same set is not read twice');
    addSnapshotAdvisories(osv, 'werkzeug');
    await syncAdvisories(store, osv);
    assert.notEqual((await currentAdvisoryDb(store, risk)).digest, db1.digest, 'a new set is picked up');
  });
});
