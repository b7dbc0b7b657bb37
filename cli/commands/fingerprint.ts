import type { Command } from 'commander';
import { fingerprintLayer } from '../../activities/pipeline/fingerprint';
import { ImageResolver, summarize } from '../../activities/pipeline/image-cache';
import type { LayerFingerprint } from '../../activities/pipeline/scan-types';
import { formatRef, parseImageRef } from '../../activities/registry/reference';
import { openStore } from '../../activities/store';
import { getJson } from '../../activities/store/object-store';
import type { Tagset } from '../../activities/tagging/tagset';
import { configFrom } from '../context';

export function registerFingerprint(program: Command): void {
  program
    .command('fingerprint <image>')
    .description(
      'read every layer of an image and print what it changes and its tags (no model, no Temporal); tagsets are ' +
        'cached in the object store by layer digest and tokenizer version',
    )
    .option(
      '--json',
      'print {image, manifestDigest, platform, layers: [{index, digest, mediaType, entries, deleted, bytes, tags}]}',
    )
    .option('--no-cache', 'read every layer even if its tagset is cached')
    .action(async (image: string, opts: { json?: boolean; cache: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const store = openStore(config.store);
      const images = new ImageResolver(config);
      const resolved = summarize(await images.resolve(formatRef(parseImageRef(image))));
      const tty = process.stderr.isTTY;
      if (!opts.json) {
        console.log(
          `${resolved.reference}\nmanifest ${resolved.manifestDigest}  platform ${resolved.platform}  ${resolved.layers.length} layers\n`,
        );
        console.log(['#', 'digest', 'entries', 'deleted', 'bytes', 'tags', 'seconds', ''].join('\t'));
      }
      const out: Array<LayerFingerprint & { mediaType: string; tags?: Record<string, number> }> = [];
      for (const layer of resolved.layers) {
        let lastShown = 0;
        const fp = await fingerprintLayer(
          { store, config, images },
          { reference: resolved.reference, manifestDigest: resolved.manifestDigest, layer },
          {
            bypassCache: !opts.cache,
            // A progress line on long layers, redrawn in place on a terminal.
            onProgress: (bytes) => {
              if (opts.json || bytes - lastShown < 16 << 20) return;
              lastShown = bytes;
              const pct = layer.size ? ` (${Math.round((100 * bytes) / layer.size)}%)` : '';
              process.stderr.write(
                `${tty ? '\r' : ''}  layer ${layer.index}: ${(bytes / 1e6).toFixed(0)} MB read${pct}${tty ? '' : '\n'}`,
              );
            },
          },
        );
        if (tty && lastShown) process.stderr.write('\r\x1b[K');
        const row = { ...fp, mediaType: layer.mediaType };
        if (opts.json) out.push({ ...row, tags: (await getJson<Tagset>(store, fp.tagsetKey)).tags });
        else
          console.log(
            [
              layer.index,
              fp.digest.slice(0, 19),
              fp.entries,
              fp.deletions,
              fp.bytes,
              fp.distinctTags,
              fp.seconds.toFixed(2),
              fp.cached ? 'cached' : '',
            ].join('\t'),
          );
      }
      if (opts.json) {
        console.log(
          JSON.stringify(
            {
              image: resolved.reference,
              manifestDigest: resolved.manifestDigest,
              platform: resolved.platform,
              layers: out.map((l) => ({
                index: l.index,
                digest: l.digest,
                mediaType: l.mediaType,
                entries: l.entries,
                deleted: l.deletions,
                bytes: l.bytes,
                tags: l.tags,
              })),
            },
            null,
            2,
          ),
        );
      }
    });
}
