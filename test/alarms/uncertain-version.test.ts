import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alarmsFromReport } from '../../activities/alarms';
import { inventoryOf } from '../../activities/reports/report-store';
import { assessImage, openAdvisoryDb, syncAdvisories } from '../../activities/risk';
import { LocalStore } from '../../activities/store';
import { tempDir } from '../harness/process';
import { addSnapshotAdvisories } from '../risk/snapshot-advisories';

/** An alarm that rests on a guessed version says so, and names the versions the layer may hold instead. */
describe('alarms on a version the layer does not show', () => {
  it('carry versionUncertain and the alternatives from the finding', async () => {
    const store = new LocalStore(tempDir('uncertain-store'));
    const osvDir = addSnapshotAdvisories(tempDir('uncertain-osv'), 'werkzeug');
    await syncAdvisories(store, osvDir);
    const report = assessImage(
      {
        image: '127.0.0.1:5000/demo/app:1',
        manifestDigest: 'sha256:' + 'd'.repeat(64),
        modelVersion: 'm-test',
        layers: [
          {
            index: 0,
            digest: 'sha256:' + '3'.repeat(64),
            findings: [
              {
                ecosystem: 'pypi',
                name: 'werkzeug',
                version: '3.0.0',
                score: 0.9,
                evidence: 'ml',
                versionUncertain: true,
                alternatives: [{ version: '3.0.6', score: 0 }],
              },
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
    const alarms = alarmsFromReport(report);
    assert.ok(alarms.length >= 1, 'werkzeug 3.0.0 has advisories in the snapshot');
    for (const a of alarms) {
      assert.equal(a.package.versionUncertain, true);
      assert.deepEqual(a.package.alternatives, ['3.0.6']);
    }
    // The inventory keeps it, so alarms a later advisory refresh raises say so too.
    const werkzeug = inventoryOf(report).packages.find((p) => p.name === 'werkzeug');
    assert.deepEqual(werkzeug?.uncertainAlternatives, ['3.0.6']);
  });
});
