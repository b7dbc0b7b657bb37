import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tagset } from '../../activities/tagging/tagset';
import type { Prediction } from '../../models/merge';
import { labelSizeSignatures, SIZE_EXPERT, SizeEvidence } from '../../models/size-evidence';

/** A training layer of `labels` that shows only size signatures. */
const t = (labels: string[], sizeSignatures: Record<string, string[]>): Tagset => ({
  schema: 'praxi.tagset/v1',
  tokenizer: { name: 'columbus', version: '1-t1-n1' },
  tags: {},
  labels,
  sizeSignatures,
});
const pred = (label: string, extra: Partial<Prediction> = {}): Prediction => {
  const [eco, rest] = label.split(/:(.*)/s);
  const [name, version] = rest.split('==');
  return {
    label,
    ecosystem: eco as Prediction['ecosystem'],
    name,
    version,
    score: 0.7,
    expert: 'e1',
    ...extra,
  };
};
const brief = (ps: Prediction[]) =>
  ps.map((p) => [p.label, p.expert, p.versionUncertain ?? false, p.alternatives ?? []]).sort();

describe('size evidence', () => {
  const sizes = new SizeEvidence(
    labelSizeSignatures([
      t(['npm:chalk==5.5.0'], { 'npm:chalk': ['c55'] }),
      t(['npm:chalk==5.6.2'], { 'npm:chalk': ['c56'] }),
      // Two releases with the same files and sizes, and a dependency that is no label of its layer.
      t(['npm:which==5.0.0'], { 'npm:which': ['w'], 'npm:isexe': ['i'] }),
      t(['npm:which==6.0.1'], { 'npm:which': ['w'] }),
    ]),
  );

  it('learns each label its own package directory signatures only', () => {
    assert.deepEqual(
      labelSizeSignatures([
        t(['npm:which==5.0.0'], { 'npm:which': ['w'], 'npm:isexe': ['i'] }),
        // Two directories of the package, one of some dependency's: which is whose is not known here.
        t(['npm:which==5.0.0'], { 'npm:which': ['w2', 'w'] }),
      ]),
      { 'npm:which==5.0.0': ['w'] },
    );
    const two = [
      t(['npm:chalk==5.5.0'], { 'npm:chalk': ['c55'] }),
      t(['npm:chalk==5.6.2'], { 'npm:chalk': ['c56'] }),
    ];
    assert.deepEqual(labelSizeSignatures(two, new Set(['npm:chalk==5.6.2'])), {
      'npm:chalk==5.6.2': ['c56'],
    });
  });

  it('names the release whose files and sizes the layer holds, whichever version the experts guessed', () => {
    const layer = { sizeSignatures: { 'npm:chalk': ['c56'] } };
    assert.deepEqual(
      brief(
        sizes.resolve([pred('npm:chalk==5.5.0', { versionUncertain: true, alternatives: ['5.6.2'] })], layer),
      ),
      [['npm:chalk==5.6.2', 'e1', false, []]],
    );
  });

  it('keeps releases with identical sizes as one finding with the other as alternative', () => {
    assert.deepEqual(
      brief(sizes.resolve([pred('npm:which==6.0.1')], { sizeSignatures: { 'npm:which': ['w'] } })),
      [['npm:which==6.0.1', 'e1', true, ['5.0.0']]],
    );
  });

  it('marks a release training never saw as uncertain, and finds a known one the experts missed', () => {
    const out = sizes.resolve([pred('npm:chalk==5.6.2')], {
      sizeSignatures: { 'npm:chalk': ['c60'], 'npm:which': ['w'] },
    });
    assert.deepEqual(brief(out), [
      ['npm:chalk==5.6.2', 'e1', true, []],
      ['npm:which==5.0.0', SIZE_EXPERT, true, ['6.0.1']],
    ]);
  });

  it('drops an npm package with no directory in the layer, and leaves other ecosystems and unsized layers alone', () => {
    const findings = [pred('npm:ansi-styles==6.2.3'), pred('pypi:requests==2.32.5')];
    assert.deepEqual(brief(sizes.resolve(findings, { sizeSignatures: { 'npm:chalk': ['c55'] } })), [
      ['npm:chalk==5.5.0', SIZE_EXPERT, false, []],
      ['pypi:requests==2.32.5', 'e1', false, []],
    ]);
    assert.deepEqual(
      sizes.resolve(findings, {}),
      findings,
      'a layer without signatures (cached before them)',
    );
  });

  it('names a PyPI release only when all its known modules are there with their sizes', () => {
    const learned = labelSizeSignatures([
      t(['pypi:sg==6.10.0'], { 'pypi-module:sg': ['s610'], 'pypi-module:test': ['t1'] }),
      t(['pypi:sg==6.11.0'], { 'pypi-module:sg': ['s611'], 'pypi-module:test': ['t1'] }),
      // A multi-label layer cannot say which module is whose: not learned from.
      t(['pypi:sg==6.12.0', 'pypi:other==1.0'], { 'pypi-module:sg': ['s612'], 'pypi-module:other': ['o'] }),
    ]);
    assert.deepEqual(learned, { 'pypi:sg==6.10.0': ['s610', 't1'], 'pypi:sg==6.11.0': ['s611', 't1'] });
    const py = new SizeEvidence(learned);
    const guess = pred('pypi:sg==6.10.0', { versionUncertain: true, alternatives: ['6.11.0'] });
    assert.deepEqual(
      brief(
        py.resolve([guess], { sizeSignatures: { 'pypi-module:sg': ['s611'], 'pypi-module:test': ['t1'] } }),
      ),
      [['pypi:sg==6.11.0', 'e1', false, []]],
    );
    // 6.12.0's own module is unknown, the unchanged `test` module matches 6.10.0 and 6.11.0 in part.
    assert.deepEqual(
      py.resolve([guess], { sizeSignatures: { 'pypi-module:sg': ['s612'], 'pypi-module:test': ['t1'] } }),
      [guess],
    );
    assert.deepEqual(
      py.resolve([], { sizeSignatures: { 'pypi-module:sg': ['s611'], 'pypi-module:test': ['t1'] } }),
      [],
      'sizes add no PyPI package',
    );
  });

  it("never gives a label the signature of a dependency's nested release of its package", () => {
    const learned = labelSizeSignatures([
      // gopd 1.0.1 and 1.1.0 only ever arrive with a nested gopd 1.2.0, which also arrives alone.
      { ...t(['npm:gopd==1.0.1'], { 'npm:gopd': ['g101', 'g120'] }), also: ['npm:gopd==1.2.0'] },
      { ...t(['npm:gopd==1.0.1', 'npm:x==1'], { 'npm:gopd': ['g101', 'g120'] }), also: ['npm:gopd==1.2.0'] },
      { ...t(['npm:gopd==1.1.0'], { 'npm:gopd': ['g110', 'g120'] }), also: ['npm:gopd==1.2.0'] },
      t(['npm:gopd==1.2.0'], { 'npm:gopd': ['g120'] }),
      // Always with an unknown second copy and no release alone to tell: what all its layers share.
      t(['npm:y==1'], { 'npm:y': ['y1', 'ya'] }),
      t(['npm:y==1'], { 'npm:y': ['y1', 'yb'] }),
    ]);
    assert.deepEqual(learned, {
      'npm:gopd==1.0.1': ['g101'],
      'npm:gopd==1.1.0': ['g110'],
      'npm:gopd==1.2.0': ['g120'],
      'npm:y==1': ['y1'],
    });
  });

  it("picks among releases with the same files and sizes the one the directory's package.json declares", () => {
    const layer = { sizeSignatures: { 'npm:which': ['w'] } };
    assert.deepEqual(
      brief(
        sizes.resolve([pred('npm:which==6.0.1')], { ...layer, declaredVersions: { 'npm:which': ['5.0.0'] } }),
      ),
      [['npm:which==5.0.0', 'e1', false, []]],
    );
    // Found by sizes alone, the experts silent: the same.
    assert.deepEqual(brief(sizes.resolve([], { ...layer, declaredVersions: { 'npm:which': ['5.0.0'] } })), [
      ['npm:which==5.0.0', SIZE_EXPERT, false, []],
    ]);
    // A declared version whose files the layer does not hold names nothing: the sizes stand.
    assert.deepEqual(
      brief(
        sizes.resolve([pred('npm:which==6.0.1')], { ...layer, declaredVersions: { 'npm:which': ['7.0.0'] } }),
      ),
      [['npm:which==6.0.1', 'e1', true, ['5.0.0']]],
    );
    assert.deepEqual(
      brief(
        sizes.resolve([pred('npm:chalk==5.5.0')], {
          sizeSignatures: { 'npm:chalk': ['c56'] },
          declaredVersions: { 'npm:chalk': ['5.5.0'] },
        }),
      ),
      [['npm:chalk==5.6.2', 'e1', false, []]],
      'package.json never overrides a release its sizes name alone',
    );
  });

  it('reports both releases when one is hoisted and another nested', () => {
    assert.deepEqual(
      brief(sizes.resolve([pred('npm:chalk==5.5.0')], { sizeSignatures: { 'npm:chalk': ['c55', 'c56'] } })),
      [
        ['npm:chalk==5.5.0', 'e1', false, []],
        ['npm:chalk==5.6.2', 'e1', false, []],
      ],
    );
  });
});
