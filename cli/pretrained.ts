import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from '../activities/repo-root';
import type { ObjectStore } from '../activities/store/object-store';
import { currentVersion, rollback } from '../models/registry';

export const PRETRAINED_DIR = () => path.join(repoRoot(), 'models', 'pretrained');
/** Which shipped model was last made current by installPretrained. */
const SHIPPED_MARKER = 'models/shipped';

/**
 * Copies the shipped model (models/pretrained/store: the same key layout as the object store, files
 * optionally gzipped as NAME.gz) into the store, and makes it current when the store has no model yet.
 */
export async function installPretrained(
  store: ObjectStore,
): Promise<{ installed: boolean; version?: string; message: string }> {
  const root = path.join(PRETRAINED_DIR(), 'store');
  if (!existsSync(root)) return { installed: false, message: `no shipped model (${root} is missing)` };
  const current = await currentVersion(store);
  let version: string | undefined;
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, ent.name);
      const key = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) await walk(file, key);
      else {
        const plain = key.endsWith('.gz') ? key.slice(0, -3) : key;
        if (plain === 'models/current') {
          version = (
            JSON.parse(
              (key.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file)).toString(),
            ) as { version: string }
          ).version;
          continue;
        }
        if (await store.exists(plain)) continue;
        const body = readFileSync(file);
        await store.put(plain, key.endsWith('.gz') ? gunzipSync(body) : body);
      }
    }
  };
  await walk(root, '');
  if (!version) return { installed: false, message: 'the shipped model has no models/current pointer' };
  // A model the operator trained or chose stays current; one that only came with an older praxi release
  // gives way to the model this release ships.
  const shipped = await store
    .get(SHIPPED_MARKER)
    .then((b) => (JSON.parse(b.toString()) as { version: string }).version)
    .catch(() => undefined);
  if (current === version)
    return { installed: false, version, message: `shipped model ${version} is current` };
  if (current && current !== shipped)
    return {
      installed: false,
      version,
      message: `the store already has a current model (${current}); shipped ${version} copied, not made current`,
    };
  await rollback(store, version);
  await store.put(SHIPPED_MARKER, Buffer.from(JSON.stringify({ version })));
  return {
    installed: true,
    version,
    message: current
      ? `installed ${version} (replacing the previously shipped ${current})`
      : `installed ${version}`,
  };
}
