import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import type { Config } from '../config/schema';

/** Global flags every command shares; they override the config file and environment. */
export function addGlobalOptions(program: Command): void {
  program
    .option('-c, --config <file>', 'config file (JSON or YAML); default $PRAXI_CONFIG')
    .option('--temporal <host:port>', 'Temporal frontend address (default 127.0.0.1:7233)')
    .option('--namespace <name>', 'Temporal namespace (default "default")')
    .option(
      '--store <dir|s3://bucket/prefix>',
      'object store: a directory or an S3 URL (default .praxi/store)',
    )
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for an s3:// store')
    .option('--platform <os/arch>', 'platform picked from multi-arch images (default linux/amd64)');
}

/** The validated config for this invocation: defaults < file < PRAXI_* env < flags. */
export function configFrom(cmd: Command): Config {
  const o = cmd.optsWithGlobals() as Record<string, string | undefined>;
  const overrides: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, v: unknown) => {
    if (v === undefined) return;
    (overrides[section] ??= {})[key] = v;
  };
  set('temporal', 'address', o.temporal);
  set('temporal', 'namespace', o.namespace);
  set('registry', 'platform', o.platform);
  if (o.store) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(o.store);
    if (m) {
      overrides.store = {
        kind: 's3',
        bucket: m[1],
        prefix: m[2],
        ...(o.s3Endpoint ? { endpoint: o.s3Endpoint, forcePathStyle: true } : {}),
      };
    } else {
      overrides.store = { kind: 'local', dir: o.store };
    }
  }
  return loadConfig({ file: o.config, overrides });
}
