import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { CorruptContentError } from '../errors';
import { isDigest } from './reference';

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Passes bytes through unchanged while hashing them, and fails the stream at its end when they are not
 * what the descriptor promised: CORRUPT_CONTENT when fewer (or more) bytes came than `size`,
 * DIGEST_MISMATCH when the sha256 differs. A consumer that reads to the end therefore never accepts
 * bad bytes silently, and nothing is buffered.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private received = 0;

  constructor(
    private readonly expected: string,
    private readonly size: number | undefined,
    private readonly what: string,
  ) {
    super();
    if (!isDigest(expected)) {
      throw new CorruptContentError(`${what}: cannot verify digest "${expected}" (only sha256 is supported)`);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    if (this.size !== undefined && this.size >= 0 && this.received > this.size) {
      done(
        new CorruptContentError(
          `${this.what}: more bytes than the ${this.size} its descriptor declares`,
          'CORRUPT_CONTENT',
        ),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.size !== undefined && this.size >= 0 && this.received < this.size) {
      done(
        new CorruptContentError(
          `${this.what} is truncated: got ${this.received} of ${this.size} bytes`,
          'CORRUPT_CONTENT',
        ),
      );
      return;
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      done(
        new CorruptContentError(
          `${this.what}: digest mismatch, expected ${this.expected}, got ${actual}`,
          'DIGEST_MISMATCH',
        ),
      );
      return;
    }
    done();
  }
}

/** Checks a whole buffer (manifests, configs) against its digest and size. */
export function verifyBuffer(data: Buffer, expected: string, size: number | undefined, what: string): void {
  if (size !== undefined && size >= 0 && data.length !== size) {
    throw new CorruptContentError(
      `${what}: ${data.length} bytes, its descriptor declares ${size}`,
      'CORRUPT_CONTENT',
    );
  }
  const actual = sha256Digest(data);
  if (actual !== expected) {
    throw new CorruptContentError(
      `${what}: digest mismatch, expected ${expected}, got ${actual}`,
      'DIGEST_MISMATCH',
    );
  }
}

/**
 * `source` piped through a DigestVerifier; an error of the source (network cut, file error) is passed
 * on, and destroying the result releases the source.
 */
export function verifiedStream(
  source: Readable,
  digest: string,
  size: number | undefined,
  what: string,
): Readable {
  const verifier = new DigestVerifier(digest, size, what);
  source.on('error', (e) => verifier.destroy(e));
  verifier.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(verifier);
}
