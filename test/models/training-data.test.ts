import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tagset } from '../../activities/tagging/tagset';
import { calibrateThresholds, tuneFloors, withMergeSettings } from '../../models/calibrate';
import { evaluate } from '../../models/evaluate';
import { trainFull } from '../../models/train';
import { TrainingIndex, withoutVersionedTags } from '../../models/train/plan';
import { tokenizePaths } from '../../activities/tagging/columbus';
import { DEFAULT_TRAIN_OPTIONS, provisional } from '../../models/train/index';

/**
 * What training makes of real-data quirks: dependencies that came along in a layer (`also`), versions
 * whose files are identical, tags every package has, and labels with few samples.
 */
const TOK = { name: 'columbus', version: '1-t1-n1' } as const;
const t = (tags: string[], labels: string[], also?: string[]): Tagset => ({
  schema: 'praxi.tagset/v1',
  tokenizer: TOK,
  tags: Object.fromEntries(tags.map((x) => [x, 1])),
  labels,
  ...(also ? { also } : {}),
});
const common = ['INSTALLER', 'METADATA', 'RECORD', '__init__', 'dist-packages'];
const variants = ['usr', 'opt', 'app'];
/** Samples of one version in three install variants: shared package files, its version's own tags. */
const versionSamples = (pkg: string, version: string, files: string[], own: string[]) =>
  variants.map((v) => t([...common, v, ...files, ...own], [`pypi:${pkg}==${version}`]));

describe('training on real-data quirks', () => {
  const alpha = ['alpha', 'alpha_core', 'alpha_util', 'alpha_cli'];
  const beta = ['beta', 'beta_io', 'beta_net'];
  const samples: Tagset[] = [
    ...versionSamples('alpha', '1.0', alpha, ['alpha-1.0']),
    ...versionSamples('alpha', '2.0', alpha, ['alpha-2.0']),
    ...versionSamples('beta', '1.0', beta, []),
    ...versionSamples('beta', '1.1', beta, []),
    // A layer where beta came along as a dependency of gamma: beta's files are there.
    t([...common, 'gamma', 'gamma_x', ...beta], ['pypi:gamma==3.0'], ['pypi:beta==1.0']),
    t([...common, 'gamma', 'gamma_x', ...beta], ['pypi:gamma==3.0'], ['pypi:beta==1.1']),
    t([...common, 'gamma', 'gamma_x'], ['pypi:gamma==3.0']),
    t(['usr', 'bin', 'etc', 'passwd', 'dist-packages'], []),
  ];

  it('groups versions whose samples show the same tags, and finds each package core tags', () => {
    const index = new TrainingIndex(samples);
    assert.deepEqual(index.indistinctGroups(index.labels()), [['pypi:beta==1.0', 'pypi:beta==1.1']]);
    const core = index.packageSignature('pypi:alpha', DEFAULT_TRAIN_OPTIONS.coreShare);
    for (const tag of alpha) assert.ok(core.includes(tag), `${tag} in ${core.join(',')}`);
  });

  it('groups versions a layer of each shows alike, though other layers tell them apart', () => {
    const delta = ['delta', 'delta_core'];
    const index = new TrainingIndex([
      ...versionSamples('delta', '1.0', delta, []),
      ...versionSamples('delta', '2.0', delta, []),
      ...versionSamples('delta', '3.0', delta, ['delta_v3']),
      // 2.0 installed with alpha: the union of 2.0's tags now differs from 1.0's, its own layers do not.
      t([...common, 'usr', ...delta, ...alpha], ['pypi:delta==2.0', 'pypi:alpha==1.0']),
    ]);
    assert.deepEqual(index.indistinctGroups(index.labels()), [['pypi:delta==1.0', 'pypi:delta==2.0']]);
  });

  it('deletes package records from tags as the tokenizer would have without them', () => {
    const site = 'usr/local/lib/python3.11/site-packages';
    const files = ['__init__.py', 'api.py', 'sessions.py', 'adapters.py', 'models.py'];
    const pkg = (name: string) => [
      `${site}/${name}`,
      ...files.map((f) => `${site}/${name}/${f}`),
      ...files.map((f) => `${site}/${name}/__pycache__/${f.replace('.py', '.cpython-311.pyc')}`),
    ];
    const records = (dir: string) =>
      ['INSTALLER', 'METADATA', 'RECORD', 'REQUESTED', 'WHEEL', 'top_level.txt'].map(
        (f) => `${site}/${dir}/${f}`,
      );
    const without = [...pkg('requests'), ...pkg('idna')];
    const withRecords = [
      ...without,
      ...records('requests-2.32.5.dist-info'),
      ...records('idna-3.10.dist-info'),
    ];
    const stripped = withoutVersionedTags(tokenizePaths(withRecords), [
      'pypi:requests==2.32.5',
      'pypi:idna==3.10',
    ]);
    // `requests` and `idna` are tags only while their dist-info directories extend them.
    assert.ok(Object.hasOwn(tokenizePaths(withRecords), 'requests'));
    assert.deepEqual(Object.keys(stripped).sort(), Object.keys(tokenizePaths(without)).sort());
  });

  it('never uses a layer that holds a package as a dependency as a negative for it', () => {
    const index = new TrainingIndex(samples);
    const job = index.job(
      ['pypi:beta==1.0', 'pypi:beta==1.1'],
      { ...DEFAULT_TRAIN_OPTIONS, hardNegatives: 50 },
      0,
    );
    // 6 positives (beta). Every other layer is a negative (6 alpha, gamma alone, the base layer) except
    // the two gamma layers that carry beta's files.
    assert.equal(job.positives, 6);
    assert.equal(job.negatives, 8);
    // The positives again with beta's own tags only (ownTagCopies).
    assert.equal(job.versionRows, 20);
    // The package boosters also get those 12 positive rows again without their records (metadata dropout).
    assert.equal(job.matrix.rows, 32);
  });

  it('tells a package its own tags from those of the dependencies its installs brought along', () => {
    const index = new TrainingIndex(samples);
    const owned = (pkg: string) => index.ownTags(pkg);
    // gamma's layers carry beta's files too, but beta's own layers carry them without gamma.
    assert.deepEqual(owned('pypi:gamma'), ['gamma', 'gamma_x']);
    // beta's files are beta's although gamma's layers carry them: those layers hold beta (as a dependency).
    assert.deepEqual(owned('pypi:beta'), [...beta].sort());
    // Core tags (64 at most) take a package's own tags first, though 70 of its dependency's files are in
    // every one of its layers too and come first by name.
    const dep = Array.from({ length: 70 }, (_, i) => `aaa${i}`);
    const withDep = new TrainingIndex([
      ...variants.map((v) => t([v, 'zeta', 'zeta_x', ...dep], ['pypi:zeta==1.0'], ['pypi:aaa==1.0'])),
      ...variants.map((v) => t([v, ...dep], ['pypi:aaa==1.0'])),
    ]);
    const core = withDep.packageSignature('pypi:zeta', DEFAULT_TRAIN_OPTIONS.coreShare);
    assert.equal(core.length, 64);
    assert.ok(core.includes('zeta') && core.includes('zeta_x'), core.join(','));
  });

  it('trains on copies of its positives with only the package own tags', () => {
    const index = new TrainingIndex(samples);
    const o = { ...DEFAULT_TRAIN_OPTIONS, hardNegatives: 50, metadataDropout: false };
    const job = index.job(['pypi:gamma==3.0'], o, 0);
    const plain = index.job(['pypi:gamma==3.0'], { ...o, ownTagCopies: false }, 0);
    // Gamma's three layers again, positive, holding gamma's own tags only: not beta's files, which two of
    // them brought along, nor the tags every install of this kind leaves (`dist-packages`, `RECORD`).
    assert.equal(job.versionRows, plain.versionRows + 3);
    const cols = job.vocabulary;
    for (let r = plain.versionRows; r < job.versionRows; r++) {
      const present = cols.filter((_, c) => job.matrix.data[r * cols.length + c] !== -1);
      assert.deepEqual(present.sort(), ['gamma', 'gamma_x'].filter((x) => cols.includes(x)).sort());
      assert.equal(job.targets[0][r], 1);
    }
  });

  it('replaces every merge setting of a calibration, a per-ecosystem share it no longer has included', () => {
    const old = {
      thresholds: { 'pypi:a==1': 0.7 },
      extraVersionCoverage: 0.5,
      minPackageCoverage: 0.5,
      packageCoverage: { deb: 0.25 },
    };
    const settings = {
      minThreshold: 0.6,
      minPackageThreshold: 0.8,
      requirePackage: false,
      minPackageCoverage: 0.75,
    };
    assert.deepEqual(withMergeSettings(old, { ...settings, packageCoverage: {} }), {
      thresholds: { 'pypi:a==1': 0.7 },
      extraVersionCoverage: 0.5,
      ...settings,
    });
    assert.deepEqual(withMergeSettings(old, { ...settings, packageCoverage: { npm: 0.5 } }).packageCoverage, {
      npm: 0.5,
    });
  });

  it('plans the same jobs from an index of only the tags the new labels can use (incremental training)', () => {
    const full = new TrainingIndex(samples);
    const o = { ...DEFAULT_TRAIN_OPTIONS, hardNegatives: 3, randomNegatives: 4 };
    // beta: versions the data cannot tell apart; gamma: layers with a dependency (own-tag copies), a tag
    // seen in one sample only (`srv`, left out of the lean index but not of gamma's own samples).
    const gammaSrv = t([...common, 'srv', 'gamma', 'gamma_x'], ['pypi:gamma==3.0']);
    const fullG = new TrainingIndex([...samples, gammaSrv]);
    for (const [added, all, index] of [
      [['pypi:beta==1.0', 'pypi:beta==1.1'], samples, full],
      [['pypi:gamma==3.0'], [...samples, gammaSrv], fullG],
    ] as const) {
      const lean = new TrainingIndex(all, true, { labels: added, minSupport: o.minSupport });
      const job = lean.job([...added], o, 7);
      assert.deepEqual(job, index.job([...added], o, 7));
      assert.ok(job.versionRows > job.positives + job.negatives, 'own-tag copies planned');
      assert.deepEqual(lean.indistinctGroups(added), index.indistinctGroups(added));
    }
  });

  it('learns a version from a few samples and scores dependencies as neither right nor wrong', async () => {
    const trained = await trainFull(samples, { validation: samples.filter((_, i) => i % 3 === 0) });
    const model = provisional(trained.draft, trained.experts);
    assert.deepEqual(model.manifest.indistinct, [['pypi:beta==1.0', 'pypi:beta==1.1']]);
    // Three samples per version, told apart by one tag each: min_child_weight must let a split this
    // small happen (with XGBoost's default of 1 it cannot: 3 rows × p(1-p) ≤ 0.75).
    const a2 = model.predict(t([...common, 'srv', ...alpha, 'alpha-2.0'], [])).map((p) => p.label);
    assert.deepEqual(a2, ['pypi:alpha==2.0']);
    // Records deleted: the package is still named, from its files.
    const stripped = model.predict(t([...common.slice(3), 'srv', ...alpha], [])).map((p) => p.label);
    assert.equal(stripped.length, 1);
    assert.match(stripped[0], /^pypi:alpha==/);
    const report = evaluate(model, [
      t([...common, 'srv', 'gamma', 'gamma_x', ...beta], ['pypi:gamma==3.0'], ['pypi:beta==1.1']),
      t([...common, 'srv', ...beta], ['pypi:beta==1.1']),
    ]);
    assert.equal(report.all.package.micro.fp, 0, 'beta found in the gamma layer is no false positive');
    assert.equal(report.indistinct.groups, 1);
    assert.equal(report.indistinct.all.micro.f1, 1, 'beta 1.0 and 1.1 count as one when merged');
  });

  it('names the version by size signatures where paths cannot, and marks a release it never saw', async () => {
    const sigOf: Record<string, string> = { 'pypi:beta==1.0': 'b10', 'pypi:beta==1.1': 'b11' };
    const signed = samples.map((s) => {
      const sig = sigOf[s.labels?.[0] ?? ''];
      return sig ? { ...s, sizeSignatures: { 'pypi-module:beta': [sig] } } : s;
    });
    const trained = await trainFull(signed, { validation: signed.filter((_, i) => i % 3 === 0) });
    const model = provisional(trained.draft, trained.experts);
    assert.deepEqual(model.manifest.sizeSignatures, { 'pypi:beta==1.0': ['b10'], 'pypi:beta==1.1': ['b11'] });
    const layer = (sigs: string[] | undefined, tags = [...common, 'srv', ...beta]): Tagset => ({
      ...t(tags, []),
      ...(sigs ? { sizeSignatures: { 'pypi-module:beta': sigs } } : {}),
    });
    const found = (x: Tagset) => model.predict(x).map((p) => [p.label, p.versionUncertain ?? false]);
    assert.deepEqual(found(layer(['b10'])), [['pypi:beta==1.0', false]]);
    assert.deepEqual(found(layer(['b11'])), [['pypi:beta==1.1', false]]);
    // A release training never saw: still the package, its version a guess and said to be one.
    const unknown = found(layer(['b12']));
    assert.equal(unknown.length, 1);
    assert.match(String(unknown[0][0]), /^pypi:beta==/);
    assert.equal(unknown[0][1], true);
    // No sizes (a layer cached before them): as before, one of the indistinct pair, uncertain.
    assert.equal(found(layer(undefined))[0][1], true);
    // Sizes add no PyPI package the paths do not show (which module is whose is only learned).
    assert.deepEqual(found(layer(['b11'], [...common, 'srv', 'zeta', 'zeta_core'])), []);
    const report = evaluate(model, [
      { ...layer(['b10']), labels: ['pypi:beta==1.0'] },
      { ...layer(['b11']), labels: ['pypi:beta==1.1'] },
    ]);
    assert.equal(report.all.version.micro.f1, 1);
  });

  it('gives timers a turn while it trains (activity heartbeats)', async () => {
    const many: Tagset[] = [];
    for (let p = 0; p < 60; p++)
      for (const v of ['1', '2'])
        for (let k = 0; k < 4; k++)
          many.push(
            t(
              [
                ...common,
                `v${k}`,
                `p${p}`,
                `p${p}_a`,
                `p${p}_b`,
                `p${p}-${v}`,
                ...Array.from({ length: 300 }, (_, i) => `f${p}_${i}`),
              ],
              [`pypi:p${p}==${v}`],
            ),
          );
    const trained = await trainFull(many, { validation: many.filter((_, i) => i % 8 === 0) });
    const model = provisional(trained.draft, trained.experts);
    // Calibration over every sample: a long stretch of work that must not hold the event loop throughout.
    let ticks = 0;
    let longest = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks++;
    }, 5);
    const t0 = performance.now();
    try {
      await calibrateThresholds(model, many, new Set(model.manifest.labels));
      await tuneFloors(model, [...many, ...many]);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - t0;
    assert.ok(took > 250, `calibration took ${took.toFixed(0)} ms: too short to tell`);
    assert.ok(ticks >= 2, `${ticks} ticks in ${took.toFixed(0)} ms`);
    // Without the pauses the whole stretch is one gap; with them, gaps stay short (a loaded machine adds
    // some scheduling delay, hence the floor).
    assert.ok(
      longest < Math.max(took / 4, 150),
      `longest gap ${longest.toFixed(0)} ms of ${took.toFixed(0)} ms`,
    );
  });
});
