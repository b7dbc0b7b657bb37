import { BadInputError } from '../errors';

/**
 * Image references, parsed once at the edge into a typed value that nothing downstream re-parses.
 * The grammar follows the distribution project's `reference` package (Docker's) plus the transport
 * prefixes skopeo made familiar (`docker-daemon:`, `docker-archive:`, `oci-archive:`, `oci:`).
 */

export const DOCKER_HUB_HOST = 'registry-1.docker.io';
/** How Docker Hub references are written back out: the name users know, which parses back to the same ref. */
const DOCKER_HUB_DISPLAY = 'docker.io';
const DOCKER_HUB_ALIASES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

export interface RegistryRef {
  kind: 'registry';
  /** HOST[:PORT], lower-cased; Docker Hub is `registry-1.docker.io`. IPv6 hosts keep their brackets. */
  host: string;
  /** Repository path inside the registry, e.g. `library/python` or `team/app`. */
  repository: string;
  /** The tag; `latest` when the reference named neither tag nor digest. */
  tag?: string;
  /** `sha256:<64 hex>` when the reference pinned one; it wins over the tag when fetching. */
  digest?: string;
}

export interface DockerDaemonRef {
  kind: 'docker-daemon';
  /** What the engine is asked for: `NAME:TAG`, `NAME@DIGEST` or an image id `sha256:...`. */
  name: string;
}

export interface DockerArchiveRef {
  kind: 'docker-archive';
  path: string;
}

export interface OciArchiveRef {
  kind: 'oci-archive';
  path: string;
  /** `org.opencontainers.image.ref.name` of the wanted manifest; optional when the index holds one image. */
  tag?: string;
}

export interface OciLayoutRef {
  kind: 'oci';
  dir: string;
  tag?: string;
}

export type ImageRef = RegistryRef | DockerDaemonRef | DockerArchiveRef | OciArchiveRef | OciLayoutRef;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
// One path component: lower-case alphanumerics joined by '.', '_', '__' or runs of '-'.
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d{1,5})?$/;
const IPV6_HOST_RE = /^\[[0-9a-fA-F:.]+\](?::\d{1,5})?$/;
const MAX_NAME_LENGTH = 255;

function bad(input: string, why: string): never {
  throw new BadInputError(`invalid image reference ${JSON.stringify(input)}: ${why}`, 'BAD_REFERENCE');
}

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** Parses any supported reference form; throws BadInputError('BAD_REFERENCE') saying what is wrong. */
export function parseImageRef(input: string): ImageRef {
  if (typeof input !== 'string' || input.trim() === '') bad(String(input), 'it is empty');
  const transport = /^(docker-daemon|docker-archive|oci-archive|oci|docker):(.*)$/.exec(input);
  if (transport) {
    const [, kind, rest] = transport;
    if (rest === '') bad(input, `nothing follows "${kind}:"`);
    switch (kind) {
      case 'docker':
        // skopeo's docker://HOST/REPO form.
        if (!rest.startsWith('//')) bad(input, 'the docker transport is written docker://HOST/REPO[:TAG]');
        return parseRegistryRef(rest.slice(2), input);
      case 'docker-daemon':
        return parseDaemonRef(rest, input);
      case 'docker-archive':
        return { kind: 'docker-archive', path: rest };
      case 'oci-archive': {
        const { path, tag } = splitPathTag(rest, input);
        return { kind: 'oci-archive', path, ...(tag ? { tag } : {}) };
      }
      case 'oci': {
        const { path, tag } = splitPathTag(rest, input);
        return { kind: 'oci', dir: path, ...(tag ? { tag } : {}) };
      }
    }
  }
  return parseRegistryRef(input, input);
}

/** Parses a plain registry reference only (no transport prefix), e.g. for `praxi scan HOST/REPO:TAG`. */
export function parseRegistryRef(text: string, input = text): RegistryRef {
  if (/\s/.test(text)) bad(input, 'it contains whitespace');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digest.includes(':')) bad(input, `"${digest}" after "@" is not a digest (expected sha256:<64 hex>)`);
    if (!digest.startsWith('sha256:'))
      bad(input, `only sha256 digests are supported, got "${digest.split(':')[0]}"`);
    if (!DIGEST_RE.test(digest)) bad(input, 'a sha256 digest is "sha256:" and 64 lower-case hex characters');
  }
  if (rest === '') bad(input, 'no repository name before the digest');

  // A tag is what follows the last ':' when no '/' follows it (a ':' before a '/' is a port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/') && !rest.endsWith(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === '') bad(input, 'empty tag after ":"');
    if (!TAG_RE.test(tag))
      bad(
        input,
        `tag "${tag}" may hold only letters, digits, '_', '.', '-' (at most 128, not starting with '.' or '-')`,
      );
  }

  // The first component is a registry host when it looks like one (a dot, a port, localhost, brackets, capitals).
  let host: string;
  let repository: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (
    slash >= 0 &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first.startsWith('[') ||
      first !== first.toLowerCase())
  ) {
    if (!DOMAIN_RE.test(first) && !IPV6_HOST_RE.test(first))
      bad(input, `"${first}" is not a valid registry host`);
    const port = /:(\d+)$/.exec(first)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      bad(input, `port ${port} is out of range`);
    host = first.toLowerCase();
    repository = rest.slice(slash + 1);
  } else {
    host = DOCKER_HUB_HOST;
    repository = rest;
  }
  if (DOCKER_HUB_ALIASES.has(host)) {
    host = DOCKER_HUB_HOST;
    // Docker Hub keeps official images under library/.
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  if (repository === '') bad(input, 'no repository name after the host');
  for (const part of repository.split('/')) {
    if (part === '') bad(input, 'repository has an empty path component (a doubled or trailing "/")');
    if (!COMPONENT_RE.test(part)) {
      bad(
        input,
        part !== part.toLowerCase()
          ? `repository component "${part}" must be lower-case`
          : `repository component "${part}" may hold only a-z, 0-9 and single separators '.', '_', '__' or '-'`,
      );
    }
  }
  if (`${host}/${repository}`.length > MAX_NAME_LENGTH)
    bad(input, `repository name is longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    kind: 'registry',
    host,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

function parseDaemonRef(rest: string, input: string): DockerDaemonRef {
  // An image id, full or short, is given as-is to the engine.
  if (/^sha256:[a-f0-9]{64}$/.test(rest)) return { kind: 'docker-daemon', name: rest };
  if (rest.startsWith('sha256:')) bad(input, 'an image id is "sha256:" and 64 lower-case hex characters');
  const ref = parseRegistryRef(rest, input);
  return { kind: 'docker-daemon', name: formatRegistryName(ref, { forDaemon: true }) };
}

/** `PATH[:TAG]` as skopeo reads it: a ':' followed by no '/' ends the path and starts a tag. */
function splitPathTag(rest: string, input: string): { path: string; tag?: string } {
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || rest.indexOf('/', colon) >= 0) return { path: rest };
  const tag = rest.slice(colon + 1);
  if (tag === '') bad(input, 'empty tag after ":"');
  if (!/^[A-Za-z0-9._\-:@/+]+$/.test(tag)) bad(input, `"${tag}" is not a valid OCI layout ref name`);
  return { path: rest.slice(0, colon), tag };
}

function formatRegistryName(ref: RegistryRef, opts: { forDaemon?: boolean } = {}): string {
  let name: string;
  if (ref.host === DOCKER_HUB_HOST) {
    // The engine names hub images without host or library/ prefix (`python:3.12`).
    name = opts.forDaemon
      ? ref.repository.replace(/^library\//, '')
      : `${DOCKER_HUB_DISPLAY}/${ref.repository}`;
  } else {
    name = `${ref.host}/${ref.repository}`;
  }
  if (ref.tag !== undefined) name += `:${ref.tag}`;
  if (ref.digest !== undefined) name += `@${ref.digest}`;
  return name;
}

/** The repository part alone, as ResolvedImage.repository holds it. */
export function formatRepository(ref: ImageRef): string {
  switch (ref.kind) {
    case 'registry':
      return ref.host === DOCKER_HUB_HOST
        ? `${DOCKER_HUB_DISPLAY}/${ref.repository}`
        : `${ref.host}/${ref.repository}`;
    case 'docker-daemon': {
      if (ref.name.startsWith('sha256:')) return `docker-daemon:${ref.name}`; // an image id names no repository
      const noDigest = ref.name.split('@')[0];
      const colon = noDigest.lastIndexOf(':');
      return `docker-daemon:${colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest}`;
    }
    case 'docker-archive':
      return `docker-archive:${ref.path}`;
    case 'oci-archive':
      return `oci-archive:${ref.path}`;
    case 'oci':
      return `oci:${ref.dir}`;
  }
}

/** The canonical string of a reference; parsing it again gives an equal ImageRef. */
export function formatRef(ref: ImageRef): string {
  switch (ref.kind) {
    case 'registry':
      return formatRegistryName(ref);
    case 'docker-daemon':
      return `docker-daemon:${ref.name}`;
    case 'docker-archive':
      return `docker-archive:${ref.path}`;
    case 'oci-archive':
      return `oci-archive:${ref.path}${ref.tag ? `:${ref.tag}` : ''}`;
    case 'oci':
      return `oci:${ref.dir}${ref.tag ? `:${ref.tag}` : ''}`;
  }
}

function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.replace(/:\d+$/, '');
}

export function isLoopbackHost(host: string): boolean {
  const name = hostname(host).toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** Loopback registries speak plain HTTP; others HTTPS unless config `registry.insecure` names them (HOST or HOST:PORT). */
export function registryScheme(host: string, insecure: readonly string[] = []): 'http' | 'https' {
  if (isLoopbackHost(host)) return 'http';
  const lower = host.toLowerCase();
  return insecure.some((h) => h.toLowerCase() === lower || h.toLowerCase() === hostname(lower))
    ? 'http'
    : 'https';
}
