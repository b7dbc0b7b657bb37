import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ConfigSchema } from '../../config/schema';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LogSink, alarmsFromReport, deliverAlarms, raiseAlarms } from '../../activities/alarms';
import { readReport, writeReport } from '../../activities/reports';
import {
  assessImage,
  openAdvisoryDb,
  refreshAdvisories,
  rematchInventories,
  syncAdvisories,
} from '../../activities/risk';
import { LocalStore } from '../../activities/store';
import { tempDir } from '../harness/process';
import { addSnapshotAdvisories } from './snapshot-advisories';

const DIGEST = 'sha256:' + 'c'.repeat(64);
const opts = { minSeverity: 'LOW' as const, defaultSeverity: 'MODERATE' as const };

describe('refreshAdvisories: re-matching stored inventories without rescanning', () => {
  it('an added advisory raises exactly one new alarm for an already-scanned image; a second refresh raises none', async () => {
    const store = new LocalStore(tempDir('refresh-store'));
    // Advisory set 1: werkzeug's real advisories from the shared snapshot.
    const osvDir = addSnapshotAdvisories(tempDir('refresh-osv'), 'werkzeug');
    const first = await syncAdvisories(store, osvDir);
    assert.ok(first.count >= 1);

    // The scan: findings per layer, matched, reported, alarms raised.
    const db1 = await openAdvisoryDb(store);
    const report = assessImage(
      {
        image: '127.0.0.1:5000/demo/app:1',
        repository: '127.0.0.1:5000/demo/app',
        manifestDigest: DIGEST,
        modelVersion: 'm-test',
        layers: [
          { index: 0, digest: 'sha256:' + '1'.repeat(64), findings: [] },
          {
            index: 1,
            digest: 'sha256:' + '2'.repeat(64),
            findings: [
              { ecosystem: 'pypi', name: 'werkzeug', version: '3.0.0', score: 1, evidence: 'both' },
              {
                ecosystem: 'pypi',
                name: 'demo-lib',
                version: '1.4.0',
                score: 0.8,
                evidence: 'ml',
                versionUncertain: true,
                alternatives: [{ version: '1.5.0', score: 0 }],
              },
            ],
          },
        ],
      },
      { db: db1, policy: { versionsBehind: 3, daysBehind: 365 }, defaultSeverity: 'MODERATE' },
    );
    const scanAlarms = await raiseAlarms(store, alarmsFromReport(report), [], {
      ...opts,
      claimant: 'scan/c',
    });
    const werkzeugAlarms = scanAlarms.raised.length;
    assert.ok(werkzeugAlarms >= 1 && scanAlarms.raised.every((a) => a.package.name === 'werkzeug'));
    await writeReport(store, { ...report, alarms: scanAlarms.raised });

    // A refresh with nothing new: the scan's alarms are not raised again.
    const quiet = await rematchInventories(store, db1, { ...opts, claimant: 'refresh/1' });
    assert.deepEqual([quiet.imagesChecked, quiet.newAlarms.length], [1, 0]);

    // Advisory set 2 adds one advisory for a package the image holds.
    mkdirSync(path.join(osvDir, 'demo-lib'));
    writeFileSync(
      path.join(osvDir, 'demo-lib', 'PYSEC-2099-1.json'),
      JSON.stringify({
        id: 'PYSEC-2099-1',
        modified: '2099-01-01T00:00:00Z',
        summary: 'demo-lib before 1.5 leaks its secrets',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'demo_lib' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.5' }] }],
          },
        ],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      }),
    );
    const second = await syncAdvisories(store, osvDir);
    assert.deepEqual(second.added, ['PYSEC-2099-1']);
    const db2 = await openAdvisoryDb(store);

    const refreshed = await rematchInventories(store, db2, { ...opts, claimant: 'refresh/2' });
    assert.equal(refreshed.imagesChecked, 1);
    assert.deepEqual(
      refreshed.newAlarms.map((a) => [
        a.imageDigest,
        a.advisoryId,
        a.package.name,
        a.package.version,
        a.severity,
        a.package.layerIndex,
      ]),
      [[DIGEST, 'PYSEC-2099-1', 'demo-lib', '1.4.0', 'CRITICAL', 1]],
    );
    // The model only guessed demo-lib's version; the refresh alarm says so, from the stored inventory.
    assert.equal(refreshed.newAlarms[0].package.versionUncertain, true);
    assert.deepEqual(refreshed.newAlarms[0].package.alternatives, ['1.5.0']);
    const lines: string[] = [];
    const delivered = await deliverAlarms(refreshed.newAlarms, [new LogSink((l) => lines.push(l))], {
      store,
    });
    assert.equal(delivered.delivered.length, 1);
    assert.equal(lines.length, 1);

    // The stored report now shows what the refresh found, without a rescan.
    const updated = await readReport(store, DIGEST);
    assert.ok(updated.vulnerabilities.some((v) => v.advisoryId === 'PYSEC-2099-1' && v.name === 'demo-lib'));
    assert.deepEqual(
      updated.alarms.map((a) => a.advisoryId).filter((id) => id === 'PYSEC-2099-1'),
      ['PYSEC-2099-1'],
    );
    assert.equal(updated.advisoryDb?.digest, second.digest);

    const again = await rematchInventories(store, db2, { ...opts, claimant: 'refresh/3' });
    assert.deepEqual([again.imagesChecked, again.newAlarms.length], [1, 0]);
    assert.equal(again.matches, refreshed.matches, 'the same matches, all alarmed before');
  });

  it('refreshAdvisories: unchanged set, nothing to do; an added advisory, one alarm delivered', async () => {
    const store = new LocalStore(tempDir('refresh-fn'));
    const osvDir = tempDir('refresh-fn-osv');
    const advisory = (id: string, fixed: string) =>
      JSON.stringify({
        id,
        modified: '2099-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'npm', name: 'left-pad' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
          },
        ],
        database_specific: { severity: 'HIGH' },
      });
    writeFileSync(path.join(osvDir, 'GHSA-0001.json'), advisory('GHSA-0001', '1.0.0'));
    const config = ConfigSchema.parse({ risk: { advisories: osvDir }, alarms: { log: true } });
    const lines: string[] = [];
    const sinks = [new LogSink((l) => lines.push(l))];
    await syncAdvisories(store, osvDir);
    const report = assessImage(
      {
        image: 'img',
        manifestDigest: DIGEST,
        modelVersion: 'm',
        layers: [
          {
            index: 0,
            digest: 'sha256:' + '3'.repeat(64),
            findings: [
              { ecosystem: 'npm', name: 'left-pad', version: '1.2.0', score: 1, evidence: 'metadata' },
            ],
          },
        ],
      },
      {
        db: await openAdvisoryDb(store),
        policy: { versionsBehind: 3, daysBehind: 365 },
        defaultSeverity: 'MODERATE',
      },
    );
    assert.deepEqual(report.vulnerabilities, []);
    await writeReport(store, report);

    const unchanged = await refreshAdvisories(store, config, { claimant: 'refresh/a', sinks });
    assert.deepEqual([unchanged.sync.updated, unchanged.rematch], [false, undefined]);

    writeFileSync(path.join(osvDir, 'GHSA-0002.json'), advisory('GHSA-0002', '1.3.0'));
    const changed = await refreshAdvisories(store, config, { claimant: 'refresh/b', sinks });
    assert.deepEqual(changed.sync.added, ['GHSA-0002']);
    assert.deepEqual(
      changed.rematch?.newAlarms.map((a) => a.advisoryId),
      ['GHSA-0002'],
    );
    assert.equal(changed.delivery?.delivered.length, 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /"advisory":"GHSA-0002"/);
  });
});
