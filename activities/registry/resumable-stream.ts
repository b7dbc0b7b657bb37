import { PassThrough, type Readable } from 'node:stream';
import { isPraxiError } from '../errors';
import { sleep } from './transport';

/**
 * A stream that survives connection cuts: when the current body fails with a retryable error (reset,
 * idle timeout) after some bytes, it asks `openAt(offset)` for the rest (an HTTP Range request) and
 * carries on, up to `maxResumes` times. Layers are often hundreds of megabytes: starting over from byte
 * 0 on every cut wastes the bytes already read. Bytes are verified downstream, so a server that resumes
 * at the wrong place is caught by the digest check.
 */
export function resumableStream(
  first: Readable,
  openAt: (offset: number) => Promise<Readable>,
  opts: { maxResumes: number; backoffMs: (attempt: number) => number; size?: number },
): Readable {
  const out = new PassThrough();
  let received = 0;
  let resumes = 0;
  let current: Readable | undefined;

  const attach = (body: Readable) => {
    current = body;
    body.on('data', (c: Buffer) => {
      received += c.length;
      if (!out.write(c)) body.pause();
    });
    body.on('end', () => {
      if (current === body) out.end();
    });
    body.on('error', (e) => {
      if (current !== body || out.destroyed) return;
      const complete = opts.size !== undefined && opts.size >= 0 && received >= opts.size;
      if (complete || !isPraxiError(e) || !e.retryable || resumes >= opts.maxResumes) {
        out.destroy(e);
        return;
      }
      const attempt = resumes++;
      void (async () => {
        await sleep(opts.backoffMs(attempt));
        if (out.destroyed) return;
        try {
          attach(await openAt(received));
        } catch (e2) {
          out.destroy(e2 as Error);
        }
      })();
    });
  };
  out.on('drain', () => current?.resume());
  out.on('close', () => {
    if (current && !current.destroyed) current.destroy();
  });
  attach(first);
  return out;
}
