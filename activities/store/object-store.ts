import type { Readable } from 'node:stream';
import { BadInputError } from '../errors';

export type Body = Buffer | string | Readable;

/**
 * Where praxi keeps tagsets, models and reports. Two backends pass the same contract tests:
 * a local directory (the embedded default) and any S3-compatible endpoint.
 */
export interface ObjectStore {
  /** Human-readable location, safe to log (never contains credentials). */
  readonly location: string;
  put(key: string, body: Body, opts?: { contentType?: string }): Promise<void>;
  /** Throws NotFoundError with code KEY_NOT_FOUND when the key does not exist. */
  get(key: string): Promise<Buffer>;
  getStream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** All keys under a prefix, sorted, at any depth. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /**
   * Replace `key` so that readers see either the whole old or the whole new value, never a mix.
   * Used for the one mutable object of a model registry: its current-version pointer.
   */
  publish(key: string, body: Buffer | string): Promise<void>;
  /** Write only when the key does not exist yet; returns false when it already did. */
  putIfAbsent(key: string, body: Buffer | string): Promise<boolean>;
}

const KEY_RE = /^[A-Za-z0-9._\-+=@:,][A-Za-z0-9._\-+=@:,/]*$/;

/** Keys are relative, slash-separated, and cannot climb out of the store root. */
export function validateKey(key: string): string {
  if (!KEY_RE.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new BadInputError(`invalid object store key ${JSON.stringify(key)}`);
  }
  return key;
}

export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  validateKey(trimmed);
  return prefix;
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T> {
  return JSON.parse((await store.get(key)).toString('utf8')) as T;
}

export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value), { contentType: 'application/json' });
}
