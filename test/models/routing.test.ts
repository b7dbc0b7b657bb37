import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packageOf } from '../../models/label';
import { routeLabels } from '../../models/routing';
import { smallWorld } from './fixtures';

describe('routing labels to experts', () => {
  const w = smallWorld();
  const labels = [...new Set(w.train.flatMap((s) => s.labels ?? []))].sort();

  it('verpak keeps every version of a package in one expert', () => {
    const groups = routeLabels(labels, w.train, { strategy: 'verpak', groupSize: 6, seed: 1 });
    assert.deepEqual(groups.flat().sort(), labels);
    const home = new Map<string, number>();
    groups.forEach((g, i) => {
      for (const l of g) {
        const p = packageOf(l);
        assert.ok(!home.has(p) || home.get(p) === i, `${p} split across experts`);
        home.set(p, i);
      }
      assert.ok(g.length <= 6);
    });
    assert.equal(groups.length, labels.length / 6);
  });

  it('nover groups labels at random in groups of the chosen size, reproducibly', () => {
    const a = routeLabels(labels, w.train, { strategy: 'nover', groupSize: 4, seed: 7 });
    const b = routeLabels(labels, w.train, { strategy: 'nover', groupSize: 4, seed: 7 });
    const c = routeLabels(labels, w.train, { strategy: 'nover', groupSize: 4, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(a.flat().sort(), labels);
    assert.ok(a.every((g) => g.length <= 4));
    // Random grouping splits most packages' versions apart.
    const split = new Set(labels.map(packageOf)).size;
    const together = a.filter((g) => new Set(g.map(packageOf)).size < g.length).length;
    assert.ok(together < split, 'nover should not group versions together systematically');
  });

  it('clustering groups similar labels (versions of one package) under a size cap', () => {
    const groups = routeLabels(labels, w.train, { strategy: 'clustering', groupSize: 3, seed: 1 });
    assert.deepEqual(groups.flat().sort(), labels);
    assert.ok(
      groups.every((g) => g.length <= 3),
      'a group exceeds the cap',
    );
    // Versions of a package share most of their files, so most groups should be one package.
    const pure = groups.filter((g) => new Set(g.map(packageOf)).size === 1).length;
    assert.ok(pure / groups.length >= 0.7, `only ${pure} of ${groups.length} groups hold a single package`);
  });
});
