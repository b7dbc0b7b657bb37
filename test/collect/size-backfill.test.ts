import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DatasetSample, loadDataset, writeDataset } from '../../activities/collect/dataset';
import {
  addSizeSignatures,
  declaredFromReleases,
  type ReleaseFiles,
} from '../../activities/collect/size-backfill';
import { tempDir } from '../harness/process';

describe('backfilling size signatures and declared versions', () => {
  const sample = (
    id: string,
    ecosystem: DatasetSample['ecosystem'],
    method: DatasetSample['method'],
    labels: string[],
    extra: Partial<DatasetSample> = {},
  ): DatasetSample => ({
    id,
    split: 'train',
    ecosystem,
    variant: { npm: 'npm/global', pypi: 'pypi/system', deb: 'deb/dpkg' }[ecosystem],
    method,
    labels,
    ...extra,
    tags: { [id]: 1 },
  });

  it('names one version per release directory, npm only', () => {
    assert.deepEqual(
      declaredFromReleases(['npm:gopd==1.0.1', 'npm:gopd==1.2.0', 'npm:@s/b==2', 'pypi:six==1']),
      {
        'npm:@s/b': ['2'],
        'npm:gopd': ['1.0.1', '1.2.0'],
      },
    );
  });

  it('signs static and container npm samples from their releases, keeps what a layer gave, leaves the rest alone', async () => {
    const dir = tempDir('backfill');
    const samples = [
      sample('static', 'npm', 'static', ['npm:gopd==1.0.1'], { also: ['npm:gopd==1.2.0'] }),
      sample('container', 'npm', 'container', ['npm:debug==4.4.3'], { also: ['npm:ms==2.1.3'] }),
      sample('sized', 'npm', 'container', ['npm:ms==2.1.3'], {
        sizeSignatures: { 'npm:ms': ['from-layer'] },
      }),
      sample('pip-container', 'pypi', 'container', ['pypi:six==1.17.0']),
      sample('unreadable', 'pypi', 'static', ['pypi:gone==1.0']),
      sample('deb', 'deb', 'static', ['deb:curl==8']),
      sample('base', 'npm', 'static', []),
    ];
    await writeDataset(dir, {
      manifest: {
        schema: 'praxi.dataset/v1',
        created: 'now',
        tokenizer: { name: 'columbus', version: '1' },
        split: 'x',
        samples: samples.length,
        failures: 0,
      },
      samples,
      failures: [],
    });
    const asked: string[] = [];
    const releases: ReleaseFiles = {
      async npm(label) {
        asked.push(label);
        return `sig(${label})`;
      },
      async pypi(label) {
        asked.push(label);
        throw new Error('404 from the registry');
      },
    };
    const r = await addSizeSignatures(dir, releases, { concurrency: 2 });
    assert.deepEqual(
      asked.sort(),
      ['npm:debug==4.4.3', 'npm:gopd==1.0.1', 'npm:gopd==1.2.0', 'npm:ms==2.1.3', 'pypi:gone==1.0'],
      'the PyPI container sample and the Debian one ask for nothing',
    );
    assert.deepEqual(r.failed, ['pypi:gone==1.0: 404 from the registry']);
    assert.equal(r.declared, 3);
    const back = new Map((await loadDataset(dir)).samples.map((s) => [s.id, s]));
    assert.deepEqual(back.get('static')?.sizeSignatures, {
      'npm:gopd': ['sig(npm:gopd==1.0.1)', 'sig(npm:gopd==1.2.0)'],
    });
    assert.deepEqual(back.get('static')?.declaredVersions, { 'npm:gopd': ['1.0.1', '1.2.0'] });
    assert.deepEqual(back.get('container')?.sizeSignatures, {
      'npm:debug': ['sig(npm:debug==4.4.3)'],
      'npm:ms': ['sig(npm:ms==2.1.3)'],
    });
    assert.deepEqual(back.get('container')?.declaredVersions, {
      'npm:debug': ['4.4.3'],
      'npm:ms': ['2.1.3'],
    });
    assert.deepEqual(back.get('sized')?.sizeSignatures, { 'npm:ms': ['from-layer'] });
    for (const id of ['pip-container', 'unreadable', 'deb', 'base']) {
      assert.deepEqual(
        back.get(id),
        samples.find((s) => s.id === id),
        `${id} is unchanged`,
      );
    }
    assert.equal(r.signed, 3);
    assert.equal(r.unsigned, 2, 'the PyPI container sample and the unreadable release');
  });
});
