import * as path from 'node:path';
import { isPraxiError } from '../errors';
import type { PackageVersion } from '../../models/label';
import type { ObjectStore } from '../store';
import { changesetOf } from './base-images';
import { formatLabel } from '../../models/label';
import { type Recipe, recipeLabels, type RecipeOutcome } from './recipe';
import { loadOutcome, saveFailure, saveSample } from './results';
import { ArtifactCache } from './static/artifact-cache';
import { debFile, type DebFiles, debInstallPaths, readDeb, simulateInstall } from './static/deb';
import {
  fetchPackument,
  npmInstallPaths,
  type NpmPackageFiles,
  resolveDependencies,
  tarballFiles,
  versionInfo,
} from './static/npm';
import {
  chooseReleases,
  fetchProject,
  httpRangeReader,
  readWheelContents,
  type WheelContents,
  wheelInstallPaths,
} from './static/pypi';
import { entriesFromPaths } from './static/static-changeset';
import { variantByName } from './variants';

/**
 * The fast static path: a sample computed from the artifacts themselves, no container. For the
 * same recipe it should give the same tagset as the container collector; validation.ts measures how
 * close, and the plan uses the static path only where that similarity is high.
 */
export interface StaticOptions {
  /** Local cache of artifact file lists (and .deb files). */
  cacheDir: string;
  /** The base image's dpkg status file, for simulating apt against the base (the debootstrap rootfs). */
  debStatusFile: string;
  /** Include the dependencies npm would add (true: like a real install). */
  npmDependencies?: boolean;
}

const STATIC_REASONS: Partial<Record<string, string>> = {
  NOT_FOUND: 'version not found',
  UNSUPPORTED_CONTENT: 'unsupported platform or artifact',
  BAD_INPUT: 'bad package name or version',
};

/** A recipe cannot be done statically for a reason that will not pass with a retry. */
class StaticRecipeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const caches = new Map<string, ArtifactCache>();
export function cacheFor(dir: string): ArtifactCache {
  let c = caches.get(dir);
  if (!c) caches.set(dir, (c = new ArtifactCache(dir)));
  return c;
}

export async function wheelContents(
  cache: ArtifactCache,
  p: PackageVersion,
): Promise<WheelContents & { wheel: string }> {
  // `pypi-sized/`: entries cached before members carried their sizes must not be reused.
  return cache.getOrMake(`pypi-sized/${p.name}/${p.version}`, async () => {
    const project = await fetchProject(p.name);
    const files = project.releases[p.version];
    if (!files) throw new StaticRecipeError('version not found', `PyPI has no ${p.name} ${p.version}`);
    const release = chooseReleases({ ...project, releases: { [p.version]: files } }, 1)[0];
    if (!release?.wheel) {
      throw new StaticRecipeError(
        release?.hasSdist ? 'no compatible wheel (sdist only)' : 'no compatible wheel',
        `no wheel of ${p.name} ${p.version} for CPython 3.11 on manylinux x86_64`,
      );
    }
    const contents = await readWheelContents(httpRangeReader(release.wheel.url), release.wheel.size);
    return { ...contents, wheel: release.wheel.filename };
  });
}

export async function npmFiles(
  cache: ArtifactCache,
  name: string,
  version: string,
): Promise<NpmPackageFiles> {
  // `npm-sized/`: entries cached before files carried their sizes must not be reused.
  return cache.getOrMake(`npm-sized/${name}/${version}`, async () => {
    const info = versionInfo(await fetchPackument(name), version);
    return { name: info.name, version: info.version, ...(await tarballFiles(info.tarball)), bin: info.bin };
  });
}

async function debFiles(
  cache: ArtifactCache,
  pkg: { name: string; version: string; arch: string },
): Promise<DebFiles> {
  return cache.getOrMake(`deb/${pkg.name}/${pkg.version}_${pkg.arch}`, async () =>
    readDeb(pkg, await debFile(pkg, path.join(cache.dir, 'debs'))),
  );
}

export async function collectStatic(
  store: ObjectStore,
  recipe: Recipe,
  opts: StaticOptions,
): Promise<RecipeOutcome> {
  const done = await loadOutcome(store, recipe.id);
  if (done) return done;
  const started = Date.now();
  try {
    const { files, links, also, sizes } = await staticPaths(recipe, opts);
    const changeset = changesetOf(entriesFromPaths(files, links, sizes), [], recipe.id);
    return await saveSample(store, recipe, changeset, also, Date.now() - started);
  } catch (e) {
    if (e instanceof StaticRecipeError)
      return saveFailure(store, recipe, e.reason, e.message, Date.now() - started);
    if (isPraxiError(e) && !e.retryable) {
      return saveFailure(
        store,
        recipe,
        STATIC_REASONS[e.code] ?? e.code.toLowerCase(),
        e.message,
        Date.now() - started,
      );
    }
    throw e;
  }
}

/** The paths a recipe's install writes, and the labels of the dependencies it brings along. */
export async function staticPaths(
  recipe: Recipe,
  opts: StaticOptions,
): Promise<{ files: string[]; links: string[]; also: string[]; sizes?: Map<string, number> }> {
  const variant = variantByName(recipe.variant);
  const layout = variant.layout;
  const cache = cacheFor(opts.cacheDir);
  const requested = new Set(recipeLabels(recipe.packages));
  if (layout.kind === 'pypi') {
    const files: string[] = [];
    const sizes = new Map<string, number>();
    for (const p of recipe.packages)
      files.push(...wheelInstallPaths(await wheelContents(cache, p), layout, sizes));
    return { files, links: [], also: [], sizes };
  }
  if (layout.kind === 'npm') {
    const files: string[] = [];
    const links: string[] = [];
    const sizes = new Map<string, number>();
    const also = new Set<string>();
    for (const p of recipe.packages) {
      const pkg = await npmFiles(cache, p.name, p.version);
      const depVersions =
        opts.npmDependencies === false
          ? []
          : await cache.getOrMake(`npm-deps/${p.name}/${p.version}`, () =>
              resolveDependencies(p.name, p.version),
            );
      const deps: NpmPackageFiles[] = [];
      for (const d of depVersions) {
        deps.push(await npmFiles(cache, d.name, d.version));
        also.add(formatLabel({ ecosystem: 'npm', ...d }));
      }
      const r = npmInstallPaths(pkg, deps, layout);
      files.push(...r.files);
      links.push(...r.links);
      for (const [f, n] of r.sizes) sizes.set(f, n);
    }
    return { files, links, also: [...also].filter((l) => !requested.has(l)), sizes };
  }
  const direct = recipe.variant === 'deb/dpkg';
  const pkgs = direct
    ? recipe.packages.map((p) => ({ name: p.name, version: p.version, arch: '' }))
    : await cache.getOrMake(
        `deb-sim/${recipe.variant === 'deb/apt' ? 'rec' : 'norec'}/${[...requested].join('+')}`,
        () => simulateInstall(recipe.packages, opts.debStatusFile, recipe.variant === 'deb/apt'),
      );
  if (!direct && pkgs.length === 0)
    throw new StaticRecipeError(
      'already in base',
      `apt would install nothing for ${[...requested].join(' ')}`,
    );
  const debs: DebFiles[] = [];
  for (const p of pkgs) {
    // dpkg -i of one file: apt-get download picks the architecture; resolve it through the download.
    debs.push(await debFiles(cache, p.arch ? p : { ...p, arch: await archOf(p.name, p.version) }));
  }
  const { files, links } = debInstallPaths(debs, layout);
  const also = debs
    .map((d) => formatLabel({ ecosystem: 'deb', name: d.name, version: d.version }))
    .filter((l) => !requested.has(l));
  return { files, links, also };
}

async function archOf(name: string, version: string): Promise<string> {
  const pkgs = await simulateInstall([{ name, version }], '/dev/null', false).catch(() => []);
  return pkgs.find((p) => p.name === name)?.arch ?? 'amd64';
}
