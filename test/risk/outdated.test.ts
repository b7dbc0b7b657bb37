import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import {
  buildLatestIndex,
  checkOutdated,
  fetchReleases,
  loadLatestFiles,
  mergeLatestIndexes,
} from '../../activities/risk/outdated';

const policy = { versionsBehind: 3, daysBehind: 365 };

describe('latest-version index and outdated check', () => {
  const index = buildLatestIndex([
    ...['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0rc1'].map((version) => ({
      ecosystem: 'pypi' as const,
      name: 'Demo_Pkg',
      version,
    })),
    { ecosystem: 'npm', name: 'dated', version: '1.0.0', released: '2022-01-01T00:00:00Z' },
    { ecosystem: 'npm', name: 'dated', version: '1.0.1', released: '2023-06-01T00:00:00Z' },
    { ecosystem: 'deb', name: 'curl', version: '7.88.1-10+deb12u5' },
    { ecosystem: 'deb', name: 'curl', version: '7.88.1-10+deb12u12' },
    { ecosystem: 'pypi', name: 'junk', version: 'not a version' },
  ]);

  it('takes the highest final release as latest, ordering versions per ecosystem', () => {
    assert.equal(
      index.get('pypi', 'demo-pkg')?.latest.version,
      '2.0.0',
      'the release candidate is not latest',
    );
    assert.equal(
      index.get('deb', 'curl')?.latest.version,
      '7.88.1-10+deb12u12',
      'u12 after u5, as dpkg orders',
    );
    assert.equal(index.get('pypi', 'junk'), undefined);
  });

  it('flags N versions behind, not fewer, not current ones, not unknown ones', () => {
    assert.deepEqual(
      checkOutdated(index, { ecosystem: 'pypi', name: 'demo-pkg', version: '1.0.0' }, policy),
      {
        latest: '2.0.0',
        versionsBehind: 3,
      },
    );
    assert.equal(
      checkOutdated(index, { ecosystem: 'pypi', name: 'demo-pkg', version: '1.1.0' }, policy),
      undefined,
    );
    assert.equal(
      checkOutdated(index, { ecosystem: 'pypi', name: 'demo-pkg', version: '2.0.0' }, policy),
      undefined,
    );
    assert.equal(
      checkOutdated(index, { ecosystem: 'pypi', name: 'demo-pkg', version: '3.0' }, policy),
      undefined,
    );
    assert.equal(
      checkOutdated(index, { ecosystem: 'pypi', name: 'other', version: '0.1' }, policy),
      undefined,
    );
    // A version the index never saw still counts the known releases after it.
    assert.equal(
      checkOutdated(index, { ecosystem: 'pypi', name: 'demo-pkg', version: '0.9' }, policy)?.versionsBehind,
      4,
    );
  });

  it('flags M days behind when both release dates are known', () => {
    assert.deepEqual(checkOutdated(index, { ecosystem: 'npm', name: 'dated', version: '1.0.0' }, policy), {
      latest: '1.0.1',
      versionsBehind: 1,
      daysBehind: 516,
    });
    assert.equal(
      checkOutdated(
        index,
        { ecosystem: 'npm', name: 'dated', version: '1.0.0' },
        { versionsBehind: 3, daysBehind: 600 },
      ),
      undefined,
    );
  });

  it('loads the shipped offline file (from the PyPI advisory snapshot)', () => {
    const shipped = loadLatestFiles();
    assert.ok(shipped.size > 500, `shipped index has ${shipped.size} packages`);
    const django = shipped.get('pypi', 'Django');
    assert.ok(django && django.versions.length > 50);
    assert.ok(checkOutdated(shipped, { ecosystem: 'pypi', name: 'django', version: '1.11' }, policy));
    const merged = mergeLatestIndexes(shipped, index);
    assert.equal(merged.size, shipped.size + 3);
  });

  it('asks a PyPI-style JSON API and an npm registry on loopback for releases with dates', async () => {
    const server = createServer((req, res) => {
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/pypi/demo/json')
        return json(200, {
          info: { version: '2.0' },
          releases: {
            '1.0': [{ upload_time_iso_8601: '2020-01-01T00:00:00Z' }],
            '2.0': [{ upload_time_iso_8601: '2024-01-01T00:00:00Z' }],
            '1.5': [{ upload_time_iso_8601: '2022-01-01T00:00:00Z', yanked: true }],
            '0.1': [],
          },
        });
      if (req.url === '/@scope%2fthing')
        return json(200, {
          versions: { '1.0.0': {}, '1.1.0': {} },
          time: { '1.0.0': '2021-01-01T00:00:00Z' },
        });
      if (req.url === '/busy/pypi/demo/json') return json(503, {});
      json(404, {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pypi = await fetchReleases('pypi', 'demo', base);
    assert.deepEqual(pypi.map((e) => [e.version, e.released]).sort(), [
      ['1.0', '2020-01-01T00:00:00Z'],
      ['2.0', '2024-01-01T00:00:00Z'],
    ]);
    const idx = buildLatestIndex(pypi);
    assert.deepEqual(checkOutdated(idx, { ecosystem: 'pypi', name: 'demo', version: '1.0' }, policy), {
      latest: '2.0',
      versionsBehind: 1,
      daysBehind: 1461,
    });
    const npm = await fetchReleases('npm', '@scope/thing', base);
    assert.deepEqual(
      npm.map((e) => e.version),
      ['1.0.0', '1.1.0'],
    );
    assert.deepEqual(await fetchReleases('pypi', 'missing', base), []);
    await assert.rejects(
      fetchReleases('pypi', 'demo', `${base}/busy`),
      (e) => isPraxiError(e) && e.retryable,
    );
  });
});
