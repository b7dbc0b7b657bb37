import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';
import { repoRoot } from '../repo-root';
import { type Ecosystem, type PackageVersion } from '../../models/label';
import { dpkgVersions } from './install-records';
import { makeRecipe, type Recipe } from './recipe';
import { ArtifactCache } from './static/artifact-cache';
import { runRecipes } from './container-collector';
import { chooseReleases, fetchProject } from './static/pypi';
import { fetchJson } from './static/http';
import { VARIANTS, variantsOf } from './variants';

/**
 * A collection plan: the label space (which package versions) and the recipes that give its samples.
 * Planning reads package indexes once and caches the choices, so planning again gives the same
 * recipes (and recipe ids): a resumed collection skips what is done.
 */
export interface PlanParams {
  pypiProjects: number;
  pypiVersions: number;
  npmPackages: number;
  npmVersions: number;
  debPackages: number;
  /** Multi-label samples (2-4 packages in one layer) per ecosystem. */
  multi: Record<Ecosystem, number>;
  /** Labels per ecosystem also installed in real containers, to validate the static path. */
  validate: Record<Ecosystem, number>;
  /** Container recipes for releases without a usable wheel (they need an sdist build), at most. */
  sdistContainerReleases: number;
  seed: string;
}

export const DEFAULT_PLAN: PlanParams = {
  pypiProjects: 1000,
  pypiVersions: 3,
  npmPackages: 300,
  npmVersions: 3,
  debPackages: 300,
  multi: { pypi: 1200, npm: 400, deb: 300 },
  validate: { pypi: 60, npm: 40, deb: 30 },
  sdistContainerReleases: 40,
  seed: 'praxi-collect-1',
};

export interface Plan {
  schema: 'praxi.collect-plan/v1';
  created: string;
  params: PlanParams;
  /** The label space, per ecosystem. */
  labels: Record<Ecosystem, PackageVersion[]>;
  recipes: Recipe[];
  /** Packages of the lists that gave no label, with the reason (e.g. no release for Python 3.11). */
  skipped: Array<{ ecosystem: Ecosystem; name: string; reason: string }>;
}

export interface PlanOptions {
  cacheDir: string;
  /** dpkg status of the base the Debian recipes install on (debootstrap rootfs). */
  debStatusFile: string;
  dataDir?: string;
  log?: (line: string) => void;
}

export function sharedDataDir(): string {
  return path.join(repoRoot(), '..', 'shared', 'data');
}

/** Names from a top-list TSV, in file order (the `name` column). */
export function readTopList(file: string, limit: number): string[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const col = header.split('\t').indexOf('name');
  return rows
    .map((r) => r.split('\t')[col]?.trim())
    .filter(Boolean)
    .slice(0, limit);
}

/** A deterministic pseudo-random stream from a seed (sha256 in counter mode): plans are reproducible. */
export function seededRandom(seed: string): () => number {
  let counter = 0;
  let buf = Buffer.alloc(0);
  return () => {
    if (buf.length < 4) buf = createHash('sha256').update(`${seed}/${counter++}`).digest();
    const v = buf.readUInt32LE(0) / 2 ** 32;
    buf = buf.subarray(4);
    return v;
  };
}

function pick<T>(rand: () => number, items: readonly T[], n: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

/** Newest release of each of the newest minor lines (x.y): versions further apart than neighbouring patches. */
export function newestPerMinor(
  versions: string[],
  count: number,
  cmp: (a: string, b: string) => number,
): string[] {
  const sorted = [...versions].sort((a, b) => cmp(b, a));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of sorted) {
    const line = v.split('.').slice(0, 2).join('.');
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(v);
    if (out.length === count) break;
  }
  return out;
}

interface PypiChoice {
  name: string;
  releases: Array<{ version: string; wheel: boolean; sdist: boolean }>;
}

async function planPypi(
  cache: ArtifactCache,
  names: string[],
  versions: number,
  log: (l: string) => void,
): Promise<{ choices: PypiChoice[]; skipped: Plan['skipped'] }> {
  const choices: PypiChoice[] = [];
  const skipped: Plan['skipped'] = [];
  let done = 0;
  await runRecipes(names, 12, async (name) => {
    try {
      const choice = await cache.getOrMake<PypiChoice>(`plan/pypi/${name}`, async () => {
        const project = await fetchProject(name);
        // Candidates: every final release runnable on 3.11; then the newest of each minor line.
        const all = chooseReleases(project, 10_000);
        const byVersion = new Map(all.map((r) => [r.version, r]));
        const chosen = newestPerMinor(
          all.map((r) => r.version),
          versions,
          (a, b) => all.findIndex((r) => r.version === b) - all.findIndex((r) => r.version === a),
        );
        return {
          name: all[0]?.name ?? name.toLowerCase(),
          releases: chosen.map((v) => ({
            version: v,
            wheel: !!byVersion.get(v)?.wheel,
            sdist: !!byVersion.get(v)?.hasSdist,
          })),
        };
      });
      if (choice.releases.length === 0)
        skipped.push({ ecosystem: 'pypi', name, reason: 'no final release for Python 3.11' });
      else choices.push(choice);
    } catch (e) {
      skipped.push({ ecosystem: 'pypi', name, reason: (e as Error).message.slice(0, 200) });
    }
    if (++done % 100 === 0) log(`planned ${done}/${names.length} PyPI projects`);
    return undefined as never;
  });
  const order = new Map(names.map((n, i) => [n.toLowerCase().replace(/[-_.]+/g, '-'), i]));
  choices.sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9));
  return { choices, skipped };
}

interface AbbreviatedPackument {
  'dist-tags': Record<string, string>;
  versions: Record<string, { deprecated?: string }>;
}

async function planNpm(
  cache: ArtifactCache,
  names: string[],
  versions: number,
): Promise<{ labels: PackageVersion[]; skipped: Plan['skipped'] }> {
  const labels: PackageVersion[][] = new Array(names.length);
  const skipped: Plan['skipped'] = [];
  await runRecipes(names, 12, async (name, i) => {
    try {
      const chosen = await cache.getOrMake<string[]>(`plan/npm/${name}`, async () => {
        const p = await fetchJson<AbbreviatedPackument>(
          `https://registry.npmjs.org/${name.replace('/', '%2F')}`,
          {
            headers: { accept: 'application/vnd.npm.install-v1+json' },
          },
        );
        const latest = p['dist-tags'].latest;
        const stable = Object.entries(p.versions)
          .filter(
            ([v, m]) =>
              !m.deprecated && semver.valid(v) && !semver.prerelease(v) && (!latest || semver.lte(v, latest)),
          )
          .map(([v]) => v);
        return newestPerMinor(stable, versions, semver.compare);
      });
      if (chosen.length === 0)
        skipped.push({ ecosystem: 'npm', name, reason: 'no stable, non-deprecated version' });
      labels[i] = chosen.map((version) => ({ ecosystem: 'npm', name, version }));
    } catch (e) {
      skipped.push({ ecosystem: 'npm', name, reason: (e as Error).message.slice(0, 200) });
      labels[i] = [];
    }
    return undefined as never;
  });
  return { labels: labels.flat(), skipped };
}

/** Packages people install on Debian images most often, named first; the rest is filled by reverse-dependency count. */
export const COMMON_DEBIAN = [
  'curl',
  'wget',
  'git',
  'ca-certificates',
  'gnupg',
  'unzip',
  'zip',
  'xz-utils',
  'bzip2',
  'vim',
  'nano',
  'less',
  'procps',
  'iproute2',
  'iputils-ping',
  'net-tools',
  'dnsutils',
  'netcat-openbsd',
  'openssh-client',
  'rsync',
  'jq',
  'make',
  'gcc',
  'g++',
  'build-essential',
  'pkg-config',
  'cmake',
  'autoconf',
  'automake',
  'libtool',
  'python3',
  'python3-pip',
  'python3-venv',
  'python3-dev',
  'nodejs',
  'openjdk-17-jre-headless',
  'ruby',
  'perl',
  'php-cli',
  'golang-go',
  'nginx',
  'apache2',
  'redis-server',
  'postgresql-client',
  'default-mysql-client',
  'sqlite3',
  'libssl-dev',
  'libffi-dev',
  'zlib1g-dev',
  'libpq-dev',
  'libxml2-dev',
  'libxslt1-dev',
  'libjpeg-dev',
  'libpng-dev',
  'libcurl4-openssl-dev',
  'libsqlite3-dev',
  'libreadline-dev',
  'libbz2-dev',
  'liblzma-dev',
  'locales',
  'tzdata',
  'sudo',
  'tini',
  'dumb-init',
  'supervisor',
  'cron',
  'htop',
  'strace',
  'file',
  'patch',
  'ffmpeg',
  'imagemagick',
  'graphviz',
  'fontconfig',
  'libgl1',
  'libglib2.0-0',
  'libsm6',
  'libxext6',
  'libxrender1',
  'gettext',
  'openssl',
  'tar',
  'gawk',
  'sed',
  'git-lfs',
  'subversion',
  'mercurial',
  'lsb-release',
  'dirmngr',
  'software-properties-common',
  'apt-transport-https',
  'bash-completion',
  'man-db',
  'tmux',
  'screen',
  'tree',
];

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

/**
 * The newest version in `apt-cache madison` output (newest first) that a Debian archive serves
 * (deb.debian.org, security.debian.org), or undefined when only other sources have the package.
 */
export function debianVersion(madison: string): string | undefined {
  for (const line of madison.split('\n')) {
    const [, version, source] = line.split('|').map((f) => f.trim());
    if (version && /^https?:\/\/(deb|security)\.debian\.org\//.test(source ?? '')) return version;
  }
  return undefined;
}

/** The Debian label space: candidate versions (this host's apt, same mirror and suites as the base). */
async function planDeb(cache: ArtifactCache, count: number, statusFile: string): Promise<PackageVersion[]> {
  const chosen = await cache.getOrMake<Array<{ name: string; version: string }>>(
    `plan/deb/${count}`,
    async () => {
      const installed = dpkgVersions(readFileSync(statusFile, 'utf8'));
      const avail = await run('apt-cache', ['dumpavail']);
      const info = new Map<string, { version: string; size: number; arch: string }>();
      const rdeps = new Map<string, number>();
      for (const para of avail.split(/\n\n+/)) {
        const name = /^Package: (\S+)$/m.exec(para)?.[1];
        const version = /^Version: (\S+)$/m.exec(para)?.[1];
        if (!name || !version) continue;
        const size = Number(/^Size: (\d+)$/m.exec(para)?.[1] ?? 0);
        const arch = /^Architecture: (\S+)$/m.exec(para)?.[1] ?? '';
        const prev = info.get(name);
        // dumpavail gives the candidate per package; keep the first (highest priority) record.
        if (!prev) info.set(name, { version, size, arch });
        for (const field of ['Depends', 'Pre-Depends', 'Recommends']) {
          const v = new RegExp(`^${field}: (.*)$`, 'm').exec(para)?.[1];
          if (!v) continue;
          for (const alt of v.split(',')) {
            const dep = alt.trim().split(/[\s|(:]/)[0];
            if (dep) rdeps.set(dep, (rdeps.get(dep) ?? 0) + 1);
          }
        }
      }
      const ok = (n: string) => {
        const i = info.get(n);
        return (
          !!i &&
          !installed.has(n) &&
          (i.arch === 'amd64' || i.arch === 'all') &&
          i.size < 60 << 20 &&
          !/-(dbg|dbgsym|doc)$/.test(n)
        );
      };
      const names = COMMON_DEBIAN.filter(ok).slice(0, count);
      const ranked = [...rdeps.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([n]) => n);
      for (const n of ranked) {
        if (names.length >= count) break;
        if (ok(n) && !names.includes(n)) names.push(n);
      }
      // The candidate may come from a third-party source the host has (NodeSource's `nodejs`), which the
      // debootstrap base cannot fetch: take the newest version Debian itself publishes.
      const out: Array<{ name: string; version: string }> = [];
      for (const name of names) {
        const version = debianVersion(await run('apt-cache', ['madison', name]));
        if (version) out.push({ name, version });
      }
      return out;
    },
  );
  return chosen.map((c) => ({ ecosystem: 'deb', ...c }));
}

function installRecipes(
  labels: PackageVersion[],
  method: 'static' | 'container',
  variants = VARIANTS,
): Recipe[] {
  const out: Recipe[] = [];
  for (const p of labels) {
    for (const v of variants) {
      if (v.ecosystem !== p.ecosystem) continue;
      out.push(
        makeRecipe({ kind: 'install', ecosystem: p.ecosystem, variant: v.name, method, packages: [p] }),
      );
    }
  }
  return out;
}

/** Multi-label recipes: 2-4 distinct packages of one ecosystem in one layer, in a random variant. */
function multiRecipes(rand: () => number, eco: Ecosystem, labels: PackageVersion[], n: number): Recipe[] {
  const variants = variantsOf(eco).filter((v) => v.name !== 'deb/dpkg');
  const out: Recipe[] = [];
  const ids = new Set<string>();
  for (let tries = 0; out.length < n && tries < n * 5; tries++) {
    const k = 2 + Math.floor(rand() * 3);
    const chosen: PackageVersion[] = [];
    for (const p of pick(rand, labels, k * 3)) {
      if (chosen.length < k && !chosen.some((c) => c.name === p.name)) chosen.push(p);
    }
    if (chosen.length < 2) break;
    const variant = variants[Math.floor(rand() * variants.length)];
    const r = makeRecipe({
      kind: 'install',
      ecosystem: eco,
      variant: variant.name,
      method: 'static',
      packages: chosen,
    });
    if (!ids.has(r.id)) {
      ids.add(r.id);
      out.push(r);
    }
  }
  return out;
}

export async function planCollection(params: PlanParams, opts: PlanOptions): Promise<Plan> {
  const log = opts.log ?? (() => {});
  const cache = new ArtifactCache(opts.cacheDir);
  const dataDir = opts.dataDir ?? sharedDataDir();
  const rand = seededRandom(params.seed);

  const pypi = await planPypi(
    cache,
    readTopList(path.join(dataDir, 'pypi-top-2000.tsv'), params.pypiProjects),
    params.pypiVersions,
    log,
  );
  const pypiLabels: PackageVersion[] = [];
  const pypiWheel: PackageVersion[] = [];
  const pypiSdist: PackageVersion[] = [];
  for (const c of pypi.choices) {
    for (const r of c.releases) {
      const p: PackageVersion = { ecosystem: 'pypi', name: c.name, version: r.version };
      pypiLabels.push(p);
      (r.wheel ? pypiWheel : pypiSdist).push(p);
    }
  }
  log(`PyPI: ${pypiLabels.length} labels, ${pypiSdist.length} without a usable wheel`);
  const npm = await planNpm(
    cache,
    readTopList(path.join(dataDir, 'npm-top-2000.tsv'), params.npmPackages),
    params.npmVersions,
  );
  log(`npm: ${npm.labels.length} labels`);
  const deb = await planDeb(cache, params.debPackages, opts.debStatusFile);
  log(`deb: ${deb.length} labels`);

  const recipes: Recipe[] = [
    ...installRecipes(pypiWheel, 'static'),
    ...installRecipes(npm.labels, 'static'),
    ...installRecipes(deb, 'static'),
    ...multiRecipes(rand, 'pypi', pypiWheel, params.multi.pypi),
    ...multiRecipes(rand, 'npm', npm.labels, params.multi.npm),
    ...multiRecipes(rand, 'deb', deb, params.multi.deb),
  ];
  // Validation: the same label and variant once more, installed for real; two variants per label.
  for (const [eco, labels] of [
    ['pypi', pypiWheel],
    ['npm', npm.labels],
    ['deb', deb],
  ] as const) {
    const variants = variantsOf(eco);
    pick(rand, labels, params.validate[eco]).forEach((p, i) => {
      for (const v of [variants[i % variants.length], variants[(i + 1) % variants.length]]) {
        recipes.push(
          makeRecipe({
            kind: 'install',
            ecosystem: eco,
            variant: v.name,
            method: 'container',
            packages: [p],
          }),
        );
      }
    });
  }
  // Releases with no usable wheel need a build: real installs, after the validation ones.
  recipes.push(...installRecipes(pypiSdist.slice(0, params.sdistContainerReleases), 'container'));
  const extra = pypiSdist.slice(params.sdistContainerReleases);
  return {
    schema: 'praxi.collect-plan/v1',
    created: new Date().toISOString(),
    params,
    labels: { pypi: pypiLabels, npm: npm.labels, deb },
    recipes,
    skipped: [
      ...pypi.skipped,
      ...npm.skipped,
      ...extra.map((p) => ({
        ecosystem: 'pypi' as const,
        name: `${p.name}==${p.version}`,
        reason: 'no usable wheel; over the sdist container budget',
      })),
    ],
  };
}
