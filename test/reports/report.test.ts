import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  formatReportTable,
  type ImageReport,
  purlOf,
  readCycloneDx,
  readReport,
  reportKeys,
  reportSchemaErrors,
  toCycloneDx,
  writeReport,
} from '../../activities/reports';
import { advisoryDbFrom, assessImage, buildLatestIndex, loadAdvisories } from '../../activities/risk';
import { isPraxiError } from '../../activities/errors';
import { LocalStore } from '../../activities/store';
import { tempDir } from '../harness/process';

const DIGEST = 'sha256:' + 'd'.repeat(64);
const L0 = 'sha256:' + '0'.repeat(64);
const L1 = 'sha256:' + '1'.repeat(64);
let report: ImageReport;

before(async () => {
  const db = advisoryDbFrom((await loadAdvisories()).advisories, 'pypa snapshot');
  const latest = buildLatestIndex([
    ...['2.0.0', '2.1.0', '2.2.0', '2.3.0', '3.0.0'].map((version) => ({
      ecosystem: 'npm' as const,
      name: 'left-pad',
      version,
    })),
  ]);
  report = assessImage(
    {
      image: '127.0.0.1:5000/demo/app:1',
      repository: '127.0.0.1:5000/demo/app',
      manifestDigest: DIGEST,
      platform: 'linux/amd64',
      distro: { id: 'debian', versionId: '12', codename: 'bookworm' },
      modelVersion: 'm-2026-11-27',
      createdAt: '2026-11-27T10:00:00.000Z',
      layers: [
        {
          index: 0,
          digest: L0,
          findings: [
            {
              ecosystem: 'deb',
              name: 'curl',
              version: '7.88.1-10+deb12u8',
              score: 1,
              evidence: 'metadata',
              locations: ['var/lib/dpkg/status'],
            },
          ],
        },
        {
          index: 1,
          digest: L1,
          findings: [
            {
              ecosystem: 'pypi',
              name: 'werkzeug',
              version: '3.0.0',
              score: 1,
              evidence: 'both',
              expert: 'e3',
              mlScore: 0.93,
            },
            { ecosystem: 'pypi', name: 'flask', version: '3.0.3', score: 0.71, evidence: 'ml', expert: 'e3' },
            {
              ecosystem: 'npm',
              name: 'left-pad',
              version: '2.0.0',
              score: 0.66,
              evidence: 'ml',
              expert: 'e9',
            },
            { ecosystem: 'npm', name: '@babel/core', version: '7.24.0', score: 1, evidence: 'metadata' },
          ],
        },
        {
          index: 2,
          digest: 'sha256:' + '2'.repeat(64),
          findings: [],
          error: { code: 'CORRUPT_CONTENT', message: 'truncated gzip' },
        },
      ],
      timings: { pull: 120, infer: 80 },
    },
    { db, latest, policy: { versionsBehind: 3, daysBehind: 365 }, defaultSeverity: 'MODERATE' },
  );
});

describe('image report v1', () => {
  it('lists vulnerabilities and outdated packages with the finding they concern', () => {
    const werkzeug = report.vulnerabilities.find((v) => v.advisoryId === 'PYSEC-2023-221');
    assert.deepEqual(
      [werkzeug?.layerIndex, werkzeug?.name, werkzeug?.severity, werkzeug?.fixed, werkzeug?.evidence],
      [1, 'werkzeug', 'HIGH', ['2.3.8', '3.0.1'], 'both'],
    );
    assert.ok(
      report.vulnerabilities.every((v) => v.name === 'werkzeug'),
      'no advisory for the other findings in the PyPI snapshot',
    );
    assert.deepEqual(
      report.outdated.map((o) => [o.name, o.version, o.latest, o.versionsBehind]),
      [['left-pad', '2.0.0', '3.0.0', 4]],
    );
    assert.equal(typeof report.timings.risk, 'number');
  });

  it('validates against its JSON Schema, and the schema rejects a broken report', () => {
    assert.deepEqual(reportSchemaErrors(report), []);
    assert.deepEqual(reportSchemaErrors(JSON.parse(JSON.stringify(report))), []);
    const broken = structuredClone(report) as unknown as Record<string, unknown> & {
      layers: Array<{ findings: Array<Record<string, unknown>> }>;
    };
    const uncertain = structuredClone(report) as unknown as typeof broken;
    Object.assign(uncertain.layers[1].findings[0], {
      versionUncertain: true,
      alternatives: [{ version: '1', score: 0 }],
    });
    assert.deepEqual(reportSchemaErrors(uncertain), []);
    broken.layers[1].findings[0].evidence = 'guess';
    broken.manifestDigest = 'sha256:short';
    delete broken.timings;
    const errors = reportSchemaErrors(broken);
    assert.ok(
      errors.some((e) => e.startsWith('/layers/1/findings/0/evidence')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.startsWith('/manifestDigest')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /timings/.test(e)),
      errors.join('\n'),
    );
  });

  it('keeps the names `scan --json` prints', () => {
    for (const k of ['image', 'manifestDigest', 'modelVersion', 'layers', 'alarms', 'timings'])
      assert.ok(k in report, k);
    for (const k of ['index', 'digest', 'findings']) assert.ok(k in report.layers[0], k);
    for (const k of ['ecosystem', 'name', 'version', 'score', 'evidence'])
      assert.ok(k in report.layers[0].findings[0], k);
  });
});

describe('CycloneDX 1.5 SBOM', () => {
  it('has the 1.5 shape, purls per ecosystem, and praxi provenance as properties', () => {
    const bom = toCycloneDx(report) as {
      bomFormat: string;
      specVersion: string;
      serialNumber: string;
      version: number;
      metadata: { component: { type: string; name: string; version: string } };
      components: Array<{
        type: string;
        'bom-ref': string;
        name: string;
        version: string;
        purl: string;
        properties: Array<{ name: string; value: string }>;
      }>;
      vulnerabilities: Array<{
        id: string;
        ratings: Array<{ severity: string; score?: number }>;
        affects: Array<{ ref: string }>;
      }>;
    };
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.equal(bom.specVersion, '1.5');
    assert.match(
      bom.serialNumber,
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(bom.version, 1);
    assert.deepEqual([bom.metadata.component.type, bom.metadata.component.version], ['container', DIGEST]);
    assert.deepEqual(
      bom.components.map((c) => c.purl),
      [
        'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u8',
        'pkg:pypi/werkzeug@3.0.0',
        'pkg:pypi/flask@3.0.3',
        'pkg:npm/left-pad@2.0.0',
        'pkg:npm/%40babel/core@7.24.0',
      ],
    );
    const refs = new Set(bom.components.map((c) => c['bom-ref']));
    assert.equal(refs.size, bom.components.length, 'bom-refs are unique');
    const werkzeug = bom.components.find((c) => c.name === 'werkzeug');
    const prop = (n: string) => werkzeug?.properties.find((p) => p.name === n)?.value;
    assert.deepEqual(
      [prop('praxi:layerDigest'), prop('praxi:evidence'), prop('praxi:score'), prop('praxi:expert')],
      [L1, 'both', '1.0000', 'e3'],
    );
    const v = bom.vulnerabilities.find((x) => x.id === 'PYSEC-2023-221');
    assert.deepEqual(v?.ratings[0], { severity: 'high', score: 7.5, method: 'CVSSv31' });
    assert.ok(v && refs.has(v.affects[0].ref), 'a vulnerability points at a component');
    assert.equal(
      purlOf({ ecosystem: 'pypi', name: 'Zope.Interface', version: '1!2.0' }),
      'pkg:pypi/zope-interface@1!2.0',
    );
  });
});

describe('report table and store layout', () => {
  it('prints one row per finding with its advisories, and the layer error', () => {
    const table = formatReportTable(report);
    assert.match(table, /^image {5}127\.0\.0\.1:5000\/demo\/app:1$/m);
    assert.match(table, /^1 +pypi +werkzeug +3\.0\.0 +both +1\.00 +.*PYSEC-2023-221 HIGH \(fixed 2\.3\.8\)/m);
    assert.match(table, /^1 +npm +left-pad +2\.0\.0 +ml +0\.66 +outdated: latest 3\.0\.0, 4 behind$/m);
    assert.match(table, /^2 +- .*error CORRUPT_CONTENT: truncated gzip$/m);
    assert.match(table, /5 packages in 3 layers; \d+ vulnerabilities \(critical \d+, high \d+/);
  });

  it('writes report, SBOM and inventory under the documented keys and reads them back', async () => {
    const store = new LocalStore(tempDir('reports'));
    const keys = await writeReport(store, report);
    const hex = 'd'.repeat(64);
    assert.deepEqual(keys, {
      report: `reports/sha256/${hex}/report.json`,
      cyclonedx: `reports/sha256/${hex}/cyclonedx.json`,
      inventory: `inventories/sha256/${hex}.json`,
      alarmsPrefix: `alarms/sha256/${hex}/`,
    });
    assert.deepEqual(await readReport(store, DIGEST), report);
    assert.equal((await readCycloneDx(store, DIGEST)).specVersion, '1.5');
    const inventory = JSON.parse((await store.get(keys.inventory)).toString());
    assert.equal(inventory.packages.length, 5);
    await assert.rejects(
      readReport(store, 'sha256:' + 'e'.repeat(64)),
      (e) => isPraxiError(e) && e.code === 'KEY_NOT_FOUND',
    );
    assert.throws(
      () => reportKeys('latest'),
      (e) => isPraxiError(e) && e.code === 'BAD_INPUT',
    );
  });
});
