import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type AdvisoryDb, advisoryDbFrom } from '../../activities/risk/advisory-db';
import { matchPackage } from '../../activities/risk/match';
import { compileOsv, loadAdvisories } from '../../activities/risk/osv';
import type { Advisory } from '../../activities/risk/advisory';

/** Matching on real advisories from the shared PyPI snapshot (pypa/advisory-database, CC-BY 4.0). */
let db: AdvisoryDb;
before(async () => {
  db = advisoryDbFrom((await loadAdvisories()).advisories);
});

const ids = (ecosystem: 'pypi' | 'npm' | 'deb', name: string, version: string) =>
  matchPackage(db, { ecosystem, name, version }).map((h) => h.id);

describe('matching PyPI versions against the real snapshot', () => {
  it('finds a version inside a range and not one outside it (werkzeug PYSEC-2023-221: <2.3.8, 3.0.0..<3.0.1)', () => {
    assert.ok(ids('pypi', 'werkzeug', '2.3.7').includes('PYSEC-2023-221'));
    assert.ok(!ids('pypi', 'werkzeug', '2.3.8').includes('PYSEC-2023-221'));
    assert.ok(ids('pypi', 'werkzeug', '3.0.0').includes('PYSEC-2023-221'));
    assert.ok(!ids('pypi', 'werkzeug', '3.0.1').includes('PYSEC-2023-221'));
  });

  it('orders pre-releases and post-releases as PEP 440 does', () => {
    // 3.0.0rc1 comes before 3.0.0, so after the fix 2.3.8 and before the second range opens.
    assert.ok(!ids('pypi', 'werkzeug', '3.0.0rc1').includes('PYSEC-2023-221'));
    // A pre-release of the fixing version is still before the fix.
    assert.ok(ids('pypi', 'werkzeug', '3.0.1rc1').includes('PYSEC-2023-221'));
    assert.ok(ids('pypi', 'aiohttp', '3.7.4b1').includes('PYSEC-2021-76'));
    assert.ok(!ids('pypi', 'aiohttp', '3.7.4.post0').includes('PYSEC-2021-76'));
  });

  it('puts any epoch above every epoch-less version', () => {
    assert.ok(ids('pypi', 'aiohttp', '3.7.3').includes('PYSEC-2021-76'));
    assert.deepEqual(ids('pypi', 'aiohttp', '1!0.1'), []);
  });

  it('honours last_affected (py PYSEC-2022-42969: up to and including 1.11.0)', () => {
    assert.ok(ids('pypi', 'py', '1.11.0').includes('PYSEC-2022-42969'));
    assert.ok(!ids('pypi', 'py', '1.11.1').includes('PYSEC-2022-42969'));
  });

  it('normalizes names as PEP 503 does and ignores versions it cannot read', () => {
    assert.deepEqual(ids('pypi', 'Werkzeug', '2.3.7'), ids('pypi', 'werkzeug', '2.3.7'));
    assert.ok(ids('pypi', 'Jinja2', '2.10').length > 0);
    assert.deepEqual(ids('pypi', 'werkzeug', 'not a version'), []);
    assert.deepEqual(ids('pypi', 'no-such-package-here', '1.0'), []);
  });

  it('rates severity from the CVSS vector, else the configured default, and lists the fixes', () => {
    const [hit] = matchPackage(db, { ecosystem: 'pypi', name: 'werkzeug', version: '3.0.0' }).filter(
      (h) => h.id === 'PYSEC-2023-221',
    );
    assert.equal(hit.severity, 'HIGH'); // CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H = 7.5
    assert.equal(hit.cvssScore, 7.5);
    assert.equal(hit.severityAssumed, false);
    assert.deepEqual(hit.fixed, ['2.3.8', '3.0.1']);
    assert.ok(hit.aliases.includes('CVE-2023-46136'));
    const unrated = matchPackage(
      db,
      { ecosystem: 'pypi', name: 'aiohttp', version: '3.7.3' },
      { defaultSeverity: 'LOW' },
    ).find((h) => h.id === 'PYSEC-2021-76');
    assert.equal(unrated?.severity, 'LOW');
    assert.equal(unrated?.severityAssumed, true);
  });
});

describe('matching npm and Debian advisories (OSV records as their exports write them)', () => {
  const npmAdv = compileOsv({
    id: 'GHSA-test-npm1-0001',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2021-23337'],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      },
    ],
    database_specific: { severity: 'HIGH' },
  }) as Advisory;
  const debAdv = compileOsv({
    id: 'DSA-0000-1',
    modified: '2024-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Debian:12', name: 'openssl' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }],
      },
    ],
  }) as Advisory;
  const local = advisoryDbFrom([npmAdv, debAdv]);

  it('uses semver for npm, pre-releases before their release', () => {
    const m = (v: string) =>
      matchPackage(local, { ecosystem: 'npm', name: 'lodash', version: v }).map((h) => h.id);
    assert.deepEqual(m('4.17.20'), ['GHSA-test-npm1-0001']);
    assert.deepEqual(m('4.17.21-beta.1'), ['GHSA-test-npm1-0001']);
    assert.deepEqual(m('4.17.21'), []);
    assert.equal(
      matchPackage(local, { ecosystem: 'npm', name: 'lodash', version: '4.0.0' })[0].severity,
      'HIGH',
    );
  });

  it('uses dpkg ordering for Debian, where ~ sorts before the release, and matches by source package', () => {
    const m = (v: string, name = 'openssl', sourceName?: string) =>
      matchPackage(local, { ecosystem: 'deb', name, version: v, sourceName }).map((h) => h.id);
    assert.deepEqual(m('3.0.11-1~deb12u2'), ['DSA-0000-1']);
    assert.deepEqual(m('3.0.15-1~deb12u0'), ['DSA-0000-1']);
    assert.deepEqual(m('3.0.15-1~deb12u1'), []);
    assert.deepEqual(m('3.0.15-1'), []);
    assert.deepEqual(m('3.0.11-1~deb12u2', 'libssl3', 'openssl'), ['DSA-0000-1']);
    assert.deepEqual(m('3.0.11-1~deb12u2', 'libssl3'), []);
  });

  it('applies Debian advisories per release when the image says which it is', () => {
    const perRelease = advisoryDbFrom([
      compileOsv({
        id: 'DSA-0000-2',
        modified: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'Debian:11', name: 'openssl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1w-0+deb11u1' }] }],
          },
          {
            package: { ecosystem: 'Debian:12', name: 'openssl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.11-1~deb12u1' }] }],
          },
        ],
      }) as Advisory,
    ]);
    const m = (version: string, debianRelease?: string) =>
      matchPackage(perRelease, { ecosystem: 'deb', name: 'openssl', version, debianRelease }).map(
        (h) => h.id,
      );
    // bullseye's fixed build is below bookworm's fix: only the release tells them apart.
    assert.deepEqual(m('1.1.1w-0+deb11u1', '11'), []);
    assert.deepEqual(m('1.1.1w-0+deb11u1'), ['DSA-0000-2']);
    assert.deepEqual(m('1.1.1n-0+deb11u5', '11'), ['DSA-0000-2']);
    assert.deepEqual(m('3.0.9-1', '12'), ['DSA-0000-2']);
    assert.deepEqual(m('3.0.11-1~deb12u1', '12'), []);
  });
});
