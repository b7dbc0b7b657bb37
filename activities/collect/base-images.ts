import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { BadInputError, PraxiError } from '../errors';
import type { Changeset } from '../layers/changeset';
import type { ObjectStore } from '../store';
import { runInContainer } from './container-run';
import { makeRecipe, type Recipe, type RecipeOutcome } from './recipe';
import { outcomeKey, saveSample } from './results';
import { readUpperDir } from './upper-dir';
import { BASE_IMAGES } from './variants';
import { dpkgVersions } from './install-records';
import { formatLabel } from '../../models/label';

/**
 * The base images every collection variant starts from, built here from nothing that needs a hub:
 * a Debian bookworm root file system from debootstrap, imported into the engine, then one runtime
 * layer per ecosystem. Each layer built is also recorded as a negative sample (no labels): a model
 * must stay silent on a bare OS or on a Python or Node runtime layer.
 */
export interface BaseImageOptions {
  /** Where the debootstrap root file system is made (and reused when already there). */
  rootfsDir: string;
  /** Debian mirror; default: the first `deb.debian.org`-style URI in the host's apt sources. */
  mirror?: string;
  /** Rebuild images that already exist. */
  force?: boolean;
  timeoutMs?: number;
  log?: (line: string) => void;
}

const RUNTIME_STEPS: Array<{
  image: string;
  from: string;
  ecosystem: 'pypi' | 'npm' | 'deb';
  command: string;
}> = [
  {
    image: BASE_IMAGES.python,
    from: BASE_IMAGES.minbase,
    ecosystem: 'pypi',
    command:
      'apt-get update -q && apt-get install -y -q --no-install-recommends python3 python3-pip python3-venv ' +
      '&& python3 -m venv /opt/venv && mkdir -p /app && apt-get clean && rm -rf /var/lib/apt/lists/*',
  },
  {
    image: BASE_IMAGES.node,
    from: BASE_IMAGES.minbase,
    ecosystem: 'npm',
    command:
      'apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm ' +
      '&& mkdir -p /app && cd /app && npm init -y --cache /tmp/npm-cache >/dev/null && rm -rf /tmp/npm-cache ' +
      '&& apt-get clean && rm -rf /var/lib/apt/lists/*',
  },
  {
    image: BASE_IMAGES.apt,
    from: BASE_IMAGES.minbase,
    ecosystem: 'deb',
    // The suites Debian's own images use, so the versions apt offers here are the current stable ones.
    command:
      'printf "deb MIRROR bookworm main\\ndeb MIRROR bookworm-updates main\\ndeb MIRROR-security bookworm-security main\\n" ' +
      '> /etc/apt/sources.list && apt-get update -q',
  },
];

/** The mirror the host's apt uses (it is known to work here). */
export function hostDebianMirror(): string {
  const candidates = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const f of candidates) {
    if (!existsSync(f)) continue;
    const m = /(?:URIs:\s*|^deb\s+)(https?:\/\/\S+\/debian)\s*$/m.exec(readFileSync(f, 'utf8'));
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

function run(cmd: string, args: string[], log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (c: Buffer) => (tail = (tail + c.toString()).slice(-2000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new PraxiError('INTERNAL', `${cmd} ${args.join(' ')} exited with ${code}: ${tail}`));
    });
    log(`$ ${cmd} ${args.join(' ')}`);
  });
}

async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** `docker import` of a directory tree, streamed through tar (no temporary archive). */
export async function importRootfs(docker: Docker, dir: string, ref: string): Promise<void> {
  const [repo, tag] = ref.split(':');
  const tar = spawn('tar', ['--numeric-owner', '-C', dir, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stream = await docker.importImage(tar.stdout as unknown as string, { repo, tag });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

function baseLayerRecipe(ecosystem: 'pypi' | 'npm' | 'deb', image: string): Recipe {
  return makeRecipe({
    kind: 'base-layer',
    ecosystem,
    variant: `base/${image.split('/')[1].replace(':', '-')}`,
    method: 'container',
    packages: [],
  });
}

export async function buildBaseImages(
  docker: Docker,
  store: ObjectStore,
  opts: BaseImageOptions,
): Promise<RecipeOutcome[]> {
  const log = opts.log ?? (() => {});
  const outcomes: RecipeOutcome[] = [];
  const rootfs = path.resolve(opts.rootfsDir);
  if (!existsSync(path.join(rootfs, 'etc/debian_version'))) {
    await run(
      'debootstrap',
      ['--variant=minbase', 'bookworm', rootfs, opts.mirror ?? hostDebianMirror()],
      log,
    );
  }
  if (opts.force || !(await imageExists(docker, BASE_IMAGES.minbase))) {
    log(`importing ${rootfs} as ${BASE_IMAGES.minbase}`);
    await importRootfs(docker, rootfs, BASE_IMAGES.minbase);
    const walk = await readUpperDir(rootfs);
    const recipe = baseLayerRecipe('deb', BASE_IMAGES.minbase);
    outcomes.push(
      await saveSample(store, recipe, changesetOf(walk.entries, walk.deletions, recipe.id), [], 0),
    );
  }
  for (const step of RUNTIME_STEPS) {
    if (!opts.force && (await imageExists(docker, step.image))) continue;
    log(`building ${step.image}`);
    const r = await runInContainer(docker, {
      image: step.from,
      command: step.command.replace(/MIRROR/g, opts.mirror ?? hostDebianMirror()),
      timeoutMs: opts.timeoutMs ?? 20 * 60_000,
      commitAs: step.image,
    });
    if (r.exitCode !== 0 || r.timedOut) {
      throw new BadInputError(
        `building ${step.image} failed (exit ${r.exitCode}${r.timedOut ? ', timeout' : ''}):\n${r.log}`,
      );
    }
    const recipe = baseLayerRecipe(step.ecosystem, step.image);
    outcomes.push(
      await saveSample(
        store,
        recipe,
        changesetOf(r.changes.entries, r.changes.deletions, recipe.id),
        [],
        r.durationMs,
      ),
    );
  }
  return outcomes;
}

/**
 * Base-image layers kept for evaluation only: debootstrap root file systems of other Debian releases
 * (and one with a Python runtime), which install nothing in the label space. They are always in the test
 * split (variant prefix `base-heldout/`), so the false-positive rate on bare base images is measured on
 * layers no expert has seen. Nothing in them is installed by pip or npm: Debian's `python3-pip` and
 * `npm` would bring packages that are in the label space. Their dpkg packages are recorded as `also`.
 */
export const HELDOUT_BASE_LAYERS: ReadonlyArray<{ name: string; suite: string; include?: string[] }> = [
  { name: 'bullseye-minbase', suite: 'bullseye' },
  { name: 'trixie-minbase', suite: 'trixie' },
  { name: 'trixie-python3', suite: 'trixie', include: ['python3'] },
  { name: 'bullseye-nodejs', suite: 'bullseye', include: ['nodejs'] },
];
export const HELDOUT_VARIANT_PREFIX = 'base-heldout/';

/** Makes (or reuses) each held-out root file system under `rootfsDir` and records it as a negative sample. */
export async function recordHeldOutBaseLayers(
  store: ObjectStore,
  opts: { rootfsDir: string; mirror?: string; log?: (line: string) => void },
): Promise<RecipeOutcome[]> {
  const log = opts.log ?? (() => {});
  const outcomes: RecipeOutcome[] = [];
  for (const b of HELDOUT_BASE_LAYERS) {
    const recipe = makeRecipe({
      kind: 'base-layer',
      ecosystem: 'deb',
      variant: `${HELDOUT_VARIANT_PREFIX}${b.name}`,
      method: 'container',
      packages: [],
    });
    if (await store.exists(outcomeKey(recipe.id))) continue;
    const dir = path.join(path.resolve(opts.rootfsDir), b.name);
    if (!existsSync(path.join(dir, 'etc/debian_version'))) {
      const include = b.include ? [`--include=${b.include.join(',')}`] : [];
      await run(
        'debootstrap',
        ['--variant=minbase', ...include, b.suite, dir, opts.mirror ?? hostDebianMirror()],
        log,
      );
    }
    const walk = await readUpperDir(dir);
    // What the root file system holds, as `also`: a few packages of the label space are there under
    // other releases' versions (bullseye's lsb-base, trixie's python3); naming those is no false positive.
    const status = readFileSync(path.join(dir, 'var/lib/dpkg/status'), 'utf8');
    const present = [...dpkgVersions(status)]
      .map(([name, version]) => formatLabel({ ecosystem: 'deb', name, version }))
      .sort();
    outcomes.push(
      await saveSample(store, recipe, changesetOf(walk.entries, walk.deletions, recipe.id), present, 0),
    );
  }
  return outcomes;
}

export function changesetOf(entries: Changeset['entries'], deletions: string[], id: string): Changeset {
  return {
    schema: 'praxi.changeset/v1',
    layerDigest: `praxi-collect:${id}`,
    mediaType: 'application/vnd.praxi.collected',
    entries,
    deletions,
    bytes: 0,
  };
}
