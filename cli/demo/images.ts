import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type Layer, layerFromDir } from './layers';

/** What one demo image installs, by ecosystem, as `name==version`. */
export interface DemoImageSpec {
  repository: string;
  tag: string;
  /** One layer per entry, above the busybox base. */
  layers: Array<{ pypi?: string[]; npm?: string[] }>;
  /** Remove package records (dist-info, package.json of packages) from the layers: the case only the model sees. */
  stripRecords?: boolean;
  about: string;
}

const SITE = 'usr/local/lib/python3.11/site-packages';

/** A tiny root filesystem from Debian's busybox-static: the base layer of every demo image. */
function baseTree(dir: string): void {
  if (existsSync(path.join(dir, 'bin', 'busybox'))) return;
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'ls', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'echo', 'grep', 'sed', 'tar', 'wget']) {
    symlinkSync('busybox', path.join(dir, 'bin', applet));
  }
  writeFileSync(path.join(dir, 'etc', 'os-release'), 'NAME="praxi demo (busybox)"\nID=busybox\n');
}

/**
 * Real package installs into a staging tree: `pip install --target` for PyPI (wheels from the package
 * index, byte-compiled as pip does) and `npm install` for npm. Staging trees are kept under `work`, so a
 * second demo run reuses them.
 */
function installTree(dir: string, spec: { pypi?: string[]; npm?: string[] }, log: (s: string) => void): void {
  const stamp = path.join(dir, '.praxi-installed');
  if (existsSync(stamp)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (spec.pypi?.length) {
    log(`  pip install ${spec.pypi.join(' ')}`);
    execFileSync(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--target',
        path.join(dir, SITE),
        ...spec.pypi,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  }
  if (spec.npm?.length) {
    log(`  npm install ${spec.npm.join(' ')}`);
    const app = path.join(dir, 'srv', 'app');
    mkdirSync(app, { recursive: true });
    execFileSync(
      'npm',
      [
        'install',
        '--silent',
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--no-package-lock',
        '--prefix',
        app,
        ...spec.npm.map((s) => s.replace('==', '@')),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
  }
  writeFileSync(stamp, JSON.stringify(spec));
}

const isRecord = (rel: string) =>
  /\.dist-info(\/|$)/.test(rel) ||
  /\.egg-info(\/|$)/.test(rel) ||
  /node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(rel);

export async function buildDemoImage(
  spec: DemoImageSpec,
  work: string,
  log: (s: string) => void,
): Promise<Layer[]> {
  const base = path.join(work, 'base');
  baseTree(base);
  const layers = [await layerFromDir(base)];
  for (const [i, l] of spec.layers.entries()) {
    const key = [...(l.pypi ?? []), ...(l.npm ?? [])].join('_').replace(/[^A-Za-z0-9_.=-]+/g, '-');
    const dir = path.join(work, `layer-${key || i}`);
    installTree(dir, l, log);
    layers.push(
      await layerFromDir(dir, {
        skip: (rel) => rel === '.praxi-installed' || (spec.stripRecords === true && isRecord(rel)),
      }),
    );
  }
  return layers;
}
