import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { buffer } from 'node:stream/consumers';
import type { RegistryClient } from '../../activities/registry/client';
import { MediaTypes } from '../../activities/registry/media-types';

export interface Layer {
  blob: Buffer;
  digest: string;
  diffId: string;
}

/** A directory tree as a gzipped layer tar (paths relative to `root`, sorted for a reproducible digest). */
export async function layerFromDir(
  root: string,
  opts: { skip?: (rel: string) => boolean } = {},
): Promise<Layer> {
  const p = pack();
  const done = buffer(p);
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs);
      if (opts.skip?.(rel)) continue;
      const st = lstatSync(abs);
      const common = { name: rel, mode: st.mode & 0o7777, mtime: new Date(0), uid: 0, gid: 0 };
      if (st.isDirectory()) {
        p.entry({ ...common, type: 'directory' });
        walk(abs);
      } else if (st.isSymbolicLink()) {
        p.entry({ ...common, type: 'symlink', linkname: readlinkSync(abs) });
      } else if (st.isFile()) {
        p.entry({ ...common, size: st.size }, readFileSync(abs));
      }
    }
  };
  walk(root);
  p.finalize();
  const tar = await done;
  const blob = gzipSync(tar);
  return { blob, digest: sha256(blob), diffId: sha256(tar) };
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Pushes layers + a config + a Docker schema 2 manifest; returns the manifest digest. */
export async function pushImage(
  client: RegistryClient,
  host: string,
  repository: string,
  tag: string,
  layers: Layer[],
): Promise<string> {
  const at = { host, repository };
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created_by: 'praxi demo' })),
    }),
  );
  for (const l of layers) await client.pushBlob(at, l.blob);
  const cfg = await client.pushBlob(at, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.dockerManifest,
      config: { mediaType: MediaTypes.dockerConfig, digest: cfg.digest, size: cfg.size },
      layers: layers.map((l) => ({
        mediaType: MediaTypes.dockerLayerGzip,
        digest: l.digest,
        size: l.blob.length,
      })),
    }),
  );
  return client.pushManifest(at, tag, manifest, MediaTypes.dockerManifest);
}
