import type { Readable } from 'node:stream';
import { CorruptContentError } from '../errors';
import type { Changeset, ChangesetEntry } from './changeset';
import { type Compression, compressionFromMediaType, detectCompression, MAGIC_BYTES } from './compression';
import { type Decoder, openDecoder, type ZstdDecoder } from './decoders';
import { normaliseLayerPath, whiteoutOf } from './paths';
import { TarFormatError, type TarMember, TarParser } from './tar-parser';

export interface ReadLayerOptions {
  /** The blob's digest: named in every error and recorded in the changeset. */
  layerDigest: string;
  /** The descriptor's media type. Compression is detected from the bytes; this only breaks no ties. */
  mediaType?: string;
  /** Compressed bytes read so far, after every chunk: for activity heartbeats. */
  onProgress?(bytes: number): void;
  /**
   * Asked for every regular file: keep its content? Lets package-record readers (dist-info METADATA,
   * dpkg status, package.json) share the one pass over the layer. Everything else is drained unread.
   */
  wantContent?(path: string, size: number): boolean;
  /** Largest file kept whole; bigger wanted files are skipped (listed in `skippedContents`). Default 1 MiB. */
  maxContentBytes?: number;
  /** Most content kept per layer; wanted files past it are skipped. Default 32 MiB. */
  maxTotalContentBytes?: number;
  signal?: AbortSignal;
  /** zstd decoder choice; default: the zstd CLI when installed (faster), else fzstd. */
  zstd?: ZstdDecoder;
}

export interface LayerContent {
  path: string;
  data: Buffer;
}

export interface LayerRead extends Changeset {
  /** Contents of the files `wantContent` asked for, in tar order. */
  contents: LayerContent[];
  /** Files `wantContent` asked for but the size limits left out. */
  skippedContents: Array<{ path: string; size: number }>;
  /** The compression found in the bytes. */
  compression: Compression;
  /** Set when the media type claimed another compression than the bytes have (the bytes were used). */
  declaredCompression?: Compression;
}

export const DEFAULT_MAX_CONTENT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TOTAL_CONTENT_BYTES = 32 * 1024 * 1024;

const MEDIA_TYPE_FOR: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/**
 * One pass over a layer blob: decompress (gzip, zstd or none, told by the bytes), parse the tar,
 * and record every member's path, type, size and mode in tar order, plus the deletions its
 * whiteouts stand for. File contents are drained without being kept, unless `wantContent` asks,
 * so memory does not grow with layer size; nothing is written to disk.
 *
 * Errors: bad bytes (truncated, corrupt compression, impossible tar header) reject with a
 * non-retryable `CorruptContentError` naming the layer; an error of the source stream itself (a
 * network fault, a digest mismatch found by the registry client) rejects as it is.
 */
export async function readLayer(source: Readable, opts: ReadLayerOptions): Promise<LayerRead> {
  const { layerDigest, signal } = opts;
  signal?.throwIfAborted();
  const maxContent = opts.maxContentBytes ?? DEFAULT_MAX_CONTENT_BYTES;
  const maxTotal = opts.maxTotalContentBytes ?? DEFAULT_MAX_TOTAL_CONTENT_BYTES;

  const head = await readHead(source, MAGIC_BYTES, signal);
  const compression = detectCompression(Buffer.concat(head.chunks), opts.mediaType);

  const result: LayerRead = {
    schema: 'praxi.changeset/v1',
    layerDigest,
    mediaType: opts.mediaType ?? MEDIA_TYPE_FOR[compression],
    entries: [],
    deletions: [],
    bytes: 0,
    contents: [],
    skippedContents: [],
    compression,
  };
  const declared = compressionFromMediaType(opts.mediaType);
  if (declared !== undefined && declared !== compression) result.declaredCompression = declared;
  let contentTotal = 0;

  const decoder: Decoder = openDecoder(compression, layerDigest, opts.zstd);

  return new Promise<LayerRead>((resolve, reject) => {
    let settled = false;
    let tarEnded = false;
    let decoderDone = false;
    let wanted: { path: string; chunks: Buffer[] } | null = null;

    const parser = new TarParser({
      member: (m) => {
        wanted = recordMember(m);
        return wanted !== null;
      },
      data: (chunk) => wanted?.chunks.push(Buffer.from(chunk)),
      end: () => {
        if (wanted) result.contents.push({ path: wanted.path, data: Buffer.concat(wanted.chunks) });
        wanted = null;
      },
    });

    /** Adds the member to the changeset; returns where to collect its content when that is wanted. */
    const recordMember = (m: TarMember): { path: string; chunks: Buffer[] } | null => {
      const path = normaliseLayerPath(m.name);
      if (path === '') return null; // the root directory itself
      const whiteout = whiteoutOf(path);
      if (whiteout) {
        if (whiteout.kind !== 'meta') result.deletions.push(whiteout.path);
        return null;
      }
      const entry: ChangesetEntry = { path, type: m.type, size: m.size, mode: m.mode };
      if (m.linkname && (m.type === 'symlink' || m.type === 'hardlink')) {
        entry.linkname = m.type === 'hardlink' ? normaliseLayerPath(m.linkname) : m.linkname;
      }
      result.entries.push(entry);
      if (m.type !== 'file' || !opts.wantContent || !opts.wantContent(path, m.size)) return null;
      if (m.size > maxContent || contentTotal + m.size > maxTotal) {
        result.skippedContents.push({ path, size: m.size });
        return null;
      }
      contentTotal += m.size;
      return { path, chunks: [] };
    };

    const cleanup = (failed: boolean): void => {
      signal?.removeEventListener('abort', onAbort);
      if (!failed) return;
      source.unpipe(decoder.input);
      source.destroy();
      decoder.destroy();
    };
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup(true);
      reject(e);
    };
    const maybeDone = (): void => {
      if (settled || !tarEnded || !decoderDone) return;
      settled = true;
      cleanup(false);
      resolve(result);
    };
    const onAbort = (): void => fail(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });

    // The source's own failures pass through untouched: the caller knows their type best.
    source.on('error', fail);
    decoder.done.then(() => {
      decoderDone = true;
      maybeDone();
    }, fail);

    const tarFailed = (e: TarFormatError): void => {
      const typed = tarError(layerDigest, e);
      // When the decoder stopped early, its own verdict (a zstd exit status) explains the tar
      // error better than "truncated"; it is due any moment.
      decoder.done.then(() => fail(typed), fail);
    };
    // Parsed synchronously in the decompressor's data callback: no per-member streams or promises.
    decoder.output.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        parser.write(chunk);
      } catch (e) {
        // Bad bytes become a typed error; anything else (a throwing wantContent) passes as it is.
        fail(e instanceof TarFormatError ? tarError(layerDigest, e) : e);
      }
    });
    decoder.output.on('end', () => {
      if (settled) return;
      try {
        parser.end();
      } catch (e) {
        tarFailed(e as TarFormatError);
        return;
      }
      tarEnded = true;
      maybeDone();
    });

    const countBytes = (chunk: Buffer): void => {
      result.bytes += chunk.length;
      try {
        opts.onProgress?.(result.bytes);
      } catch (e) {
        fail(e); // a throwing progress callback stops the read instead of crashing the process
      }
    };
    // Feed the decoder: first the bytes read to sniff the format, then the rest of the source.
    for (const chunk of head.chunks) {
      countBytes(chunk);
      decoder.input.write(chunk);
    }
    if (head.ended) {
      decoder.input.end();
    } else {
      source.on('data', countBytes);
      source.pipe(decoder.input);
    }
  });
}

function tarError(layerDigest: string, e: TarFormatError): CorruptContentError {
  return new CorruptContentError(`layer ${layerDigest}: ${e.reason}`, 'CORRUPT_CONTENT', e);
}

/**
 * Reads at least `n` bytes (or the whole stream, if shorter) and leaves the source paused, so the
 * format can be chosen before the rest is piped anywhere.
 */
function readHead(
  source: Readable,
  n: number,
  signal?: AbortSignal,
): Promise<{ chunks: Buffer[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (ended: boolean): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      resolve({ chunks, ended });
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buf);
      length += buf.length;
      if (length >= n) {
        source.pause();
        finish(false);
      }
    };
    const onEnd = (): void => finish(true);
    const onError = (e: unknown): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = (): void => {
      onError(signal?.reason);
      source.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
  });
}
