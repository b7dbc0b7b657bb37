import type { Readable } from 'node:stream';
import { extract as tarExtract, type Header } from 'tar-stream';
import { CorruptContentError } from '../errors';
import type { Changeset, ChangesetEntry, EntryType } from './changeset';
import { type Compression, detectCompression, MAGIC_BYTES } from './compression';
import { type Decoder, openDecoder, type ZstdDecoder } from './decoders';
import { normaliseLayerPath, whiteoutOf } from './paths';

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
}

export const DEFAULT_MAX_CONTENT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TOTAL_CONTENT_BYTES = 32 * 1024 * 1024;
/** No single file in a container layer is a tebibyte: a size field past this is a corrupt header. */
export const MAX_MEMBER_SIZE = 2 ** 40;

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
  let contentTotal = 0;

  const decoder: Decoder = openDecoder(compression, layerDigest, opts.zstd);
  const tar = tarExtract();

  return new Promise<LayerRead>((resolve, reject) => {
    let settled = false;
    let decodedEnded = false;
    let tarFinished = false;
    let decoderDone = false;

    const cleanup = (failed: boolean): void => {
      signal?.removeEventListener('abort', onAbort);
      if (!failed) return;
      source.unpipe(decoder.input);
      source.destroy();
      decoder.destroy();
      tar.destroy();
    };
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup(true);
      reject(e);
    };
    const maybeDone = (): void => {
      if (settled || !tarFinished || !decoderDone) return;
      settled = true;
      cleanup(false);
      resolve(result);
    };
    const onAbort = (): void => fail(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });

    const countBytes = (chunk: Buffer): void => {
      result.bytes += chunk.length;
      opts.onProgress?.(result.bytes);
    };

    // The source's own failures pass through untouched: the caller knows their type best.
    source.on('error', fail);
    decoder.done.then(() => {
      decoderDone = true;
      maybeDone();
    }, fail);

    decoder.output.on('data', (chunk: Buffer) => {
      if (!tar.write(chunk)) decoder.output.pause();
    });
    tar.on('drain', () => decoder.output.resume());
    decoder.output.on('end', () => {
      decodedEnded = true;
      tar.end(undefined); // streamx: end() with no final chunk
    });
    tar.on('finish', () => {
      tarFinished = true;
      maybeDone();
    });
    tar.on('error', (e: Error) => {
      const typed = tarError(layerDigest, e);
      // When the decoder's output ended early, the decoder's own verdict (a zstd exit status)
      // explains the tar error better than "unexpected end"; it is due any moment.
      if (decodedEnded) decoder.done.then(() => fail(typed), fail);
      else fail(typed);
    });

    tar.on('entry', (header, stream, next) => {
      let wanted = false;
      try {
        wanted = recordEntry(header);
      } catch (e) {
        fail(e);
        return;
      }
      // tar-stream streams no data for empty members and directories: nothing to drain.
      if (header.size === 0 || header.type === 'directory') {
        next();
        return;
      }
      // The parser destroys a member's stream with its own error when it fails; that error is
      // handled once, on the parser. Without a listener here it would surface as uncaught.
      stream.on('error', ignore);
      if (!wanted) {
        // Drained in flowing mode; tar-stream sequences the next header after this member's data.
        stream.resume();
        next();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        result.contents.push({ path: normaliseLayerPath(header.name), data: Buffer.concat(chunks) });
        next();
      });
    });

    /** Adds the member to the changeset; true when its content is to be kept. */
    const recordEntry = (header: Header): boolean => {
      const size = header.size ?? 0;
      if (!Number.isSafeInteger(size) || size < 0 || size > MAX_MEMBER_SIZE) {
        throw new CorruptContentError(
          `layer ${layerDigest}: tar member ${JSON.stringify(header.name)} has an impossible size field (${size})`,
        );
      }
      const path = normaliseLayerPath(header.name);
      if (path === '') return false; // the root directory itself
      const whiteout = whiteoutOf(path);
      if (whiteout) {
        if (whiteout.kind !== 'meta') result.deletions.push(whiteout.path);
        return false;
      }
      const type = entryType(header.type);
      const entry: ChangesetEntry = { path, type, size, mode: header.mode ?? 0 };
      if (header.linkname) {
        entry.linkname = type === 'hardlink' ? normaliseLayerPath(header.linkname) : header.linkname;
      }
      result.entries.push(entry);
      if (type !== 'file' || !opts.wantContent || !opts.wantContent(path, size)) return false;
      if (size > maxContent || contentTotal + size > maxTotal) {
        result.skippedContents.push({ path, size });
        return false;
      }
      contentTotal += size;
      return true;
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

function ignore(): void {}

function entryType(type: Header['type']): EntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

function tarError(layerDigest: string, e: Error): CorruptContentError {
  const m = e.message;
  let what: string;
  if (/unexpected end/i.test(m)) what = 'tar stream is truncated (ends inside a member)';
  else if (/exceeds max size/i.test(m)) what = 'a PAX or GNU long-name header is larger than 4 MiB';
  else if (m === 'Invalid header') what = 'a tar header has an invalid size field';
  else if (/invalid tar header/i.test(m)) what = `not a valid tar header (bad checksum or format): ${m}`;
  else what = `tar parse error: ${m}`;
  return new CorruptContentError(`layer ${layerDigest}: ${what}`, 'CORRUPT_CONTENT', e);
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
