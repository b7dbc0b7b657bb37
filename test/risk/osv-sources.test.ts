import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { isPraxiError } from '../../activities/errors';
import { openAdvisoryDb, readPointer, syncAdvisories } from '../../activities/risk/advisory-db';
import { matchPackage } from '../../activities/risk/match';
import { defaultAdvisorySource, displaySource, loadAdvisories } from '../../activities/risk/osv';
import { LocalStore } from '../../activities/store';
import { tempDir } from '../harness/process';
import { makeZip } from './zip-file';

const osv = (id: string, name: string, fixed: string, ecosystem = 'PyPI') => ({
  id,
  modified: '2024-05-01T00:00:00Z',
  affected: [
    {
      package: { ecosystem, name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    },
  ],
});
const yamlOsv = (id: string, name: string, fixed: string) =>
  `id: ${id}\nmodified: "2024-05-01T00:00:00Z"\naffected:\n- package:\n    name: ${name}\n    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: "0"\n    - fixed: ${fixed}\n`;

describe('OSV sources', () => {
  it('loads a directory of YAML and JSON, keeping unquoted YAML versions as written', async () => {
    const dir = tempDir('osv-dir');
    mkdirSync(path.join(dir, 'vulns', 'demo'), { recursive: true });
    writeFileSync(
      path.join(dir, 'vulns', 'demo', 'PYSEC-9999-1.yaml'),
      yamlOsv('PYSEC-9999-1', 'demo', '1.10'),
    );
    writeFileSync(
      path.join(dir, 'vulns', 'demo', 'GHSA-xxxx-0001.json'),
      JSON.stringify(osv('GHSA-xxxx-0001', 'Demo_Pkg', '2.0')),
    );
    writeFileSync(path.join(dir, 'vulns', 'demo', 'broken.yaml'), 'id: [unclosed');
    writeFileSync(path.join(dir, 'vulns', 'demo', 'go.json'), JSON.stringify(osv('GO-1', 'x', '1.0', 'Go')));
    writeFileSync(path.join(dir, 'README.md'), '# not an advisory');
    const r = await loadAdvisories(dir);
    assert.deepEqual(
      r.advisories.map((a) => a.id),
      ['GHSA-xxxx-0001', 'PYSEC-9999-1'],
    );
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0].file, /broken\.yaml/);
    assert.equal(r.skipped, 1, 'the Go advisory is read and skipped');
    const fixed = r.advisories[1].affected[0].ranges[0].events[1];
    assert.deepEqual(fixed, { fixed: '1.10' }, 'not the number 1.1');
    assert.equal(r.advisories[0].affected[0].name, 'demo-pkg');
  });

  it('loads a zip, from a file and from a loopback URL', async () => {
    const zip = makeZip([
      {
        name: 'GHSA-aaaa-0001.json',
        data: JSON.stringify(osv('GHSA-aaaa-0001', 'left-pad', '1.3.0', 'npm')),
      },
      {
        name: 'DSA-1-1.json',
        data: JSON.stringify(osv('DSA-1-1', 'curl', '7.88.1-10+deb12u5', 'Debian:12')),
      },
      { name: 'nested/PYSEC-1-1.yaml', data: yamlOsv('PYSEC-1-1', 'demo', '1.0') },
    ]);
    const file = path.join(tempDir('osv-zip'), 'all.zip');
    writeFileSync(file, zip);
    const fromFile = await loadAdvisories(file);
    assert.deepEqual(
      fromFile.advisories.map((a) => a.id),
      ['DSA-1-1', 'GHSA-aaaa-0001', 'PYSEC-1-1'],
    );
    assert.deepEqual(
      fromFile.advisories.map((a) => a.affected[0].ecosystem),
      ['deb', 'npm', 'pypi'],
    );

    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      if (req.url === '/osv/all.zip') res.writeHead(200, { 'content-type': 'application/zip' }).end(zip);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fromUrl = await loadAdvisories(`${base}/osv/all.zip`);
    assert.deepEqual(fromUrl.advisories, fromFile.advisories);
    await assert.rejects(
      loadAdvisories(`${base}/missing.zip`),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND',
    );
    assert.equal(requests, 2);
    // Tokens in a source URL are never stored or shown.
    assert.equal(displaySource(`${base}/osv/all.zip?token=s3cret`).includes('s3cret'), false);
    assert.equal(displaySource('https://user:pw@mirror.test/all.zip'), 'https://mirror.test/all.zip');
  });

  it('says clearly when a source is missing or holds nothing usable', async () => {
    await assert.rejects(
      loadAdvisories('/nonexistent/osv'),
      (e) => isPraxiError(e) && e.code === 'NOT_FOUND' && /does not exist/.test(e.message),
    );
    const corrupt = path.join(tempDir('osv-corrupt'), 'all.zip');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 7)]));
    await assert.rejects(
      loadAdvisories(corrupt),
      (e) => isPraxiError(e) && e.code === 'CORRUPT_CONTENT' && !e.retryable,
    );
    const tiny = path.join(tempDir('osv-tiny'), 'x.json');
    writeFileSync(tiny, '{}');
    await assert.rejects(loadAdvisories(tiny), (e) => isPraxiError(e) && e.code === 'BAD_INPUT');
    const empty = tempDir('osv-empty');
    writeFileSync(path.join(empty, 'x.json'), '{"id":"GO-1","affected":[]}');
    await assert.rejects(loadAdvisories(empty), (e) => isPraxiError(e) && e.code === 'BAD_INPUT');
  });

  it('syncs the real PyPI snapshot into a store in seconds, then reports only what changed', async () => {
    assert.equal(
      defaultAdvisorySource(),
      path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'pypa-advisory-database'),
    );
    const store = new LocalStore(tempDir('advisory-store'));
    const t0 = performance.now();
    const first = await syncAdvisories(store);
    const ms = performance.now() - t0;
    assert.ok(first.count > 2500, `the snapshot has over 2,500 PyPI advisories, got ${first.count}`);
    assert.equal(first.added.length, first.count);
    assert.ok(ms < 20_000, `sync took ${Math.round(ms)} ms`);
    const pointer = await readPointer(store);
    assert.equal(pointer?.digest, first.digest);
    assert.match(pointer?.credit ?? '', /CC-BY 4\.0/);

    const again = await syncAdvisories(store);
    assert.deepEqual([again.updated, again.added, again.digest], [false, [], first.digest]);

    const db = await openAdvisoryDb(store);
    assert.equal(db.advisories.length, first.count);
    assert.ok(
      matchPackage(db, { ecosystem: 'pypi', name: 'werkzeug', version: '2.3.7' }).some(
        (h) => h.id === 'PYSEC-2023-221',
      ),
    );
  });

  it('refuses to open a store that was never synced, saying what to run', async () => {
    const store = new LocalStore(tempDir('advisory-empty'));
    await assert.rejects(
      openAdvisoryDb(store),
      (e) => isPraxiError(e) && e.code === 'KEY_NOT_FOUND' && /advisories sync/.test(e.message),
    );
  });
});
