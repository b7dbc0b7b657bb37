import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutAlongside } from '../../models/label';

describe('scoring against what an install brought along', () => {
  const sample = { labels: ['npm:gopd==1.0.1'], also: ['npm:gopd==1.2.0', 'npm:es-errors==1.3.0'] };

  it("drops any finding of a dependency's package and the dependency's own release of a labelled package", () => {
    assert.deepEqual(
      withoutAlongside(
        ['npm:gopd==1.0.1', 'npm:gopd==1.2.0', 'npm:es-errors==1.0.0', 'npm:es-errors==1.3.0'],
        sample,
      ),
      ['npm:gopd==1.0.1'],
    );
  });

  it('keeps another version of a labelled package a false positive', () => {
    assert.deepEqual(withoutAlongside(['npm:gopd==1.1.0'], sample), ['npm:gopd==1.1.0']);
    assert.deepEqual(withoutAlongside(['npm:gopd==1.1.0'], { labels: sample.labels }), ['npm:gopd==1.1.0']);
  });
});
