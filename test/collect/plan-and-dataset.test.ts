import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyInstallFailure } from '../../activities/collect/container-collector';
import {
  assignSplit,
  datasetStats,
  loadDataset,
  loadDatasetSummary,
  tagsLast,
  versionCeiling,
  writeDataset,
  type DatasetSample,
} from '../../activities/collect/dataset';
import { installedLabels } from '../../activities/collect/install-records';
import { debianVersion, newestPerMinor, seededRandom } from '../../activities/collect/plan';
import { makeRecipe } from '../../activities/collect/recipe';
import { jaccard, weightedJaccard } from '../../activities/collect/similarity';
import { debInstallPaths, mergedUsr } from '../../activities/collect/static/deb';
import { npmInstallPaths, type NpmPackageFiles } from '../../activities/collect/static/npm';
import { entriesFromPaths } from '../../activities/collect/static/static-changeset';
import { signatureOf, sizeSignatures } from '../../activities/tagging/size-signatures';
import { parseEntryPoints, wheelInstallPaths, wheelRank } from '../../activities/collect/static/pypi';
import { variantByName, VARIANTS } from '../../activities/collect/variants';
import { isPraxiError } from '../../activities/errors';
import { tempDir } from '../harness/process';

const pkg = (name: string, version: string) => ({ ecosystem: 'pypi' as const, name, version });

/** An npm release as the static collector reads it from its tarball: files with their sizes, bin names. */
function npmRelease(
  name: string,
  version: string,
  files: Record<string, number>,
  bin: string[] = [],
): NpmPackageFiles {
  return { name, version, files: Object.keys(files), sizes: Object.values(files), bin };
}

describe('recipes and variants', () => {
  it('gives stable ids that depend on what is installed, not on the order packages are listed', () => {
    const a = makeRecipe({
      kind: 'install',
      ecosystem: 'pypi',
      variant: 'pypi/user',
      method: 'static',
      packages: [pkg('a', '1'), pkg('b', '2')],
    });
    const b = makeRecipe({
      kind: 'install',
      ecosystem: 'pypi',
      variant: 'pypi/user',
      method: 'static',
      packages: [pkg('b', '2'), pkg('a', '1')],
    });
    const c = makeRecipe({
      kind: 'install',
      ecosystem: 'pypi',
      variant: 'pypi/system',
      method: 'static',
      packages: [pkg('a', '1'), pkg('b', '2')],
    });
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.match(a.id, /^pypi-user-static-a==1-plus1-[0-9a-f]{16}$/);
  });

  it('has at least 3 variants per ecosystem, each a different install prefix or method', () => {
    for (const eco of ['pypi', 'npm', 'deb']) {
      const vs = VARIANTS.filter((v) => v.ecosystem === eco);
      assert.ok(vs.length >= 3, eco);
      assert.equal(
        new Set(vs.map((v) => v.installCommand([{ ecosystem: eco as 'pypi', name: 'x', version: '1' }])))
          .size,
        vs.length,
      );
    }
  });

  it('refuses names that could inject shell commands', () => {
    assert.throws(
      () => variantByName('pypi/system').installCommand([pkg("x'; rm -rf /; '", '1')]),
      (e) => isPraxiError(e) && e.code === 'BAD_INPUT',
    );
  });
});

describe('static path mapping', () => {
  it('ranks wheels as pip on CPython 3.11 / glibc 2.36 would', () => {
    assert.ok(
      wheelRank('x-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl') >
        wheelRank('x-1-cp38-abi3-manylinux_2_17_x86_64.whl'),
    );
    assert.ok(wheelRank('x-1-cp38-abi3-manylinux_2_17_x86_64.whl') > wheelRank('x-1-py3-none-any.whl'));
    assert.equal(wheelRank('x-1-cp312-cp312-manylinux_2_17_x86_64.whl'), -1);
    assert.equal(wheelRank('x-1-cp311-cp311-manylinux_2_39_x86_64.whl'), -1, 'glibc newer than bookworm');
    assert.equal(wheelRank('x-1-cp311-cp311-musllinux_1_1_x86_64.whl'), -1);
    assert.equal(wheelRank('x-1-cp311-cp311-manylinux_2_17_aarch64.whl'), -1);
  });

  it('reads console and gui scripts from entry_points.txt, nothing else', () => {
    assert.deepEqual(
      parseEntryPoints('[console_scripts]\na = m:f\nb=m:g\n[gui_scripts]\nc = m:h\n[pytest11]\nd = m\n'),
      ['a', 'b', 'c'],
    );
  });

  it('maps .deb paths onto merged /usr and adds dpkg records, archives and the linker cache', () => {
    assert.equal(mergedUsr('lib/x86_64-linux-gnu/libz.so.1'), 'usr/lib/x86_64-linux-gnu/libz.so.1');
    assert.equal(mergedUsr('bin'), 'usr/bin');
    assert.equal(mergedUsr('library/x'), 'library/x');
    const layout = variantByName('deb/apt').layout;
    if (layout.kind !== 'deb') throw new Error('layout');
    const { files } = debInstallPaths(
      [
        {
          name: 'libz',
          version: '1:1.2',
          arch: 'amd64',
          files: ['lib/libz.so.1'],
          links: [],
          control: ['md5sums', 'shlibs'],
          multiArchSame: true,
        },
      ],
      layout,
    );
    for (const f of [
      'usr/lib/libz.so.1',
      'var/lib/dpkg/info/libz:amd64.list',
      'var/lib/dpkg/info/libz:amd64.shlibs',
      'var/cache/apt/archives/libz_1%3a1.2_amd64.deb',
      'etc/ld.so.cache',
    ]) {
      assert.ok(files.includes(f), f);
    }
  });

  it('nests npm dependencies in global installs and hoists them in projects', () => {
    const top = npmRelease('top', '1.0.0', { 'package.json': 90, 'cli.js': 1200 }, ['top']);
    const dep = npmRelease('dep', '2.0.0', { 'package.json': 80, 'lib/x.js': 33 }, ['dep']);
    const g = variantByName('npm/global').layout;
    const p = variantByName('npm/project').layout;
    if (g.kind !== 'npm' || p.kind !== 'npm') throw new Error('layout');
    const global = npmInstallPaths(top, [dep], g);
    assert.ok(global.files.includes('usr/local/lib/node_modules/top/node_modules/dep/package.json'));
    assert.deepEqual(global.links, ['usr/local/bin/top']);
    const project = npmInstallPaths(top, [dep], p);
    assert.ok(project.files.includes('app/node_modules/dep/package.json'));
    assert.ok(project.files.includes('app/package-lock.json'));
    assert.deepEqual(project.links, ['app/node_modules/.bin/top', 'app/node_modules/.bin/dep']);
  });

  it("gives a static PyPI layer its wheel's module signatures in site-packages, and none under pip --target", () => {
    const wheel = {
      files: ['pkg/__init__.py', 'pkg/core.py', 'pkg-1.0.dist-info/METADATA', 'pkg-1.0.dist-info/RECORD'],
      sizes: [10, 2000, 300, 400],
      scripts: [],
    };
    const signed = (variant: string) => {
      const layout = variantByName(variant).layout;
      if (layout.kind !== 'pypi') throw new Error('layout');
      const sizes = new Map<string, number>();
      return sizeSignatures(entriesFromPaths(wheelInstallPaths(wheel, layout, sizes), [], sizes));
    };
    const expected = {
      'pypi-module:pkg': [
        signatureOf([
          { rel: '__init__.py', size: 10 },
          { rel: 'core.py', size: 2000 },
        ]),
      ],
    };
    assert.deepEqual(signed('pypi/system'), expected);
    assert.deepEqual(signed('pypi/venv-opt'), expected);
    assert.deepEqual(signed('pypi/target'), {});
  });

  it("gives a static npm layer each package's size signature as its tarball has it, wherever it is installed", () => {
    const top = npmRelease('@s/top', '1.0.0', { 'package.json': 90, 'cli.js': 1200 });
    const dep = npmRelease('dep', '2.0.0', { 'package.json': 80, 'lib/x.js': 33 });
    const tarball = (p: NpmPackageFiles) => signatureOf(p.files.map((rel, i) => ({ rel, size: p.sizes[i] })));
    for (const variant of ['npm/global', 'npm/project']) {
      const layout = variantByName(variant).layout;
      if (layout.kind !== 'npm') throw new Error('layout');
      const r = npmInstallPaths(top, [dep], layout);
      const sigs = sizeSignatures(entriesFromPaths(r.files, r.links, r.sizes));
      assert.deepEqual(sigs, { 'npm:@s/top': [tarball(top)], 'npm:dep': [tarball(dep)] }, variant);
    }
  });
});

describe('planning helpers', () => {
  it("takes a Debian package's version from Debian's archives, never from a third-party apt source", () => {
    // apt-cache madison on a host with NodeSource configured (newest first).
    const madison = [
      '    nodejs | 20.20.2-1nodesource1 | https://deb.nodesource.com/node_20.x nodistro/main amd64 Packages',
      '    nodejs | 18.20.4+dfsg-1~deb12u3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages',
      '    nodejs | 18.20.4+dfsg-1~deb12u2 | http://deb.debian.org/debian bookworm/main amd64 Packages',
    ].join('\n');
    assert.equal(debianVersion(madison), '18.20.4+dfsg-1~deb12u3');
    assert.equal(
      debianVersion('  foo | 1.0-1 | https://packages.example.com/apt stable/main amd64 Packages\n'),
      undefined,
    );
  });

  it('picks the newest release of each of the newest minor lines', () => {
    const cmp = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
    assert.deepEqual(newestPerMinor(['1.0.0', '1.0.1', '1.1.0', '1.1.5', '2.0.0', '2.0.3'], 3, cmp), [
      '2.0.3',
      '1.1.5',
      '1.0.1',
    ]);
  });

  it('draws the same pseudo-random stream from the same seed', () => {
    const a = seededRandom('s');
    const b = seededRandom('s');
    const xs = Array.from({ length: 20 }, () => a());
    assert.deepEqual(
      xs,
      Array.from({ length: 20 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.ok(new Set(xs).size > 15);
  });

  it('classifies installer logs into short reasons', () => {
    assert.equal(classifyInstallFailure('ERROR: Failed building wheel for x', 1), 'sdist build failed');
    assert.equal(
      classifyInstallFailure('ERROR: No matching distribution found for x==9', 1),
      'version not found',
    );
    assert.equal(classifyInstallFailure("E: Version '9' for 'curl' was not found", 100), 'version not found');
    assert.equal(classifyInstallFailure('npm ERR! code ETARGET', 1), 'version not found');
    assert.equal(classifyInstallFailure('something odd', 7), 'install exited with 7');
  });

  it('reads the packages an install added from dist-info names, package.json and dpkg status', () => {
    const status =
      'Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n';
    const labels = installedLabels(
      [
        'usr/lib/python3/dist-packages/Foo_Bar-1.2.dist-info',
        'var/lib/dpkg/info/curl.list',
        'var/lib/dpkg/info/gone.list',
      ],
      new Map([
        ['var/lib/dpkg/status', status],
        ['app/node_modules/@s/x/package.json', '{"name":"@s/x","version":"3.0.0"}'],
        ['app/node_modules/broken/package.json', 'not json'],
      ]),
    );
    assert.deepEqual(labels, ['deb:curl==7.88.1-10', 'npm:@s/x==3.0.0', 'pypi:foo-bar==1.2']);
  });

  it('measures tagset similarity', () => {
    assert.equal(jaccard({ a: 1, b: 1 }, { b: 3, c: 1 }), 1 / 3);
    assert.equal(weightedJaccard({ a: 1, b: 1 }, { b: 3, c: 1 }), 1 / 5);
    assert.equal(jaccard({}, {}), 1);
  });
});

describe('dataset', () => {
  const sample = (
    id: string,
    labels: string[],
    tags: Record<string, number>,
    eco: 'pypi' | 'npm' | 'deb' = 'pypi',
  ) => ({
    id,
    ecosystem: eco,
    variant: `${eco}/x`,
    method: 'static' as const,
    labels,
    tags,
  });

  it('splits by sample, about 20% test, and never puts a test tagset in training', () => {
    const samples = Array.from({ length: 2000 }, (_, i) =>
      sample(`s${i}`, [`pypi:p${i % 300}==1`], { [`tag${i % 700}`]: 1 + (i % 3) }),
    );
    const split = assignSplit(samples);
    const test = split.filter((s) => s.split === 'test');
    assert.ok(test.length > 200 && test.length < 600, `test share ${test.length}/2000`);
    const trainKeys = new Set(split.filter((s) => s.split === 'train').map((s) => JSON.stringify(s.tags)));
    for (const t of test)
      assert.ok(!trainKeys.has(JSON.stringify(t.tags)), `test tagset of ${t.id} is in training`);
    assert.deepEqual(assignSplit(samples), split, 'the split is fixed');
  });

  it('writes compactly, reads back the same, and counts per ecosystem', async () => {
    const samples: DatasetSample[] = assignSplit([
      sample('a', ['pypi:x==1'], { xyz: 2 }),
      sample('b', ['pypi:x==2'], { xyz: 1, abc: 1 }),
      sample('c', ['pypi:x==1', 'pypi:y==1'], { xyz: 1, yyy: 1 }),
      sample('n', [], { base: 9 }, 'deb'),
      sample('d', ['deb:curl==1'], { curl: 1 }, 'deb'),
      { ...sample('e', ['npm:q==1'], { q: 1, '"tags":': 1 }, 'npm'), also: ['npm:r==2'] },
    ]);
    const failures = [
      {
        id: 'f',
        ecosystem: 'pypi' as const,
        variant: 'pypi/user',
        method: 'container' as const,
        labels: ['pypi:z==1'],
        reason: 'sdist build failed',
      },
    ];
    const dir = tempDir('dataset');
    const manifest = {
      schema: 'praxi.dataset/v1' as const,
      created: 'now',
      tokenizer: { name: 'columbus', version: '1' },
      split: 'x',
      samples: 6,
      failures: 1,
    };
    await writeDataset(dir, { manifest, samples, failures });
    const back = await loadDataset(dir);
    assert.deepEqual(
      new Set(back.samples.map((s) => JSON.stringify(s))),
      new Set(samples.map((s) => JSON.stringify(tagsLast(s)))),
    );
    assert.deepEqual(back.failures, failures);
    // The summary (for statistics) is every sample without its tags, read without parsing them.
    const summary = await loadDatasetSummary(dir);
    assert.deepEqual(
      new Set(summary.samples.map((s) => JSON.stringify(s))),
      new Set(samples.map(({ tags: _t, ...rest }) => JSON.stringify(rest))),
    );
    assert.deepEqual(datasetStats(summary), datasetStats(back));
    const stats = datasetStats(back);
    assert.equal(stats.pypi.labels, 3);
    assert.equal(stats.pypi.packages, 2);
    assert.equal(stats.pypi.singleLabelSamples, 2);
    assert.equal(stats.pypi.multiLabelSamples, 1);
    assert.equal(stats.pypi.failedRecipes, 1);
    assert.deepEqual(stats.pypi.failureReasons, { 'sdist build failed': 1 });
    assert.equal(stats.deb.negativeSamples, 1);
    assert.equal(stats.npm.labels, 1);
  });

  it('bounds the version accuracy of any path-based model by the layers versions share, and with sizes', () => {
    const layer = (labels: string[], split: 'train' | 'test', tags: string[], sig?: string) => ({
      ecosystem: 'npm' as const,
      labels,
      split,
      tags: Object.fromEntries(tags.map((t) => [t, 1])),
      ...(sig ? { sizeSignatures: { [labels[0].split('==')[0]]: [sig] } } : {}),
    });
    const ceiling = versionCeiling([
      // 1.0 and 1.1 leave the same files; 2.0 adds one. Counts do not matter, names do.
      layer(['npm:a==1.0'], 'test', ['a', 'index.js'], 's10'),
      layer(['npm:a==1.1'], 'train', ['index.js', 'a'], 's11'),
      layer(['npm:a==2.0'], 'test', ['a', 'index.js', 'esm'], 's20'),
      // A layer without signatures (collected in a container) can only count by its tags.
      layer(['npm:a==1.1'], 'test', ['a', 'index.js']),
      // Another package's identical layer does not count, nor does a multi-label layer.
      layer(['npm:b==1.0'], 'test', ['a', 'index.js']),
      layer(['npm:a==3.0', 'npm:b==1.0'], 'test', ['a', 'index.js']),
    ]);
    assert.deepEqual(ceiling, {
      npm: {
        testLayers: 4,
        sharedWithAnotherVersion: 2,
        ceiling: (0.5 + 1 + 0.5 + 1) / 4,
        sharedWithSizes: 1,
        ceilingWithSizes: (1 + 1 + 0.5 + 1) / 4,
      },
    });
  });

  it('refuses a directory that is not a dataset', async () => {
    await assert.rejects(loadDataset(tempDir('empty')), (e) => isPraxiError(e) && e.code === 'BAD_INPUT');
  });
});
