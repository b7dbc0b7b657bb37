import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../activities/concurrency';

describe('mapLimit', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 2], 3, async (ms, i) => {
      peak = Math.max(peak, ++running);
      await sleep(ms * 3);
      running--;
      return `${i}:${ms}`;
    });
    assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:2']);
    assert.equal(peak, 3);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });

  it('rejects with the first failure', async () => {
    await assert.rejects(
      mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }),
      /two/,
    );
  });
});
