import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadInputError } from '../errors';
import { DOCKER_HUB_HOST } from './reference';

/**
 * Registry credentials and the WWW-Authenticate challenge grammar. Credentials are looked up per host
 * from the environment first, then a Docker config.json. They are only ever placed in request headers:
 * nothing here puts a secret into an error message or a log line.
 */

export interface Credential {
  username?: string;
  password?: string;
  /** Docker config `identitytoken`: an OAuth2 refresh token exchanged at the token realm. */
  identityToken?: string;
}

export interface CredentialLookup {
  credential?: Credential;
  /** Why no usable credential was found although one was configured (e.g. only a credential helper). */
  note?: string;
  /** Where the credential came from, safe to show: "environment" or the config file path. */
  source?: string;
}

/** Finds the credential for a registry host (HOST[:PORT]). */
export type Keychain = (host: string) => CredentialLookup;

export const anonymousKeychain: Keychain = () => ({});

/** PRAXI_REGISTRY_USERNAME/PASSWORD, for the host in PRAXI_REGISTRY_HOST or for every host when it is unset. */
export function envKeychain(env: NodeJS.ProcessEnv = process.env): Keychain {
  const username = env.PRAXI_REGISTRY_USERNAME;
  const password = env.PRAXI_REGISTRY_PASSWORD;
  const only = env.PRAXI_REGISTRY_HOST?.trim().toLowerCase();
  return (host) => {
    if (!username || password === undefined) return {};
    if (only && !sameRegistry(only, host)) return {};
    return { credential: { username, password }, source: 'environment (PRAXI_REGISTRY_USERNAME)' };
  };
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The Docker config path praxi reads: config `registry.dockerConfig`, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(
  configured: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (configured) return configured;
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return path.join(env.HOME ?? os.homedir(), '.docker', 'config.json');
}

/**
 * Credentials from a Docker config.json `auths` section (`auth` is base64 "user:password";
 * `identitytoken` is supported). Credential helpers (credHelpers, credsStore) are not run: praxi
 * reports that they are configured so the user knows why no credential was used.
 * A missing file means no credentials; an unreadable or malformed one is a configuration error.
 */
export function dockerConfigKeychain(file: string, opts: { required?: boolean } = {}): Keychain {
  let doc: DockerConfigFile;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !opts.required) return anonymousKeychain;
    if (code === 'ENOENT') throw new BadInputError(`Docker config ${file} does not exist`, 'BAD_CONFIG');
    throw new BadInputError(
      `cannot read Docker config ${file}: ${e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message}`,
      'BAD_CONFIG',
    );
  }
  return (host) => {
    for (const [key, entry] of Object.entries(doc.auths ?? {})) {
      if (!sameRegistry(registryKey(key), host) || !entry) continue;
      const cred: Credential = {};
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon < 0) {
          throw new BadInputError(
            `Docker config ${file}: auths["${key}"].auth is not base64 of "user:password"`,
            'BAD_CONFIG',
          );
        }
        cred.username = decoded.slice(0, colon);
        cred.password = decoded.slice(colon + 1);
      } else if (entry.username !== undefined) {
        cred.username = entry.username;
        cred.password = entry.password ?? '';
      }
      if (entry.identitytoken) cred.identityToken = entry.identitytoken;
      if (cred.username !== undefined || cred.identityToken) return { credential: cred, source: file };
    }
    const helper =
      Object.entries(doc.credHelpers ?? {}).find(([k]) => sameRegistry(registryKey(k), host))?.[1] ??
      doc.credsStore;
    if (helper) {
      return {
        note: `${file} stores credentials for ${host} in the credential helper "docker-credential-${helper}", which praxi does not run; set PRAXI_REGISTRY_USERNAME and PRAXI_REGISTRY_PASSWORD, or add an "auths" entry`,
      };
    }
    return {};
  };
}

/** Environment first, then the Docker config. */
export function defaultKeychain(opts: { dockerConfig?: string; env?: NodeJS.ProcessEnv } = {}): Keychain {
  const env = opts.env ?? process.env;
  const fromEnv = envKeychain(env);
  const fromFile = dockerConfigKeychain(dockerConfigPath(opts.dockerConfig, env), {
    required: opts.dockerConfig !== undefined,
  });
  return (host) => {
    const e = fromEnv(host);
    if (e.credential) return e;
    return fromFile(host);
  };
}

/** Docker config keys may be URLs (`https://index.docker.io/v1/`) or HOST[:PORT]. */
function registryKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

const HUB_NAMES = new Set([DOCKER_HUB_HOST, 'docker.io', 'index.docker.io', 'registry.hub.docker.com']);

function sameRegistry(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || (HUB_NAMES.has(x) && HUB_NAMES.has(y));
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` (RFC 7235 auth-params). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null) {
    if (p[0] === '') break;
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

export function basicAuthorization(cred: Credential): string {
  return `Basic ${Buffer.from(`${cred.username ?? ''}:${cred.password ?? ''}`).toString('base64')}`;
}
