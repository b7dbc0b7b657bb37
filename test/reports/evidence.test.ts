import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { readLayer } from '../../activities/layers/reader';
import { RECORDS_MAX_CONTENT_BYTES, recordsFromContents, wantContent } from '../../activities/records';
import { type MlFinding, mergeEvidence } from '../../activities/reports';

/** A gzipped layer tar made here: the files `pip install requests==2.32.3` and `apt-get install curl` leave. */
async function layer(files: Record<string, string>): Promise<Readable> {
  const p = pack();
  for (const [name, content] of Object.entries(files))
    p.entry({ name, size: Buffer.byteLength(content) }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p.pipe(createGzip())) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

const SITE = 'usr/local/lib/python3.11/site-packages';
const installed = {
  [`${SITE}/requests/__init__.py`]: '# requests\n',
  [`${SITE}/requests/api.py`]: 'def get(): pass\n',
  [`${SITE}/requests-2.32.3.dist-info/METADATA`]:
    'Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n\nlong text',
  [`${SITE}/requests-2.32.3.dist-info/RECORD`]: 'requests/__init__.py,,\n',
  [`${SITE}/idna/__init__.py`]: '',
  [`${SITE}/idna-3.7.dist-info/METADATA`]: 'Metadata-Version: 2.1\nName: idna\nVersion: 3.7\n',
  [`${SITE}/urllib3/__init__.py`]: '',
  [`${SITE}/urllib3-2.2.2.dist-info/METADATA`]: 'Metadata-Version: 2.1\nName: urllib3\nVersion: 2.2.2\n',
  'usr/bin/curl': 'ELF',
  'var/lib/dpkg/status':
    'Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u8\nSource: curl\n',
  'var/lib/dpkg/info/curl.list': '/usr/bin/curl\n',
};
const stripped = Object.fromEntries(
  Object.entries(installed).filter(([p]) => !p.includes('.dist-info/') && !p.startsWith('var/lib/dpkg/')),
);

/** What the model predicts from the paths alone (the same for both layers: the paths it learned are there). */
const ml: MlFinding[] = [
  { ecosystem: 'pypi', name: 'requests', version: '2.32.3', score: 0.91, expert: 'e07' },
  { ecosystem: 'pypi', name: 'idna', version: '3.6', score: 0.62, expert: 'e02' },
  { ecosystem: 'pypi', name: 'flask', version: '3.0.3', score: 0.55, expert: 'e11' },
];

async function findingsOf(files: Record<string, string>) {
  const read = await readLayer(await layer(files), {
    layerDigest: 'sha256:' + 'a'.repeat(64),
    wantContent,
    maxContentBytes: RECORDS_MAX_CONTENT_BYTES,
  });
  const records = recordsFromContents(read.contents);
  return { read, records, findings: mergeEvidence(ml, records) };
}

describe('hybrid evidence from one layer stream', () => {
  it('a layer with records: reads only record files, and merges them with the model', async () => {
    const { read, records, findings } = await findingsOf(installed);
    assert.deepEqual(read.contents.map((c) => c.path).sort(), [
      `${SITE}/idna-3.7.dist-info/METADATA`,
      `${SITE}/requests-2.32.3.dist-info/METADATA`,
      `${SITE}/urllib3-2.2.2.dist-info/METADATA`,
      'var/lib/dpkg/status',
    ]);
    assert.equal(records.length, 4);
    const by = new Map(findings.map((f) => [`${f.ecosystem}:${f.name}`, f]));
    // Agreement: both, the record's certainty, the model's score kept.
    assert.deepEqual(
      [
        by.get('pypi:requests')?.evidence,
        by.get('pypi:requests')?.score,
        by.get('pypi:requests')?.mlScore,
        by.get('pypi:requests')?.expert,
      ],
      ['both', 1, 0.91, 'e07'],
    );
    // Disagreement on the version: the record wins, the model's version is noted.
    assert.equal(by.get('pypi:idna')?.version, '3.7');
    assert.equal(by.get('pypi:idna')?.evidence, 'metadata');
    assert.deepEqual(by.get('pypi:idna')?.alternatives, [{ version: '3.6', score: 0.62, expert: 'e02' }]);
    // Record only, model only.
    assert.deepEqual([by.get('pypi:urllib3')?.evidence, by.get('pypi:urllib3')?.score], ['metadata', 1]);
    assert.deepEqual(by.get('deb:curl')?.locations, ['var/lib/dpkg/status']);
    assert.deepEqual([by.get('pypi:flask')?.evidence, by.get('pypi:flask')?.score], ['ml', 0.55]);
    assert.equal(findings.length, 5);
  });

  it('a layer stripped of its records still gets the model findings, and only those', async () => {
    const { read, records, findings } = await findingsOf(stripped);
    assert.deepEqual(read.contents, []);
    assert.deepEqual(records, []);
    assert.deepEqual(
      findings.map((f) => `${f.name}==${f.version} ${f.evidence} ${f.score}`),
      ['flask==3.0.3 ml 0.55', 'idna==3.6 ml 0.62', 'requests==2.32.3 ml 0.91'],
    );
  });

  it('keeps the more confident of two experts predicting the same label, and normalizes names', () => {
    const f = mergeEvidence(
      [
        { ecosystem: 'pypi', name: 'PyYAML', version: '6.0', score: 0.6, expert: 'a' },
        { ecosystem: 'pypi', name: 'pyyaml', version: '6.0', score: 0.8, expert: 'b' },
      ],
      [],
    );
    assert.deepEqual(f, [
      { ecosystem: 'pypi', name: 'pyyaml', version: '6.0', score: 0.8, evidence: 'ml', expert: 'b' },
    ]);
  });

  it('keeps an uncertain version uncertain, with the versions it could also be', () => {
    const f = mergeEvidence(
      [
        {
          ecosystem: 'npm',
          name: 'chalk',
          version: '5.6.2',
          score: 0.7,
          expert: 'e',
          versionUncertain: true,
          alternatives: [{ version: '5.5.0', score: 0 }],
        },
      ],
      [],
    );
    assert.equal(f[0].versionUncertain, true);
    assert.deepEqual(f[0].alternatives, [{ version: '5.5.0', score: 0 }]);
  });
});
