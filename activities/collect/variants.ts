import { BadInputError } from '../errors';
import type { Ecosystem, PackageVersion } from '../../models/label';

/**
 * Where and how a package gets installed. Each ecosystem has several variants, so the model sees a
 * package under several prefixes and install methods and does not learn one prefix as the package.
 * The static path maps an artifact's files onto the same layouts.
 */
export const BASE_IMAGES = {
  /** debootstrap --variant=minbase bookworm, imported as is. */
  minbase: 'praxi-collect/bookworm:minbase',
  /** minbase + python3, python3-pip, python3-venv from apt, and a venv in /opt/venv. */
  python: 'praxi-collect/python:bookworm',
  /** minbase + nodejs and npm from apt, and an empty project in /app. */
  node: 'praxi-collect/node:bookworm',
  /** minbase with apt package lists in place, as after `apt-get update`. */
  apt: 'praxi-collect/apt:bookworm',
} as const;

/** Python of the bookworm base: site-packages paths and byte-code names depend on it. */
export const PYTHON_VERSION = '3.11';
export const PYC_TAG = 'cpython-311';

export interface PypiLayout {
  kind: 'pypi';
  /** Where a wheel's purelib/platlib content lands (relative, no leading slash). */
  sitePackages: string;
  /** Console scripts and `.data/scripts`. */
  scripts: string;
  /** The scheme's data root (`.data/data`). */
  data: string;
}

export interface NpmLayout {
  kind: 'npm';
  /** The node_modules directory the requested packages land in. */
  modules: string;
  /** Where bin links go. */
  bin: string;
  /** Global installs nest dependencies inside the package; project installs hoist them next to it. */
  global: boolean;
  /** Files the install writes besides packages (lockfiles, package.json). */
  extras: string[];
}

export interface DebLayout {
  kind: 'deb';
  /** Does the downloaded .deb stay in apt's archive cache? */
  keepsArchives: boolean;
  /** Are apt's package lists removed in the same step (whiteouts, not paths)? */
  cleansLists: boolean;
  /** Files apt or dpkg write on every install in this variant. */
  extras: string[];
}

export type Layout = PypiLayout | NpmLayout | DebLayout;

export interface Variant {
  name: string;
  ecosystem: Ecosystem;
  baseImage: string;
  description: string;
  layout: Layout;
  /** Shell command (run by /bin/sh -c) that installs the packages. Names and versions are validated first. */
  installCommand(packages: PackageVersion[]): string;
}

// Names and versions end up in a shell command: allow only what the ecosystems allow.
const SAFE_NAME = /^[A-Za-z0-9@][A-Za-z0-9._\-/@]*$/;
const SAFE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~:-]*$/;

function checked(packages: PackageVersion[], ecosystem: Ecosystem): PackageVersion[] {
  if (packages.length === 0) throw new BadInputError('an install recipe needs at least one package');
  for (const p of packages) {
    if (p.ecosystem !== ecosystem) {
      throw new BadInputError(`package ${p.name} is ${p.ecosystem}, the variant installs ${ecosystem}`);
    }
    if (!SAFE_NAME.test(p.name) || !SAFE_VERSION.test(p.version)) {
      throw new BadInputError(`unsafe package name or version ${JSON.stringify(`${p.name}==${p.version}`)}`);
    }
  }
  return packages;
}

// --no-deps keeps a single-label sample single-label: what lands is exactly the requested wheels
// (dependency wheels would be unlabelled files in the sample). Byte-code is compiled as pip does by default.
const pip = (python: string, extra: string) => (pkgs: PackageVersion[]) =>
  `${python} -m pip install --no-deps --no-cache-dir --disable-pip-version-check ${extra} ` +
  checked(pkgs, 'pypi')
    .map((p) => `'${p.name}==${p.version}'`)
    .join(' ');

// npm's cache would put content-addressed noise in the layer; keep it out of the image as careful Dockerfiles do.
const npm =
  (extra: string, cd = '') =>
  (pkgs: PackageVersion[]) =>
    `${cd}npm install --no-audit --no-fund --no-update-notifier --cache /tmp/npm-cache ${extra} ` +
    checked(pkgs, 'npm')
      .map((p) => `'${p.name}@${p.version}'`)
      .join(' ') +
    ' && rm -rf /tmp/npm-cache';

const apt =
  (extra: string, after = '') =>
  (pkgs: PackageVersion[]) =>
    `apt-get install -y -q ${extra} ` +
    checked(pkgs, 'deb')
      .map((p) => `'${p.name}=${p.version}'`)
      .join(' ') +
    after;

// What dpkg and apt write on every install besides the packages' own files (seen in real installs).
const DPKG_EXTRAS = [
  'tmp/',
  'var/lib/dpkg/status',
  'var/lib/dpkg/status-old',
  'var/lib/dpkg/lock',
  'var/lib/dpkg/lock-frontend',
  'var/lib/dpkg/triggers/Lock',
  'var/lib/dpkg/updates/',
  'var/log/dpkg.log',
];
const APT_LOG_EXTRAS = [
  ...DPKG_EXTRAS,
  'var/lib/apt/extended_states',
  'var/log/apt/history.log',
  'var/log/apt/term.log',
  'var/log/apt/eipp.log.xz',
  'var/cache/apt/archives/lock',
  'var/cache/apt/archives/partial/',
  'var/cache/debconf/config.dat',
  'var/cache/debconf/passwords.dat',
  'var/cache/debconf/templates.dat',
];
const APT_EXTRAS = [...APT_LOG_EXTRAS, 'var/cache/apt/pkgcache.bin', 'var/lib/apt/lists/auxfiles/'];

export const VARIANTS: readonly Variant[] = [
  {
    name: 'pypi/system',
    ecosystem: 'pypi',
    baseImage: BASE_IMAGES.python,
    description: "system pip as root into /usr/local (bookworm's dist-packages), PEP 668 overridden",
    layout: {
      kind: 'pypi',
      sitePackages: `usr/local/lib/python${PYTHON_VERSION}/dist-packages`,
      scripts: 'usr/local/bin',
      data: 'usr/local',
    },
    installCommand: pip('python3', '--break-system-packages'),
  },
  {
    name: 'pypi/user',
    ecosystem: 'pypi',
    baseImage: BASE_IMAGES.python,
    description: 'pip install --user as root into ~/.local',
    layout: {
      kind: 'pypi',
      sitePackages: `root/.local/lib/python${PYTHON_VERSION}/site-packages`,
      scripts: 'root/.local/bin',
      data: 'root/.local',
    },
    installCommand: pip('python3', '--user --break-system-packages'),
  },
  {
    name: 'pypi/venv-opt',
    ecosystem: 'pypi',
    baseImage: BASE_IMAGES.python,
    description: 'the venv /opt/venv made in the base image',
    layout: {
      kind: 'pypi',
      sitePackages: `opt/venv/lib/python${PYTHON_VERSION}/site-packages`,
      scripts: 'opt/venv/bin',
      data: 'opt/venv',
    },
    installCommand: pip('/opt/venv/bin/python', ''),
  },
  {
    name: 'pypi/target',
    ecosystem: 'pypi',
    baseImage: BASE_IMAGES.python,
    description: 'pip install --target /app/vendor (vendored dependencies next to an app)',
    layout: { kind: 'pypi', sitePackages: 'app/vendor', scripts: 'app/vendor/bin', data: 'app/vendor' },
    installCommand: pip('python3', '--target /app/vendor --break-system-packages'),
  },
  {
    name: 'npm/global',
    ecosystem: 'npm',
    baseImage: BASE_IMAGES.node,
    description: "npm install -g into Debian's global prefix /usr/local",
    layout: {
      kind: 'npm',
      modules: 'usr/local/lib/node_modules',
      bin: 'usr/local/bin',
      global: true,
      extras: [],
    },
    installCommand: npm('-g'),
  },
  {
    name: 'npm/global-opt',
    ecosystem: 'npm',
    baseImage: BASE_IMAGES.node,
    description: 'npm install -g with the prefix /opt/npm-global',
    layout: {
      kind: 'npm',
      modules: 'opt/npm-global/lib/node_modules',
      bin: 'opt/npm-global/bin',
      global: true,
      extras: [],
    },
    installCommand: npm('-g --prefix /opt/npm-global'),
  },
  {
    name: 'npm/project',
    ecosystem: 'npm',
    baseImage: BASE_IMAGES.node,
    description: 'npm install in the project /app (made in the base image) with a lockfile',
    layout: {
      kind: 'npm',
      modules: 'app/node_modules',
      bin: 'app/node_modules/.bin',
      global: false,
      extras: ['app/package.json', 'app/package-lock.json', 'app/node_modules/.package-lock.json'],
    },
    installCommand: npm('', 'cd /app && '),
  },
  {
    name: 'npm/prefix-srv',
    ecosystem: 'npm',
    baseImage: BASE_IMAGES.node,
    description: 'npm install --prefix /srv/web --no-package-lock (no project made beforehand)',
    layout: {
      kind: 'npm',
      modules: 'srv/web/node_modules',
      bin: 'srv/web/node_modules/.bin',
      global: false,
      extras: ['srv/web/package.json', 'srv/web/node_modules/.package-lock.json'],
    },
    installCommand: npm('--prefix /srv/web --no-package-lock'),
  },
  {
    name: 'deb/apt',
    ecosystem: 'deb',
    baseImage: BASE_IMAGES.apt,
    description: 'apt-get install with recommends, archives kept in /var/cache/apt/archives',
    layout: { kind: 'deb', keepsArchives: true, cleansLists: false, extras: APT_EXTRAS },
    installCommand: apt(''),
  },
  {
    name: 'deb/apt-norec',
    ecosystem: 'deb',
    baseImage: BASE_IMAGES.apt,
    description: 'apt-get install --no-install-recommends, archives kept',
    layout: { kind: 'deb', keepsArchives: true, cleansLists: false, extras: APT_EXTRAS },
    installCommand: apt('--no-install-recommends'),
  },
  {
    name: 'deb/apt-norec-clean',
    ecosystem: 'deb',
    baseImage: BASE_IMAGES.apt,
    description:
      'apt-get install --no-install-recommends, then apt-get clean and the lists removed (the Dockerfile idiom)',
    layout: {
      kind: 'deb',
      keepsArchives: false,
      cleansLists: true,
      extras: [...APT_LOG_EXTRAS, 'var/lib/apt/lists/'],
    },
    installCommand: apt('--no-install-recommends', ' && apt-get clean && rm -rf /var/lib/apt/lists/*'),
  },
  {
    name: 'deb/dpkg',
    ecosystem: 'deb',
    baseImage: BASE_IMAGES.apt,
    description:
      'apt-get download, then dpkg -i of the file alone (dependencies not installed), the file removed',
    layout: { kind: 'deb', keepsArchives: false, cleansLists: false, extras: DPKG_EXTRAS },
    installCommand: (pkgs) =>
      'mkdir -p /tmp/debs && cd /tmp/debs && apt-get download -q ' +
      checked(pkgs, 'deb')
        .map((p) => `'${p.name}=${p.version}'`)
        .join(' ') +
      ' && dpkg -i --force-depends ./*.deb && cd / && rm -rf /tmp/debs',
  },
];

export function variantByName(name: string): Variant {
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new BadInputError(`unknown collection variant ${JSON.stringify(name)}`);
  return v;
}

export function variantsOf(ecosystem: Ecosystem): Variant[] {
  return VARIANTS.filter((v) => v.ecosystem === ecosystem);
}
