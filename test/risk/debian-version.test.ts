import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import { compareDebianVersions, parseDebianVersion } from '../../activities/risk/debian-version';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Versions chosen to exercise every rule: epochs, `~`, letters against symbols, leading zeros, revisions. */
const VERSIONS = [
  '0',
  '1',
  '1.0',
  '1.0-1',
  '1.0-0',
  '1.0~rc1',
  '1.0~rc1-1',
  '1.0~~',
  '1.0~',
  '1.0a',
  '1.0+b1',
  '1.0.1',
  '1:0.9',
  '2:0.1',
  '0:1.0',
  '1.00',
  '1.000-1',
  '1.0-1~bpo11+1',
  '1.0-1+deb12u1',
  '1.0-1+deb12u10',
  '1.0-1+deb12u2',
  '7.88.1-10+deb12u8',
  '7.88.1-10+deb12u12',
  '7.88.1-10',
  '3.0.11-1~deb12u2',
  '3.0.15-1~deb12u1',
  '2.36-9+deb12u9',
  '1.2.13.dfsg-1',
  '1.2.13.dfsg-1+b1',
  '1.0-a',
  '1.0-A',
  '1.0-+',
  '10',
  '9',
  '1.0.0~alpha',
  '1.0.0~beta',
  '1.0.0~beta.2',
  'a1',
  '1.0-1.1',
  '1.0-1.10',
  '1.0-1.9',
];

describe('Debian version ordering', () => {
  it('agrees with `dpkg --compare-versions` on every pair of tricky versions', () => {
    const dpkg = spawnSync('dpkg', ['--version']);
    assert.equal(dpkg.status, 0, 'dpkg is part of every Debian machine this project runs on');
    // One shell for all pairs: a process per pair would take most of a minute.
    const pairs: Array<[string, string]> = [];
    for (const a of VERSIONS) for (const b of VERSIONS) if (a < b) pairs.push([a, b]);
    const script = pairs
      .map(
        ([a, b]) =>
          `if dpkg --compare-versions '${a}' lt '${b}'; then echo -1; elif dpkg --compare-versions '${a}' eq '${b}'; then echo 0; else echo 1; fi`,
      )
      .join('\n');
    const answers = execFileSync('sh', ['-c', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')
      .map(Number);
    assert.equal(answers.length, pairs.length);
    const disagreements = pairs
      .map(([a, b], i) => ({ a, b, dpkg: answers[i], ours: sign(compareDebianVersions(a, b)) }))
      .filter((d) => d.dpkg !== d.ours);
    assert.deepEqual(disagreements, []);
  });

  it('sorts ~ before everything, even the end of the version', () => {
    assert.ok(compareDebianVersions('1.0~rc1', '1.0') < 0);
    assert.ok(compareDebianVersions('1.0~~', '1.0~') < 0);
    assert.ok(compareDebianVersions('1.0', '1.0+b1') < 0);
    assert.ok(compareDebianVersions('3.0.11-1~deb12u2', '3.0.11-1') < 0);
  });

  it('compares epochs first and numbers as numbers', () => {
    assert.ok(compareDebianVersions('1:0.9', '9.9') > 0);
    assert.ok(compareDebianVersions('1.0-1+deb12u10', '1.0-1+deb12u2') > 0);
    assert.equal(compareDebianVersions('0:1.0-0', '1.0'), 0);
  });

  it('rejects versions dpkg could not order, with a typed error', () => {
    for (const bad of ['', 'x:1.0', '1.0-r/1', '1 0']) {
      assert.throws(
        () => parseDebianVersion(bad),
        (e) => isPraxiError(e) && e.code === 'BAD_INPUT',
        bad,
      );
    }
    assert.deepEqual(parseDebianVersion('2:1.0-3-4'), { epoch: 2, upstream: '1.0-3', revision: '4' });
  });
});
