/**
 * Typed errors shared by every module. Callers decide "retry or not" from the type (as crane does with
 * registry diagnostic codes), never by matching message text. The Temporal glue maps `retryable: false`
 * to a non-retryable ApplicationFailure whose type is the code, so a report can record it.
 */
export type ErrorCode =
  | 'BAD_REFERENCE'
  | 'BAD_CONFIG'
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'CORRUPT_CONTENT'
  | 'UNSUPPORTED_CONTENT'
  | 'DIGEST_MISMATCH'
  | 'TOO_MANY_REQUESTS'
  | 'UNAVAILABLE'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'KEY_NOT_FOUND'
  | 'MODEL_ERROR'
  | 'INTERNAL';

export class PraxiError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Registry diagnostic code or other machine-readable detail, when the source gave one. */
  readonly detail?: string;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; detail?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.detail = opts.detail;
  }
}

/** The user's input (an image reference, a flag, a file) is malformed. */
export class BadInputError extends PraxiError {
  constructor(message: string, code: 'BAD_REFERENCE' | 'BAD_CONFIG' | 'BAD_INPUT' = 'BAD_INPUT') {
    super(code, message);
  }
}

/** The thing asked for does not exist (image, tag, blob, store key). */
export class NotFoundError extends PraxiError {
  constructor(message: string, detail?: string, code: 'NOT_FOUND' | 'KEY_NOT_FOUND' = 'NOT_FOUND') {
    super(code, message, { detail });
  }
}

/** Credentials missing or wrong, or access denied. Retrying with the same credentials cannot help. */
export class AuthError extends PraxiError {
  constructor(message: string, detail?: string, code: 'UNAUTHORIZED' | 'DENIED' = 'UNAUTHORIZED') {
    super(code, message, { detail });
  }
}

/** Bytes that cannot be what they claim: truncated, bad compression, digest mismatch, impossible tar header. */
export class CorruptContentError extends PraxiError {
  constructor(
    message: string,
    code: 'CORRUPT_CONTENT' | 'DIGEST_MISMATCH' = 'CORRUPT_CONTENT',
    cause?: unknown,
  ) {
    super(code, message, { cause });
  }
}

/** Well-formed content of a kind praxi does not handle (schema 1 manifests, unknown media types). */
export class UnsupportedContentError extends PraxiError {
  constructor(message: string, detail?: string) {
    super('UNSUPPORTED_CONTENT', message, { detail });
  }
}

/** A fault that may pass: 429, 5xx, connection reset, timeout. Worth retrying with backoff. */
export class TransientError extends PraxiError {
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds?: number;
  constructor(
    message: string,
    code: 'TOO_MANY_REQUESTS' | 'UNAVAILABLE' | 'NETWORK' | 'TIMEOUT' = 'UNAVAILABLE',
    opts: { retryAfterSeconds?: number; detail?: string; cause?: unknown } = {},
  ) {
    super(code, message, { retryable: true, detail: opts.detail, cause: opts.cause });
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export function isPraxiError(e: unknown): e is PraxiError {
  return e instanceof PraxiError;
}

/** CLI exit codes, as documented in `praxi --help`: 2 usage, 3 not found/unauthorized, 4 bad content. */
export function exitCodeFor(e: unknown): number {
  if (!isPraxiError(e)) return 1;
  switch (e.code) {
    case 'BAD_REFERENCE':
    case 'BAD_CONFIG':
    case 'BAD_INPUT':
      return 2;
    case 'NOT_FOUND':
    case 'KEY_NOT_FOUND':
    case 'UNAUTHORIZED':
    case 'DENIED':
      return 3;
    case 'CORRUPT_CONTENT':
    case 'UNSUPPORTED_CONTENT':
    case 'DIGEST_MISMATCH':
      return 4;
    default:
      return 1;
  }
}
