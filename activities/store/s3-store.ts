import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { AuthError, NotFoundError, TransientError } from '../errors';
import { type Body, type ObjectStore, validateKey, validatePrefix } from './object-store';

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key, e.g. "praxi/". */
  prefix?: string;
  region?: string;
  /** Any S3-compatible endpoint; omit for AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Only for tests and explicit files: the SDK's default chain (environment, shared files) is preferred. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3Store implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ? (opts.prefix.endsWith('/') ? opts.prefix : `${opts.prefix}/`) : '';
    this.location = `s3://${opts.bucket}/${this.prefix}${opts.endpoint ? ` at ${opts.endpoint}` : ''}`;
    this.client = new S3Client({
      region: opts.region ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
      credentials: opts.credentials,
      // Newer SDKs add CRC checksums to every upload; several S3-compatible servers reject those on
      // streamed bodies. Only send them where the API requires it.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 4,
    });
  }

  private k(key: string): string {
    return this.prefix + validateKey(key);
  }

  async put(key: string, body: Body, opts: { contentType?: string } = {}): Promise<void> {
    // PutObject needs a known length; praxi's objects (tagsets, experts, reports) are bounded, so a
    // stream is collected first rather than pulling in a multipart uploader.
    const data = body instanceof Readable ? await readAll(body) : body;
    await this.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.k(key),
        Body: data,
        ContentType: opts.contentType,
      }),
      key,
    );
  }

  async publish(key: string, body: Buffer | string): Promise<void> {
    // A single PUT replaces an object atomically: readers get the old or the new body, never a mix.
    await this.put(key, body);
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    // The HEAD covers servers that ignore If-None-Match; the conditional PUT closes the race where
    // the server honours it.
    if (await this.exists(key)) return false;
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.k(key), Body: body, IfNoneMatch: '*' }),
      );
      return true;
    } catch (e) {
      const status = (e as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw this.mapError(e, key);
    }
  }

  async get(key: string): Promise<Buffer> {
    return readAll(await this.getStream(key));
  }

  async getStream(key: string): Promise<Readable> {
    const out = await this.send<GetObjectCommandOutput>(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.k(key) }),
      key,
    );
    return out.Body as Readable;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.k(key) }));
      return true;
    } catch (e) {
      const status = (e as S3ServiceException).$metadata?.httpStatusCode;
      if (status === 404) return false;
      throw this.mapError(e, key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.send<ListObjectsV2CommandOutput>(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
        }),
        prefix,
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.prefix.length));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.k(key) }), key);
  }

  destroy(): void {
    this.client.destroy();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async send<T>(cmd: any, key: string): Promise<T> {
    try {
      return (await this.client.send(cmd)) as T;
    } catch (e) {
      throw this.mapError(e, key);
    }
  }

  private mapError(e: unknown, key: string): unknown {
    const status = (e as S3ServiceException).$metadata?.httpStatusCode;
    const name = (e as Error).name;
    if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
      return new NotFoundError(`no object at key ${key} in ${this.location}`, name, 'KEY_NOT_FOUND');
    }
    if (status === 401 || status === 403) {
      return new AuthError(
        `object store ${this.location} refused access to ${key} (${name})`,
        name,
        status === 403 ? 'DENIED' : 'UNAUTHORIZED',
      );
    }
    if (status === undefined || status >= 500 || status === 429) {
      return new TransientError(
        `object store ${this.location} failed on ${key}: ${(e as Error).message}`,
        'UNAVAILABLE',
        { cause: e },
      );
    }
    return e;
  }
}
