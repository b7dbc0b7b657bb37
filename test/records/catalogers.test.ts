import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  dpkgCataloger,
  firstLayerOfRecords,
  debianReleaseOf,
  npmCataloger,
  osReleaseFromContents,
  pythonCataloger,
  recordsFromContents,
  wantContent,
} from '../../activities/records';

const METADATA = `Metadata-Version: 2.1
Name: requests
Version: 2.32.3
Summary: Python HTTP for Humans.
Classifier: Programming Language :: Python
Requires-Dist: urllib3 (<3,>=1.21.1)

# Requests
Name: not-this
Version: 0.0.0
`;

describe('python cataloger', () => {
  it('reads dist-info METADATA headers, not the description after them', () => {
    const p = 'usr/local/lib/python3.11/site-packages/requests-2.32.3.dist-info/METADATA';
    assert.equal(wantContent(p, METADATA.length), true);
    assert.deepEqual(pythonCataloger.parse(p, Buffer.from(METADATA)), [
      { ecosystem: 'pypi', name: 'requests', version: '2.32.3', path: p },
    ]);
  });

  it('reads egg-info PKG-INFO and bare egg-info files, and falls back to the directory name', () => {
    const pkgInfo = 'Metadata-Version: 1.1\nName: PyYAML\nVersion: 6.0\n';
    assert.deepEqual(
      recordsFromContents([
        { path: 'usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO', data: Buffer.from(pkgInfo) },
        {
          path: 'usr/lib/python3/dist-packages/crcmod-1.7.egg-info',
          data: Buffer.from('Name: crcmod\nVersion: 1.7\n'),
        },
        { path: './usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', data: Buffer.alloc(0) },
      ]).map((r) => `${r.name}==${r.version} ${r.path}`),
      [
        'PyYAML==6.0 usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO',
        'crcmod==1.7 usr/lib/python3/dist-packages/crcmod-1.7.egg-info',
        'six==1.16.0 usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA',
      ],
    );
  });

  it('wants only metadata files, and only up to its size bound', () => {
    assert.equal(wantContent('site-packages/requests-2.32.3.dist-info/RECORD', 100), false);
    assert.equal(wantContent('site-packages/requests/__init__.py', 100), false);
    assert.equal(wantContent('site-packages/requests-2.32.3.dist-info/METADATA', 2 * 1024 * 1024), false);
  });
});

describe('dpkg cataloger', () => {
  it("reads this machine's own dpkg database exactly as dpkg-query lists it", () => {
    const status = readFileSync('/var/lib/dpkg/status');
    const ours = dpkgCataloger
      .parse('var/lib/dpkg/status', status)
      .map((r) => `${r.name} ${r.version}`)
      .sort();
    const dpkg = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Package} ${Version}\\n'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('installed '))
      .map((l) => l.slice('installed '.length))
      .sort();
    assert.ok(dpkg.length > 50);
    // dpkg-query prints Package without its architecture qualifier, as the status file does.
    assert.deepEqual([...new Set(ours)], [...new Set(dpkg)]);
  });

  it('skips removed packages, keeps the source package, and reads status.d files', () => {
    const status = [
      'Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2\nDescription: SSL\n continued line',
      'Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0-1',
      'Package: never\nStatus: purge ok not-installed\nVersion: 2.0-1',
      'Package: broken\nStatus: install reinstreq half-installed\nVersion: 3.0-1',
      'Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u8',
    ].join('\n\n');
    assert.deepEqual(dpkgCataloger.parse('var/lib/dpkg/status', Buffer.from(status)), [
      {
        ecosystem: 'deb',
        name: 'libssl3',
        version: '3.0.11-1~deb12u2',
        path: 'var/lib/dpkg/status',
        sourceName: 'openssl',
      },
      { ecosystem: 'deb', name: 'curl', version: '7.88.1-10+deb12u8', path: 'var/lib/dpkg/status' },
    ]);
    assert.equal(wantContent('var/lib/dpkg/status.d/tzdata', 500), true);
    assert.equal(wantContent('var/lib/dpkg/status.d/tzdata.md5sums', 500), false);
    assert.equal(wantContent('var/lib/dpkg/status-old', 500), false);
    assert.deepEqual(
      recordsFromContents([
        {
          path: 'var/lib/dpkg/status.d/tzdata',
          data: Buffer.from('Package: tzdata\nVersion: 2024a-0+deb12u1\n'),
        },
      ]).map((r) => r.name),
      ['tzdata'],
    );
  });

  it('attributes a package to the first layer whose status file shows it', () => {
    const rec = (name: string) => ({
      ecosystem: 'deb' as const,
      name,
      version: '1',
      path: 'var/lib/dpkg/status',
    });
    assert.deepEqual(
      firstLayerOfRecords([
        [rec('base')],
        [rec('base'), rec('curl')],
        [rec('base'), rec('curl'), rec('git')],
      ]).map((l) => l.map((r) => r.name)),
      [['base'], ['curl'], ['git']],
    );
  });
});

describe('npm cataloger', () => {
  it('reads package roots at any depth and scope, not package.json files inside packages', () => {
    const yes = [
      'usr/lib/node_modules/npm/package.json',
      'app/node_modules/@babel/core/package.json',
      'app/node_modules/a/node_modules/b/package.json',
    ];
    const no = [
      'app/package.json',
      'app/node_modules/a/test/fixtures/package.json',
      'app/node_modules/@babel/core/lib/package.json',
      'app/node_modules/.bin/package.json',
      'app/node_modules/@scope/package.json',
    ];
    for (const p of yes) assert.equal(npmCataloger.matches(p), true, p);
    for (const p of no) assert.equal(npmCataloger.matches(p), false, p);
  });

  it("reads this project's own installed semver package as npm installed it", () => {
    const data = readFileSync(require.resolve('semver/package.json'));
    const [r] = recordsFromContents([{ path: 'app/node_modules/semver/package.json', data }]);
    assert.deepEqual(
      [r.ecosystem, r.name, r.version],
      ['npm', 'semver', JSON.parse(data.toString()).version],
    );
    assert.deepEqual(
      recordsFromContents([{ path: 'x/node_modules/broken/package.json', data: Buffer.from('{') }]),
      [],
    );
    assert.deepEqual(
      recordsFromContents([
        { path: 'x/node_modules/nover/package.json', data: Buffer.from('{"name":"nover"}') },
      ]),
      [],
    );
  });
});

describe('os-release', () => {
  it('reads the release from etc/os-release (over usr/lib/os-release) and names the Debian release', () => {
    const bookworm =
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
    assert.equal(wantContent('etc/os-release', bookworm.length), true);
    const os = osReleaseFromContents([
      { path: 'usr/lib/os-release', data: Buffer.from('ID=debian\nVERSION_ID="11"\n') },
      { path: 'etc/os-release', data: Buffer.from(bookworm) },
      { path: 'app/node_modules/x/package.json', data: Buffer.from('{}') },
    ]);
    assert.deepEqual(os, { id: 'debian', versionId: '12', codename: 'bookworm', path: 'etc/os-release' });
    assert.equal(debianReleaseOf(os), '12');
    assert.equal(debianReleaseOf({ id: 'ubuntu', versionId: '22.04' }), undefined);
    assert.equal(
      osReleaseFromContents([{ path: 'etc/os-release', data: Buffer.from('garbage') }]),
      undefined,
    );
    assert.deepEqual(recordsFromContents([{ path: 'etc/os-release', data: Buffer.from(bookworm) }]), []);
  });
});
