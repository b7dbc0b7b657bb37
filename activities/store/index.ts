import type { StoreConfig } from '../../config/schema';
import { LocalStore } from './local-store';
import type { ObjectStore } from './object-store';
import { S3Store } from './s3-store';

export * from './object-store';
export { LocalStore } from './local-store';
export { S3Store } from './s3-store';

/** Credentials come from the SDK's default chain (AWS_* environment, shared files), never from config. */
export function openStore(cfg: StoreConfig): ObjectStore {
  if (cfg.kind === 'local') return new LocalStore(cfg.dir);
  return new S3Store({
    bucket: cfg.bucket,
    prefix: cfg.prefix,
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
  });
}
