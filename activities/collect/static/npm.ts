import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { BadInputError, PraxiError, UnsupportedContentError } from '../../errors';
import type { NpmLayout } from '../variants';
import { fetchJson, fetchOk } from './http';

/**
 * The npm side of the static path: the files of a package tarball as they land under
 * `node_modules/NAME/`, its bin links, and (optionally) the dependencies npm would add, as resolved
 * by `npm install --dry-run` on this host against an empty prefix.
 */
export interface NpmVersionInfo {
  name: string;
  version: string;
  tarball: string;
  unpackedSize?: number;
  dependencies: Record<string, string>;
  bin: string[];
}

interface Packument {
  'dist-tags': Record<string, string>;
  versions: Record<
    string,
    {
      version: string;
      deprecated?: string;
      dist: { tarball: string; unpackedSize?: number };
      dependencies?: Record<string, string>;
      bin?: string | Record<string, string>;
      name: string;
    }
  >;
  time?: Record<string, string>;
}

const REGISTRY = 'https://registry.npmjs.org';

export async function fetchPackument(name: string): Promise<Packument> {
  return fetchJson<Packument>(`${REGISTRY}/${name.replace('/', '%2F')}`);
}

function binNames(name: string, bin: string | Record<string, string> | undefined): string[] {
  if (!bin) return [];
  if (typeof bin === 'string') return [name.startsWith('@') ? name.split('/')[1] : name];
  return Object.keys(bin);
}

export function versionInfo(p: Packument, version: string): NpmVersionInfo {
  const v = p.versions[version];
  if (!v) throw new BadInputError(`npm package has no version ${version}`);
  return {
    name: v.name,
    version: v.version,
    tarball: v.dist.tarball,
    unpackedSize: v.dist.unpackedSize,
    dependencies: v.dependencies ?? {},
    bin: binNames(v.name, v.bin),
  };
}

/**
 * The newest `count` versions that are not prereleases or deprecated, newest first by publish time,
 * the `latest` tag always included when eligible.
 */
export function chooseVersions(p: Packument, count: number): string[] {
  const eligible = Object.values(p.versions)
    .filter((v) => !v.deprecated && /^\d+\.\d+\.\d+$/.test(v.version))
    .map((v) => v.version);
  const time = p.time ?? {};
  eligible.sort((a, b) => (time[b] ?? '').localeCompare(time[a] ?? '') || b.localeCompare(a));
  const latest = p['dist-tags'].latest;
  const out = latest && eligible.includes(latest) ? [latest] : [];
  for (const v of eligible) if (out.length < count && !out.includes(v)) out.push(v);
  return out;
}

/**
 * Files inside a package tarball, with the leading `package/` (or whatever the packer used) removed, and
 * each regular file's size from its tar header (size signatures: tagging/size-signatures.ts).
 */
export async function tarballFiles(
  url: string,
  maxBytes = 200 << 20,
): Promise<{ files: string[]; sizes: number[] }> {
  const res = await fetchOk(url, { timeoutMs: 120_000 });
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > maxBytes) {
    await res.body?.cancel();
    throw new UnsupportedContentError(`npm tarball of ${len} bytes is over the ${maxBytes} byte cap`);
  }
  const files: string[] = [];
  const sizes: number[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    if (header.type === 'file' || header.type === 'symlink') {
      files.push(header.name.replace(/^[^/]+\//, ''));
      sizes.push(header.type === 'file' ? (header.size ?? 0) : 0);
    }
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
    createGunzip(),
    extract,
  );
  return { files, sizes };
}

export interface NpmPackageFiles {
  name: string;
  version: string;
  files: string[];
  /** Each file's size, in `files` order. */
  sizes: number[];
  bin: string[];
}

/**
 * The paths an install of `pkg` (plus `deps`, when given) writes in `layout`. Project installs hoist
 * dependencies next to the package; global installs nest them in the package's own node_modules.
 */
export function npmInstallPaths(
  pkg: NpmPackageFiles,
  deps: NpmPackageFiles[],
  layout: NpmLayout,
): { files: string[]; links: string[]; sizes: Map<string, number> } {
  // npm's cache goes through /tmp (removed in the same step): the directory itself still changes.
  const files: string[] = [...layout.extras, 'tmp/'];
  const links: string[] = [];
  const sizes = new Map<string, number>();
  const place = (p: NpmPackageFiles, dir: string, linkBins: boolean) => {
    p.files.forEach((f, i) => {
      files.push(`${dir}/${p.name}/${f}`);
      sizes.set(`${dir}/${p.name}/${f}`, p.sizes[i]);
    });
    if (linkBins) for (const b of p.bin) links.push(`${layout.bin}/${b}`);
  };
  place(pkg, layout.modules, true);
  for (const d of deps) {
    if (layout.global) place(d, `${layout.modules}/${pkg.name}/node_modules`, false);
    else place(d, layout.modules, true);
  }
  return { files, links, sizes };
}

/** What `npm install NAME@VERSION` would add to an empty prefix, as resolved by this host's npm. */
export async function resolveDependencies(
  name: string,
  version: string,
  timeoutMs = 120_000,
): Promise<Array<{ name: string; version: string }>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'praxi-npm-resolve-'));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'npm',
        [
          'install',
          '--dry-run',
          '--no-save',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--prefix',
          dir,
          `${name}@${version}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, cwd: dir },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) return resolve(stdout);
        const msg = `npm dry-run of ${name}@${version} exited ${code}: ${stderr}`;
        // A package for another platform (musl, arm64 builds) cannot install here: not a fault that passes.
        reject(
          /EBADPLATFORM|EBADENGINE/.test(stderr)
            ? new UnsupportedContentError(msg, 'EBADPLATFORM')
            : new PraxiError('INTERNAL', msg),
        );
      });
    });
    const added: Array<{ name: string; version: string }> = [];
    for (const line of out.split('\n')) {
      const m = /^add (\S+) (\S+)$/.exec(line.trim());
      if (m && !(m[1] === name && m[2] === version)) added.push({ name: m[1], version: m[2] });
    }
    return added;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
