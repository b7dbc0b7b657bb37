import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  calibratedScore,
  fitThreshold,
  mergeCandidates,
  mergeScores,
  type RawScore,
} from '../../models/merge';
import { logit } from '../../models/xgboost/trees';

describe('calibration and merging', () => {
  it('fits a threshold between the scores it separates, within bounds', () => {
    const t = fitThreshold([1, 2, 3], [-3, -2, -1]) as number;
    assert.ok(Math.abs(logit(t) - 0) < 1e-6, `threshold ${t} should sit at margin 0`);
    assert.equal(fitThreshold([], [1, 2]), undefined);
    // All positives far above: the threshold is bounded instead of following one sample.
    assert.equal(fitThreshold([10, 11], [9.5]), 0.9);
    // Positives the selector never scored count as misses but do not break the fit.
    const u = fitThreshold([2, -Infinity], [-2]) as number;
    assert.ok(u > 0.1 && u < 0.9);
  });

  it('makes scores comparable: every label reports at 0.5 of its own threshold', () => {
    assert.ok(Math.abs(calibratedScore(logit(0.3), 0.3) - 0.5) < 1e-6);
    assert.ok(calibratedScore(logit(0.8), 0.3) > calibratedScore(logit(0.8), 0.7));
  });

  const cal = { thresholds: {}, extraVersionCoverage: 0.5 };
  const v = (label: string, margin: number): RawScore => ({ expert: 'e1', label, level: 'version', margin });
  const p = (label: string, margin: number): RawScore => ({ expert: 'e1', label, level: 'package', margin });

  it('resolves versions of one package together: the best one, a second only with its own evidence', () => {
    const raw = [v('pypi:a==1.0', 2), v('pypi:a==2.0', 1), v('pypi:b==1.0', -3), p('pypi:a', 3)];
    const none = mergeScores(raw, cal, () => 0);
    assert.deepEqual(
      none.map((x) => x.label),
      ['pypi:a==1.0'],
    );
    assert.deepEqual(none[0], {
      label: 'pypi:a==1.0',
      ecosystem: 'pypi',
      name: 'a',
      version: '1.0',
      score: none[0].score,
      expert: 'e1',
    });
    const both = mergeScores(raw, cal, (l) => (l === 'pypi:a==2.0' ? 1 : 0));
    assert.deepEqual(both.map((x) => x.label).sort(), ['pypi:a==1.0', 'pypi:a==2.0']);
  });

  it('names the best-supported version when only the package evidence passes', () => {
    const raw = [v('pypi:a==1.0', -2), v('pypi:a==2.0', -1), p('pypi:a', 1.5)];
    const out = mergeScores(raw, cal, () => undefined);
    assert.equal(out.length, 1);
    assert.equal(out[0].label, 'pypi:a==2.0');
    assert.ok(out[0].score > 0.5);
    // A guess from the package's files alone says so, with the versions it could also be.
    assert.equal(out[0].versionUncertain, true);
    assert.deepEqual(out[0].alternatives, ['1.0']);
    assert.deepEqual(
      mergeScores([v('pypi:a==1.0', -2), p('pypi:a', -1)], cal, () => undefined),
      [],
    );
  });

  it('keeps only the scores merging can use, with the same findings', () => {
    const raw = [
      v('pypi:a==1.0', -2),
      v('pypi:a==2.0', -1),
      p('pypi:a', 1.5),
      v('pypi:b==1.0', 2),
      v('pypi:b==2.0', -4),
      p('pypi:b', -3),
      v('pypi:c==1.0', -3),
      p('pypi:c', -2),
    ];
    const kept = mergeCandidates(raw, cal);
    assert.deepEqual(
      kept.map((r) => r.label),
      ['pypi:a==1.0', 'pypi:a==2.0', 'pypi:a', 'pypi:b==1.0'],
    );
    assert.deepEqual(
      mergeScores(kept, cal, () => 0),
      mergeScores(raw, cal, () => 0),
    );
  });

  it('names a package only with its own evidence when the gates are on', () => {
    // A version booster fires (generic tags of a foreign layer) but the package booster does not.
    const lone = [v('pypi:a==1.0', 2), p('pypi:a', -2)];
    assert.deepEqual(
      mergeScores(lone, cal, () => undefined).map((x) => x.label),
      ['pypi:a==1.0'],
    );
    assert.deepEqual(
      mergeScores(lone, { ...cal, requirePackage: true }, () => undefined),
      [],
    );

    // Both fire, but few of the package's core tags are in the layer.
    const both = [v('pypi:a==1.0', 2), p('pypi:a', 2)];
    const coverage = (share: number) => (l: string) => (l === 'pypi:a' ? share : undefined);
    const gated = { ...cal, minPackageCoverage: 0.5 };
    assert.deepEqual(mergeScores(both, gated, coverage(0.1)), []);
    assert.deepEqual(
      mergeScores(both, gated, coverage(0.6)).map((x) => x.label),
      ['pypi:a==1.0'],
    );
    // Models without core tags (coverage unknown) are not gated.
    assert.equal(mergeScores(both, gated, () => undefined).length, 1);

    // An ecosystem's own share replaces the common one, for its packages only.
    const perEcosystem = { ...gated, packageCoverage: { deb: 0.05 } };
    assert.deepEqual(mergeScores(both, perEcosystem, coverage(0.1)), []);
    const debBoth = [v('deb:a==1.0', 2), p('deb:a', 2)];
    const debCoverage = (l: string) => (l === 'deb:a' ? 0.1 : undefined);
    assert.deepEqual(
      mergeScores(debBoth, perEcosystem, debCoverage).map((x) => x.label),
      ['deb:a==1.0'],
    );
    assert.deepEqual(mergeScores(debBoth, gated, debCoverage), []);
  });
});
