import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tagset } from '../../activities/tagging/tagset';
import { tokenizePaths } from '../../activities/tagging/columbus';
import { DEFAULT_TRAIN_OPTIONS } from '../../models/train/index';
import { debNameRank, debPackagesRecorded, distinctColumns, TrainingIndex } from '../../models/train/plan';
import { MISSING } from '../../models/xgboost/booster';

/**
 * Debian packages installed alone (`dpkg -i` of one file): the layer has the package's own files and
 * dpkg's records of it, none of the dependencies its other installs brought along.
 */
const TOK = { name: 'columbus', version: '1-t1-n1' } as const;
const layer = (paths: string[], labels: string[], also?: string[]): Tagset => ({
  schema: 'praxi.tagset/v1',
  tokenizer: TOK,
  tags: tokenizePaths(paths),
  labels,
  ...(also ? { also } : {}),
});
const info = (pkg: string) => ['md5sums', 'list'].map((f) => `var/lib/dpkg/info/${pkg}.${f}`);
const cmakeOwn = [
  ...info('cmake'),
  'usr/bin/cmake',
  'usr/bin/ctest',
  'usr/bin/cpack',
  'usr/share/doc/cmake/copyright',
  'usr/share/man/man1/cmake.1.gz',
];
/** cmake-data: in every training layer of cmake (apt brings it), and in no other. */
const cmakeData = [
  ...info('cmake-data'),
  'usr/share/cmake-3.25/Modules/010-cmake.cmake',
  'usr/share/cmake-3.25/Modules/FindZLIB.cmake',
];

describe('Debian packages installed alone', () => {
  it('ranks dpkg records of a package above other tags that name it, and only its own name', () => {
    const pkgs = new Set(['deb:cmake', 'deb:libatk1.0-0', 'deb:at', 'pypi:cmake']);
    assert.equal(debNameRank('cmake.md5sum', pkgs), 2);
    assert.equal(debNameRank('cmake.lis', pkgs), 2);
    // Multi-arch packages' records are `NAME:amd64.md5sums`; the tokenizer deletes the colon.
    assert.equal(debNameRank('libatk1.0-0amd64.md5sum', pkgs), 2);
    assert.equal(debNameRank('libatk1.0-0amd64.shlib', pkgs), 1);
    assert.equal(debNameRank('cmake', pkgs), 1);
    assert.equal(debNameRank('cmake.1.g', pkgs), 1);
    // `at` is not `at-spi2-common`, and `cmake-data` is another package.
    assert.equal(debNameRank('at-s', pkgs), 0);
    assert.equal(debNameRank('cmake-data.md5sum', pkgs), 0);
    assert.equal(debNameRank('010-', pkgs), 0);
    // Only Debian names: a PyPI package of the same name ranks nothing.
    assert.equal(debNameRank('cmake.md5sum', new Set(['pypi:cmake'])), 0);
  });

  it('reads which known packages a layer holds from its dpkg records', () => {
    const tags = tokenizePaths([
      ...info('libssl3:amd64'),
      ...info('cmake'),
      ...info('unknown'),
      'usr/bin/cmake',
    ]);
    assert.ok(Object.hasOwn(tags, 'libssl3amd64.md5sum'), Object.keys(tags).join(','));
    const known = new Set(['deb:libssl3', 'deb:cmake', 'deb:jq', 'pypi:unknown', 'pypi:cmake']);
    assert.deepEqual(debPackagesRecorded(tags, known), ['deb:cmake', 'deb:libssl3']);
  });

  it('keeps the preferred column of identical ones, in the place of the first, with the same values', () => {
    const m = MISSING;
    // Columns 0, 2 and 3 are identical; column 1 differs.
    const x = { rows: 3, cols: 4, data: Float32Array.from([1, 1, 1, 1, m, 1, m, m, 1, m, 1, 1]) };
    assert.deepEqual(distinctColumns(x).kept, [0, 1]);
    const { matrix, kept } = distinctColumns(x, (c) => [0, 0, 1, 2][c]);
    assert.deepEqual(kept, [3, 1]);
    assert.deepEqual(matrix, distinctColumns(x).matrix);
    // Ties keep the first.
    assert.deepEqual(distinctColumns(x, (c) => [0, 0, 1, 1][c]).kept, [2, 1]);
  });

  const others = ['jq', 'curl', 'git', 'vim', 'less'].flatMap((p) => [
    layer([...info(p), `usr/bin/${p}`, `usr/share/doc/${p}/copyright`], [`deb:${p}==1`]),
    layer([...info(p), `usr/bin/${p}`, `usr/share/doc/${p}/changelog.gz`], [`deb:${p}==1`]),
  ]);
  const cmake = ['apt', 'norec', 'clean'].map((v) =>
    layer(
      [...cmakeOwn, ...cmakeData, `var/log/${v}/history.log`],
      ['deb:cmake==3.25'],
      ['deb:cmake-data==3.25'],
    ),
  );

  it('lets a tag that names the package stand for the columns its dependency always shares with it', () => {
    const index = new TrainingIndex([...cmake, ...others]);
    const job = index.job(['deb:cmake==3.25'], { ...DEFAULT_TRAIN_OPTIONS, hardNegatives: 20 }, 0);
    // cmake-data's `010-` sorts first of the group it makes with cmake's records: it used to be kept.
    assert.ok(!job.vocabulary.some((t) => t.startsWith('010')), job.vocabulary.join(','));
    assert.ok(job.vocabulary.includes('cmake.lis'), job.vocabulary.join(','));
  });

  it('uses no base-image layer as a negative for a package its dpkg records show it holds', () => {
    const base = (pkgs: string[]) =>
      layer([...pkgs.flatMap(info), 'etc/passwd', 'usr/bin/bash', ...pkgs.map((p) => `usr/bin/${p}`)], []);
    const o = { ...DEFAULT_TRAIN_OPTIONS, hardNegatives: 20, randomNegatives: 8 };
    const negatives = (bases: Tagset[]) =>
      new TrainingIndex([...others, ...bases]).job(['deb:jq==1'], o, 0).negatives;
    const without = negatives([base(['curl']), base(['git'])]);
    // The same two base layers, one of them holding jq: it is no longer a negative for jq.
    assert.equal(negatives([base(['curl']), base(['git', 'jq'])]), without - 1);
    // Nor a multi-arch package's (records named `NAME:amd64`).
    assert.equal(negatives([base(['curl']), base(['git', 'jq:amd64'])]), without - 1);
    // A base layer holding another package still is one.
    assert.equal(negatives([base(['curl']), base(['git', 'vim'])]), without);
  });
});
