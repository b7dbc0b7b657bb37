import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Prediction } from '../../models/merge';
import { labelSizeSignatures, SIZE_EXPERT, SizeEvidence } from '../../models/size-evidence';

const TOK = { name: 'columbus', version: '1-t1-n1' } as const;
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
      {
        schema: 'praxi.tagset/v1',
        tokenizer: TOK,
        tags: {},
        labels: ['npm:chalk==5.5.0'],
        sizeSignatures: { 'npm:chalk': ['c55'] },
      },
      {
        schema: 'praxi.tagset/v1',
        tokenizer: TOK,
        tags: {},
        labels: ['npm:chalk==5.6.2'],
        sizeSignatures: { 'npm:chalk': ['c56'] },
      },
      // Two releases with the same files and sizes, and a dependency that is no label of its layer.
      {
        schema: 'praxi.tagset/v1',
        tokenizer: TOK,
        tags: {},
        labels: ['npm:which==5.0.0'],
        sizeSignatures: { 'npm:which': ['w'], 'npm:isexe': ['i'] },
      },
      {
        schema: 'praxi.tagset/v1',
        tokenizer: TOK,
        tags: {},
        labels: ['npm:which==6.0.1'],
        sizeSignatures: { 'npm:which': ['w'] },
      },
    ]),
  );

  it('learns each label its own package directory signatures only', () => {
    assert.deepEqual(
      labelSizeSignatures([
        {
          schema: 'praxi.tagset/v1',
          tokenizer: TOK,
          tags: {},
          labels: ['npm:which==5.0.0'],
          sizeSignatures: { 'npm:which': ['w'], 'npm:isexe': ['i'] },
        },
        {
          schema: 'praxi.tagset/v1',
          tokenizer: TOK,
          tags: {},
          labels: ['npm:which==5.0.0'],
          sizeSignatures: { 'npm:which': ['w2', 'w'] },
        },
      ]),
      { 'npm:which==5.0.0': ['w', 'w2'] },
    );
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
