import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BadInputError } from '../activities/errors';
import { type Config, ConfigSchema } from './schema';

type Json = Record<string, unknown>;

/** Fields that look like secrets are refused in files and flags: they belong in the environment. */
const SECRET_KEY_RE = /(password|passwd|secret(?!File)|token|accessKey|secretKey|credential)/i;

export interface LoadOptions {
  /** Config file path; default PRAXI_CONFIG, else none. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, as a partial config tree. */
  overrides?: Json;
}

/**
 * Environment variables understood by praxi (documented in the README). Each maps to one config path;
 * values are parsed by the schema, so "true"/"1" and numbers are accepted where the field wants them.
 */
export const ENV_VARS: Record<string, { path: string[]; kind: 'string' | 'number' | 'boolean' | 'list' }> = {
  PRAXI_DATA_DIR: { path: ['dataDir'], kind: 'string' },
  PRAXI_TEMPORAL_ADDRESS: { path: ['temporal', 'address'], kind: 'string' },
  PRAXI_TEMPORAL_NAMESPACE: { path: ['temporal', 'namespace'], kind: 'string' },
  PRAXI_TEMPORAL_UI: { path: ['temporal', 'uiUrl'], kind: 'string' },
  PRAXI_TEMPORAL_TLS: { path: ['temporal', 'tls'], kind: 'boolean' },
  PRAXI_STORE_DIR: { path: ['store', 'dir'], kind: 'string' },
  PRAXI_S3_BUCKET: { path: ['store', 'bucket'], kind: 'string' },
  PRAXI_S3_PREFIX: { path: ['store', 'prefix'], kind: 'string' },
  PRAXI_S3_REGION: { path: ['store', 'region'], kind: 'string' },
  PRAXI_S3_ENDPOINT: { path: ['store', 'endpoint'], kind: 'string' },
  PRAXI_S3_PATH_STYLE: { path: ['store', 'forcePathStyle'], kind: 'boolean' },
  PRAXI_PLATFORM: { path: ['registry', 'platform'], kind: 'string' },
  PRAXI_INSECURE_REGISTRIES: { path: ['registry', 'insecure'], kind: 'list' },
  PRAXI_DOCKER_CONFIG: { path: ['registry', 'dockerConfig'], kind: 'string' },
  PRAXI_SCAN_REGISTRY: { path: ['scan', 'registry'], kind: 'string' },
  PRAXI_SCAN_REPOSITORIES: { path: ['scan', 'repositories'], kind: 'list' },
  PRAXI_MODEL_VERSION: { path: ['model', 'version'], kind: 'string' },
  PRAXI_ADVISORIES: { path: ['risk', 'advisories'], kind: 'string' },
  PRAXI_WEBHOOK_URL: { path: ['alarms', 'webhookUrl'], kind: 'string' },
  PRAXI_ALARM_MIN_SEVERITY: { path: ['alarms', 'minSeverity'], kind: 'string' },
};

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.PRAXI_CONFIG;
  let tree: Json = {};
  if (file) tree = readConfigFile(file);
  tree = merge(tree, fromEnv(env));
  if (opts.overrides) {
    refuseSecrets(opts.overrides, 'flags');
    tree = merge(tree, opts.overrides);
  }
  // A bucket given without a kind means S3.
  const store = tree.store as Json | undefined;
  if (store && store.kind === undefined) store.kind = store.bucket !== undefined ? 's3' : 'local';
  return parseConfig(tree, file ? `config file ${file}` : 'configuration');
}

export function parseConfig(tree: unknown, source = 'configuration'): Config {
  const result = ConfigSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new BadInputError(`invalid ${source}:\n${lines.join('\n')}`, 'BAD_CONFIG');
  }
  return result.data;
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BadInputError(`cannot read config file ${file}: ${(e as Error).message}`, 'BAD_CONFIG');
  }
  let value: unknown;
  try {
    value = path.extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new BadInputError(
      `config file ${file} is not valid ${path.extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
      'BAD_CONFIG',
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BadInputError(`config file ${file} must hold an object at its top level`, 'BAD_CONFIG');
  }
  refuseSecrets(value as Json, `config file ${file}`);
  return value as Json;
}

function refuseSecrets(tree: Json, source: string, at: string[] = []): void {
  for (const [k, v] of Object.entries(tree)) {
    if (SECRET_KEY_RE.test(k)) {
      throw new BadInputError(
        `${source}: ${[...at, k].join('.')} looks like a credential; credentials are read only from the environment or files (see README "Credentials")`,
        'BAD_CONFIG',
      );
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) refuseSecrets(v as Json, source, [...at, k]);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Json {
  const tree: Json = {};
  for (const [name, spec] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (spec.kind === 'number') value = Number(raw);
    if (spec.kind === 'boolean') {
      if (!/^(1|0|true|false|yes|no)$/i.test(raw)) {
        throw new BadInputError(`${name}=${raw}: expected true or false`, 'BAD_CONFIG');
      }
      value = /^(1|true|yes)$/i.test(raw);
    }
    if (spec.kind === 'list')
      value = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    setPath(tree, spec.path, value);
  }
  return tree;
}

export function setPath(tree: Json, at: string[], value: unknown): void {
  let node = tree;
  for (const key of at.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[at[at.length - 1]] = value;
}

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Json, v as Json)
        : v;
  }
  return out;
}
