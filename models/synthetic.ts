import { tokenizePathsCounted, tokenizerId, type TokenizerOptions } from '../activities/tagging/columbus';
import type { Tagset } from '../activities/tagging/tagset';
import { type Ecosystem, formatLabel } from './label';

/**
 * A synthetic but realistic stand-in for the collected training data, so the model can be built,
 * tested and benchmarked before (and independently of) the real dataset. It fabricates what package
 * installs write into a layer and runs the real Columbus tokenizer over those paths:
 *
 * - PyPI: `usr/local/lib/python3.X/site-packages/MOD/...py`, their `__pycache__/*.cpython-3X.pyc`, and
 *   `NAME-VERSION.dist-info/{METADATA,RECORD,...}` (dropped in some installs: metadata-less installs
 *   are the case praxi exists for);
 * - npm: `usr/local/lib/node_modules/NAME/{package.json,lib/*.js,dist/*.js}`, versions told apart by files only;
 * - deb: `usr/share/doc/NAME/*`, `var/lib/dpkg/info/NAME.list`, `usr/lib/x86_64-linux-gnu/libNAME.so.X.Y`.
 *
 * Versions of a package differ in a few files. Module file names mix package-specific words with words
 * every package uses (`utils.py`, `compat.py`), so tags are shared across packages. Every sample gets
 * noise (pip caches, temp files, logs) and one of four base-image variants (Python 3.9–3.12), like the
 * four base images of Praxi-Pipeline. Negative layers mimic a debootstrap root filesystem and a Python
 * runtime layer: their files belong to no label and must yield no findings.
 *
 * A multi-label sample installs 2–4 packages in one layer and carries all their labels.
 */
export interface SyntheticOptions {
  seed: number;
  packages: number;
  versionsPerPackage?: number;
  /** Relative weights of ecosystems among packages. Default pypi 0.7, npm 0.2, deb 0.1. */
  ecosystems?: Partial<Record<Ecosystem, number>>;
  tokenizer?: TokenizerOptions;
}

export interface SyntheticSample {
  paths: string[];
  labels: string[];
  kind: 'single' | 'multi' | 'base';
}

export type Rng = () => number;

/** mulberry32: small, fast, deterministic. */
export function makeRng(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export function shuffle<T>(r: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

const SYLLABLES = (
  'py req est num data flask json yaml http crypt auth tool log test net core async parse fast api cli web ' +
  'sql orm time zone url lib xml grid plot arr tensor boto cloud form valid schema rich click color term ' +
  'mark down doc gen path file cache redis mongo kafka celery task queue rpc grpc proto buf msg pack zip ' +
  'gzip tar jwt oauth sign hash base mime mail smtp dns sock ws event loop io pool pipe stream byte text ' +
  'lang nlp vision image pil audio wave fft stat math sym opt solve graph net tree trie heap sort search'
).split(' ');

/** Names every package tree reuses: they make tags shared across labels, as in real site-packages. */
const COMMON_MODULES = (
  'utils compat core base exceptions errors config types helpers version _version api client models ' +
  'constants util common tests conftest main cli settings logging_utils decorators io parser'
).split(' ');

const BASE_DEBS = (
  'libc6 coreutils bash dpkg apt base-files debianutils diffutils findutils grep gzip hostname libacl1 ' +
  'libattr1 libaudit1 libblkid1 libbz2-1.0 libcap-ng0 libcrypt1 libdb5.3 libdebconfclient0 libffi8 ' +
  'libgcc-s1 libgmp10 libgnutls30 libhogweed6 libidn2-0 liblz4-1 liblzma5 libmount1 libnettle8 libp11-kit0 ' +
  'libpam0g libpcre2-8-0 libseccomp2 libselinux1 libsemanage2 libsepol2 libsmartcols1 libstdc++6 ' +
  'libsystemd0 libtasn1-6 libtinfo6 libudev1 libunistring2 libuuid1 libxxhash0 libzstd1 login mawk ' +
  'mount ncurses-base ncurses-bin passwd perl-base sed sysvinit-utils tar tzdata util-linux zlib1g'
).split(' ');

const STDLIB = (
  'os json email http urllib logging asyncio collections concurrent ctypes distutils encodings html ' +
  'importlib unittest xml sqlite3 multiprocessing pathlib typing re string random socket ssl zipfile ' +
  'tarfile shutil subprocess threading argparse datetime decimal fractions statistics csv configparser'
).split(' ');

const PY_VARIANTS = ['3.9', '3.10', '3.11', '3.12'];

interface PackageSpec {
  ecosystem: Ecosystem;
  name: string;
  versions: string[];
  /** Files per version, relative to the package's install root. */
  files: string[][];
}

function word(r: Rng): string {
  return pick(r, SYLLABLES) + (r() < 0.6 ? pick(r, SYLLABLES) : '');
}

export class SyntheticWorld {
  readonly packages: PackageSpec[] = [];
  readonly labels: string[] = [];
  private readonly byLabel = new Map<string, { pkg: PackageSpec; v: number }>();
  readonly tokenizer: TokenizerOptions;

  constructor(readonly opts: SyntheticOptions) {
    const r = makeRng(opts.seed);
    this.tokenizer = opts.tokenizer ?? { name: 'columbus' };
    const weights = { pypi: 0.7, npm: 0.2, deb: 0.1, ...opts.ecosystems };
    const total = weights.pypi + weights.npm + weights.deb;
    const nv = opts.versionsPerPackage ?? 3;
    const names = new Set<string>();
    while (this.packages.length < opts.packages) {
      const name = `${word(r)}${r() < 0.4 ? '-' + word(r) : ''}`;
      if (names.has(name) || name.length < 4) continue;
      names.add(name);
      const x = r() * total;
      const ecosystem: Ecosystem = x < weights.pypi ? 'pypi' : x < weights.pypi + weights.npm ? 'npm' : 'deb';
      const pkg = this.makePackage(r, ecosystem, name, nv);
      this.packages.push(pkg);
      pkg.versions.forEach((version, v) => {
        const label = formatLabel({ ecosystem, name, version });
        this.labels.push(label);
        this.byLabel.set(label, { pkg, v });
      });
    }
  }

  private makePackage(r: Rng, ecosystem: Ecosystem, name: string, nv: number): PackageSpec {
    const major = int(r, 0, 5);
    let minor = int(r, 0, 20);
    const versions: string[] = [];
    for (let v = 0; v < nv; v++) {
      minor += int(r, 1, 3);
      versions.push(
        ecosystem === 'deb' ? `${major}.${minor}-${int(r, 1, 4)}` : `${major}.${minor}.${int(r, 0, 9)}`,
      );
    }
    const mod = name.replace(/-/g, '_');
    const own = Array.from({ length: int(r, 3, 12) }, () => word(r));
    const subdirs = Array.from({ length: int(r, 0, 3) }, () => word(r));
    const fileName = (): string => {
      const w = r() < 0.35 ? pick(r, COMMON_MODULES) : pick(r, own);
      const dir = subdirs.length && r() < 0.4 ? pick(r, subdirs) + '/' : '';
      if (ecosystem === 'pypi') return `${mod}/${dir}${w}.py`;
      if (ecosystem === 'npm') return `${r() < 0.5 ? 'lib' : 'dist'}/${dir}${w}.js`;
      return `usr/share/${name}/${dir}${w}`;
    };
    let current = new Set<string>(Array.from({ length: int(r, 6, 50) }, fileName));
    if (ecosystem === 'pypi') current.add(`${mod}/__init__.py`);
    if (ecosystem === 'npm')
      ['package.json', 'README.md', 'LICENSE', 'index.js'].forEach((f) => current.add(f));
    const files: string[][] = [];
    const seen = new Set(current);
    for (let v = 0; v < nv; v++) {
      if (v > 0) {
        // A release adds a few files and drops a few: versions overlap in most of their files.
        current = new Set(current);
        const removable = [...current].filter(
          (f) => !/(__init__|package\.json|index\.js|README|LICENSE)/.test(f),
        );
        for (let k = int(r, 0, 2); k > 0 && removable.length; k--)
          current.delete(removable.splice(int(r, 0, removable.length - 1), 1)[0]);
        // Each release brings at least one file no earlier release had (else versions are identical).
        for (let k = int(r, 1, 3), tries = 0; k > 0 && tries < 50; tries++) {
          const f = fileName();
          if (seen.has(f)) continue;
          seen.add(f);
          current.add(f);
          k--;
        }
      }
      files.push([...current].sort());
    }
    return { ecosystem, name, versions, files };
  }

  /** The paths one install of `label` writes on a given Python variant. */
  installPaths(label: string, r: Rng, py: string): string[] {
    const e = this.byLabel.get(label);
    if (!e) throw new Error(`unknown synthetic label ${label}`);
    const { pkg, v } = e;
    const version = pkg.versions[v];
    const out: string[] = [];
    if (pkg.ecosystem === 'pypi') {
      const site = `usr/local/lib/python${py}/site-packages`;
      const tag = `cpython-${py.replace('.', '')}`;
      for (const f of pkg.files[v]) {
        out.push(`${site}/${f}`);
        const slash = f.lastIndexOf('/');
        out.push(`${site}/${f.slice(0, slash)}/__pycache__/${f.slice(slash + 1, -3)}.${tag}.pyc`);
      }
      if (r() < 0.85) {
        const di = `${site}/${pkg.name.replace(/-/g, '_')}-${version}.dist-info`;
        for (const f of ['METADATA', 'RECORD', 'WHEEL', 'INSTALLER', 'top_level.txt', 'LICENSE'])
          out.push(`${di}/${f}`);
      }
      if (r() < 0.2) out.push(`usr/local/bin/${pkg.name}`);
    } else if (pkg.ecosystem === 'npm') {
      for (const f of pkg.files[v]) out.push(`usr/local/lib/node_modules/${pkg.name}/${f}`);
    } else {
      const [up] = version.split('-');
      for (const f of pkg.files[v]) out.push(f);
      out.push(`usr/share/doc/${pkg.name}/copyright`, `usr/share/doc/${pkg.name}/changelog.Debian.gz`);
      out.push(`var/lib/dpkg/info/${pkg.name}.list`, `var/lib/dpkg/info/${pkg.name}.md5sums`);
      out.push(`usr/lib/x86_64-linux-gnu/lib${pkg.name}.so.${up}`, `usr/bin/${pkg.name}`);
    }
    return out;
  }

  /** What every install layer also holds: caches, logs, temp files. */
  private noise(r: Rng): string[] {
    const out = ['var/log/apt/history.log', 'etc/ld.so.cache'];
    const hex = () =>
      Math.floor(r() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    for (let i = int(r, 0, 6); i > 0; i--)
      out.push(`root/.cache/pip/http/${hex()[0]}/${hex()[1]}/${hex()}${hex()}`);
    for (let i = int(r, 0, 2); i > 0; i--) out.push(`tmp/tmp${hex()}`);
    return out;
  }

  sample(labels: string[], r: Rng): SyntheticSample {
    const py = pick(r, PY_VARIANTS);
    const paths = [...this.noise(r)];
    for (const l of labels) paths.push(...this.installPaths(l, r, py));
    return { paths, labels: [...labels].sort(), kind: labels.length > 1 ? 'multi' : 'single' };
  }

  /** A layer no label explains: a debootstrap-like root filesystem or a Python runtime layer. */
  baseSample(r: Rng): SyntheticSample {
    const paths: string[] = [];
    if (r() < 0.5) {
      for (const d of BASE_DEBS) {
        if (r() < 0.1) continue;
        paths.push(
          `usr/share/doc/${d}/copyright`,
          `var/lib/dpkg/info/${d}.list`,
          `var/lib/dpkg/info/${d}.md5sums`,
        );
        for (let i = int(r, 1, 6); i > 0; i--)
          paths.push(`usr/lib/x86_64-linux-gnu/${d.replace(/\d.*$/, '')}${word(r)}.so.${int(r, 0, 9)}`);
        for (let i = int(r, 0, 4); i > 0; i--) paths.push(`usr/bin/${word(r)}`);
      }
      for (const d of [
        'etc/apt/sources.list',
        'etc/passwd',
        'etc/group',
        'etc/hostname',
        'var/lib/dpkg/status',
      ])
        paths.push(d);
    } else {
      const py = pick(r, PY_VARIANTS);
      const tag = `cpython-${py.replace('.', '')}`;
      for (const m of STDLIB) {
        paths.push(
          `usr/local/lib/python${py}/${m}/__init__.py`,
          `usr/local/lib/python${py}/${m}/__pycache__/__init__.${tag}.pyc`,
        );
        for (let i = int(r, 0, 5); i > 0; i--)
          paths.push(`usr/local/lib/python${py}/${m}/${pick(r, COMMON_MODULES)}.py`);
      }
      for (const p of ['pip', 'setuptools', 'wheel'])
        paths.push(`usr/local/lib/python${py}/site-packages/${p}/__init__.py`);
      paths.push(`usr/local/bin/python${py}`, `usr/local/bin/pip3`);
    }
    paths.push(...this.noise(r));
    return { paths, labels: [], kind: 'base' };
  }

  tagset(s: SyntheticSample): Tagset {
    const { tags, count } = tokenizePathsCounted(s.paths, this.tokenizer);
    return {
      schema: 'praxi.tagset/v1',
      tokenizer: tokenizerId(this.tokenizer),
      tags,
      tagCount: count,
      labels: s.labels,
    };
  }
}

export interface SplitOptions {
  /** Single-label samples per label, each on a random base-image variant. Default 4 (Praxi-Pipeline). */
  singlePerLabel?: number;
  /** Multi-label samples (2–4 packages of different names). */
  multi?: number;
  /** Negative layers (no labels). */
  base?: number;
  seed: number;
  /** Only these labels (default all). */
  labels?: string[];
}

export interface SyntheticTagset extends Tagset {
  kind: SyntheticSample['kind'];
}

/** Independent draws: call twice with different seeds for a training and a held-out split. */
export function generateSamples(world: SyntheticWorld, o: SplitOptions): SyntheticTagset[] {
  const r = makeRng(o.seed);
  const labels = o.labels ?? world.labels;
  const out: SyntheticTagset[] = [];
  const add = (s: SyntheticSample) => out.push({ ...world.tagset(s), kind: s.kind });
  for (const l of labels) for (let i = 0; i < (o.singlePerLabel ?? 4); i++) add(world.sample([l], r));
  const packageCount = new Set(labels.map((x) => x.slice(0, x.indexOf('==')))).size;
  for (let i = 0; i < (o.multi ?? 0); i++) {
    const k = Math.min(int(r, 2, 4), packageCount);
    const chosen = new Map<string, string>();
    while (chosen.size < k) {
      const l = pick(r, labels);
      const pkg = l.slice(0, l.indexOf('=='));
      if (!chosen.has(pkg)) chosen.set(pkg, l);
    }
    add(world.sample([...chosen.values()], r));
  }
  for (let i = 0; i < (o.base ?? 0); i++) add(world.baseSample(r));
  return out;
}
