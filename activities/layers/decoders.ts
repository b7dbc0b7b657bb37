import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Transform, type Readable, type Writable, type TransformCallback } from 'node:stream';
import { constants as zlibConstants, createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { CorruptContentError } from '../errors';
import type { Compression } from './compression';

/** Which zstd decoder to use: the `zstd` CLI in a child process, the pure-JS fzstd, or the CLI when installed. */
export type ZstdDecoder = 'auto' | 'cli' | 'fzstd';

export const ZSTD_CLI = '/usr/bin/zstd';

/** Decompressed output in chunks this large: fewer, bigger chunks mean less per-chunk work downstream. */
const OUTPUT_CHUNK = 256 * 1024;

/**
 * A decompressor as two ends. Its failures are already typed: `CorruptContentError` naming the layer.
 * `done` settles when the decoder has finished or failed (for a child process: when it has exited).
 */
export interface Decoder {
  input: Writable;
  output: Readable;
  done: Promise<void>;
  /** Stop now (another stage failed, or the caller aborted). */
  destroy(): void;
}

export function openDecoder(
  compression: Compression,
  layerDigest: string,
  zstd: ZstdDecoder = 'auto',
): Decoder {
  switch (compression) {
    case 'gzip':
      return streamDecoder(createGunzip({ chunkSize: OUTPUT_CHUNK }), (e) => gzipError(layerDigest, e));
    case 'zstd':
      if (zstd === 'cli' || (zstd === 'auto' && existsSync(ZSTD_CLI))) return zstdCliDecoder(layerDigest);
      return streamDecoder(new FzstdTransform(), (e) => zstdError(layerDigest, e));
    case 'none':
      return streamDecoder(new PassThrough({ highWaterMark: OUTPUT_CHUNK }), (e) => e);
  }
}

function streamDecoder(stream: Transform, mapError: (e: unknown) => unknown): Decoder {
  const done = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', (e) => reject(mapError(e)));
  });
  done.catch(() => {}); // observed by the reader; never an unhandled rejection
  return { input: stream, output: stream, done, destroy: () => stream.destroy() };
}

function gzipError(layerDigest: string, e: unknown): CorruptContentError {
  const err = e as NodeJS.ErrnoException & { errno?: number };
  const truncated = err.code === 'Z_BUF_ERROR' || err.errno === zlibConstants.Z_BUF_ERROR;
  const what = truncated ? 'gzip stream is truncated' : `gzip data is corrupt (${err.message})`;
  return new CorruptContentError(`layer ${layerDigest}: ${what}`, 'CORRUPT_CONTENT', e);
}

function zstdError(layerDigest: string, e: unknown): CorruptContentError {
  const err = e as Error & { code?: number };
  const what = err.code === 5 ? 'zstd stream is truncated' : `zstd data is corrupt (${err.message})`;
  return new CorruptContentError(`layer ${layerDigest}: ${what}`, 'CORRUPT_CONTENT', e);
}

/** fzstd's streaming decoder as a Node Transform. Pure JS: no child process, slower on big layers. */
class FzstdTransform extends Transform {
  private readonly decoder = new Decompress((chunk) => {
    // fzstd hands over a fresh array per block (it copies into its window afterwards): no copy needed.
    if (chunk.length > 0) this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  });

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.decoder.push(chunk);
    } catch (e) {
      cb(e as Error);
      return;
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
    } catch (e) {
      cb(e as Error);
      return;
    }
    cb();
  }
}

/**
 * `zstd -dc` in a child process: native speed on the second core, and it verifies frame checksums.
 * Its exit status decides success; its stderr becomes the error message.
 */
function zstdCliDecoder(layerDigest: string): Decoder {
  const child = spawn(ZSTD_CLI, ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  // zstd exits on bad input while we may still be writing: EPIPE is then a symptom, not the cause.
  child.stdin.on('error', () => {});
  let killed = false;
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (e) =>
      reject(
        new CorruptContentError(
          `layer ${layerDigest}: cannot run ${ZSTD_CLI}: ${e.message}`,
          'CORRUPT_CONTENT',
          e,
        ),
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      if (killed) return reject(new Error('zstd stopped'));
      const detail = stderr.trim().replace(/\s+/g, ' ') || `exit ${code ?? signal}`;
      const truncated = /truncat|unexpected end|incomplete|premature/i.test(detail);
      reject(
        new CorruptContentError(
          `layer ${layerDigest}: ${truncated ? 'zstd stream is truncated' : 'zstd data is corrupt'} (${detail})`,
        ),
      );
    });
  });
  done.catch(() => {});
  return {
    input: child.stdin,
    output: child.stdout,
    done,
    destroy: () => {
      killed = true;
      child.stdin.destroy();
      child.stdout.destroy();
      child.kill('SIGKILL');
    },
  };
}
