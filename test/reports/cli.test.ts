import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { writeReport } from '../../activities/reports';
import { assessImage, openAdvisoryDb } from '../../activities/risk';
import { LocalStore } from '../../activities/store';
import { tempDir } from '../harness/process';
import { addSnapshotAdvisories } from '../risk/snapshot-advisories';

/**
 * `praxi report` and `praxi advisories` as a user runs them: a child process with its own program
 * (the commands as registered by cli/commands), a local store, no Temporal.
 */
function praxi(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `
    const { Command } = require('commander');
    const { addGlobalOptions } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'cli', 'context'))});
    const { registerReport } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'cli', 'commands', 'report'))});
    const { registerAdvisories } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'cli', 'commands', 'advisories'))});
    const { exitCodeFor } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'activities', 'errors'))});
    const program = new Command('praxi').exitOverride();
    addGlobalOptions(program); registerReport(program); registerAdvisories(program);
    program.parseAsync(${JSON.stringify(args)}, { from: 'user' }).catch((e) => { console.error('praxi: ' + e.message); process.exitCode = exitCodeFor(e); });`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    cwd: path.join(__dirname, '..', '..', '..'),
    env: { ...process.env, PRAXI_CONFIG: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('praxi advisories and praxi report', () => {
  it('syncs a source, reports status, matches labels, and shows a stored report in three formats', async () => {
    const dir = tempDir('cli-store');
    const osv = addSnapshotAdvisories(tempDir('cli-osv'), 'werkzeug');

    const sync = praxi(['--store', dir, 'advisories', 'sync', '--source', osv, '--json']);
    assert.equal(sync.status, 0, sync.stderr);
    const synced = JSON.parse(sync.stdout);
    assert.ok(synced.count >= 1 && synced.added.includes('PYSEC-2023-221'));

    const status = praxi(['--store', dir, 'advisories', 'status']);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`digest +${synced.digest}`));

    const match = praxi([
      '--store',
      dir,
      'advisories',
      'match',
      'pypi:Werkzeug==3.0.0',
      'pypi:werkzeug==3.0.1',
    ]);
    assert.equal(match.status, 0, match.stderr);
    assert.match(match.stdout, /pypi:Werkzeug==3\.0\.0: \n {2}HIGH +PYSEC-2023-221 \(CVE-2023-46136/);
    assert.match(match.stdout, /pypi:werkzeug==3\.0\.1: no known advisory/);

    const store = new LocalStore(dir);
    const digest = 'sha256:' + 'f'.repeat(64);
    const report = assessImage(
      {
        image: '127.0.0.1:5999/demo/app:1',
        manifestDigest: digest,
        modelVersion: 'm-cli',
        layers: [
          {
            index: 0,
            digest: 'sha256:' + '9'.repeat(64),
            findings: [{ ecosystem: 'pypi', name: 'werkzeug', version: '3.0.0', score: 0.9, evidence: 'ml' }],
          },
        ],
      },
      {
        db: await openAdvisoryDb(store),
        policy: { versionsBehind: 3, daysBehind: 365 },
        defaultSeverity: 'MODERATE',
      },
    );
    await writeReport(store, report);

    const table = praxi(['--store', dir, 'report', digest]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^0 +pypi +werkzeug +3\.0\.0 +ml +0\.90 +.*PYSEC-2023-221 HIGH/m);
    const cdx = praxi(['--store', dir, 'report', digest, '--format', 'cyclonedx']);
    assert.equal(JSON.parse(cdx.stdout).specVersion, '1.5');
    // By reference: nothing listens on 127.0.0.1:5999, so the stored report made under that name answers.
    const config = path.join(osv, 'praxi.json');
    writeFileSync(config, JSON.stringify({ registry: { maxRetries: 0 } }));
    const byRef = praxi([
      '--store',
      dir,
      '-c',
      config,
      'report',
      '127.0.0.1:5999/demo/app:1',
      '--format',
      'json',
    ]);
    assert.equal(byRef.status, 0, byRef.stderr);
    assert.equal(JSON.parse(byRef.stdout).schema, 'praxi.report/v1');
    assert.equal(JSON.parse(byRef.stdout).manifestDigest, digest);

    const missing = praxi(['--store', dir, 'report', 'sha256:' + '0'.repeat(64)]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /no report for sha256:0+ .*praxi scan/);
  });
});
