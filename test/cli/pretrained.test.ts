import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalStore } from '../../activities/store';
import { installPretrained } from '../../cli/pretrained';
import { CURRENT_KEY, currentVersion, getManifest } from '../../models/registry';
import { tempDir } from '../harness/process';

/** The shipped model (models/pretrained) installed into a store: when it becomes current, and when not. */
describe('installing the shipped model', () => {
  it('makes it current in an empty store, and once is enough', async () => {
    const store = new LocalStore(tempDir('pretrained'));
    const first = await installPretrained(store);
    assert.equal(first.installed, true, first.message);
    const version = first.version as string;
    assert.equal(await currentVersion(store), version);
    const manifest = await getManifest(store, version);
    for (const e of manifest.experts.slice(0, 20)) assert.ok(await store.exists(e.key), e.key);
    const again = await installPretrained(store);
    assert.equal(again.installed, false);
    assert.equal(await currentVersion(store), version);
  });

  it("leaves an operator's model current, but replaces a model an older release shipped", async () => {
    const store = new LocalStore(tempDir('pretrained'));
    const { version } = await installPretrained(store);
    // An operator's own model is current (the pointer is all installPretrained reads).
    await store.publish(CURRENT_KEY, JSON.stringify({ version: 'operator-model' }));
    const kept = await installPretrained(store);
    assert.equal(kept.installed, false);
    assert.equal(await currentVersion(store), 'operator-model');
    // The current model came with an older release: the new shipped one takes over.
    await store.put('models/shipped', Buffer.from(JSON.stringify({ version: 'operator-model' })));
    const replaced = await installPretrained(store);
    assert.equal(replaced.installed, true, replaced.message);
    assert.equal(await currentVersion(store), version);
  });
});
