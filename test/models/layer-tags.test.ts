import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTag } from '../../activities/tagging/tagset';
import { sharedTags } from '../../models/layer-tags';

describe('sharedTags', () => {
  // A layer whose path parts are named like Object.prototype's members: own tags only, from either side.
  const tags: Record<string, number> = {};
  for (const t of ['numpy', 'site-packages', 'constructor', 'zzz']) setTag(tags, t, 2);
  setTag(tags, '__proto__', 1);
  const vocabulary = new Map<string, number>(
    ['numpy', 'toString', 'hasOwnProperty', '__proto__', 'constructor', 'absent'].map((t, i) => [t, i]),
  );
  const want = ['__proto__', 'constructor', 'numpy'];

  it('walks the layer when it is small or its size is unknown', () => {
    assert.deepEqual(sharedTags({ tags }, vocabulary).sort(), want);
    assert.deepEqual(sharedTags({ tags, tagCount: 1 }, vocabulary).sort(), want);
  });

  it('probes the layer for each vocabulary tag when the layer is the bigger side', () => {
    assert.deepEqual(sharedTags({ tags, tagCount: 1_000_000 }, vocabulary).sort(), want);
  });

  it('a wrong count changes the side, not the answer', () => {
    for (const count of [0, 3, 5, 6, 1e9])
      assert.deepEqual(sharedTags({ tags, tagCount: count }, vocabulary).sort(), want);
    assert.deepEqual(sharedTags({ tags: {}, tagCount: 1e9 }, vocabulary), []);
    assert.deepEqual(sharedTags({ tags, tagCount: 1e9 }, new Map()), []);
  });
});
