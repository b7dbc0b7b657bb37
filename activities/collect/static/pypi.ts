import * as pep440 from '@renovatebot/pep440';
import { UnsupportedContentError } from '../../errors';
import { normalizeName } from '../../../models/label';
import type { PypiLayout } from '../variants';
import { PYC_TAG, PYTHON_VERSION } from '../variants';
import { fetchJson, fetchRange } from './http';
import { readZipDirectory, readZipMember, type RangeReader, type ZipEntry } from './zip-directory';

/**
 * The PyPI side of the static path: which versions of a project to collect, which wheel pip would
 * pick for CPython 3.11 on x86_64 glibc 2.36 (the bookworm base), and the paths installing that
 * wheel writes, computed from the wheel's zip directory without downloading the wheel.
 */
export interface PypiFile {
  filename: string;
  url: string;
  size: number;
  packagetype: string;
  yanked?: boolean;
  requires_python?: string | null;
}

interface ProjectJson {
  info: { name: string };
  releases: Record<string, PypiFile[]>;
}

export interface PypiRelease {
  name: string;
  version: string;
  /** The wheel pip would install here, when there is one. */
  wheel?: PypiFile;
  hasSdist: boolean;
}

const PYTHON_FULL = `${PYTHON_VERSION}.2`;
const CP = `cp${PYTHON_VERSION.replace('.', '')}`;
const GLIBC = [2, 36];

/** Rank of a wheel for this interpreter: higher is preferred, -1 incompatible. */
export function wheelRank(filename: string): number {
  const m = /^(.+?)-(.+?)(?:-(\d[^-]*))?-([^-]+)-([^-]+)-([^-]+)\.whl$/.exec(filename);
  if (!m) return -1;
  const pys = m[4].split('.');
  const abis = m[5].split('.');
  const plats = m[6].split('.');
  let platRank = -1;
  for (const p of plats) {
    if (p === 'any') platRank = Math.max(platRank, 0);
    const ml = /^manylinux_(\d+)_(\d+)_x86_64$/.exec(p);
    if (ml && (+ml[1] < GLIBC[0] || (+ml[1] === GLIBC[0] && +ml[2] <= GLIBC[1])))
      platRank = Math.max(platRank, 2);
    if (/^manylinux(1|2010|2014)_x86_64$/.test(p)) platRank = Math.max(platRank, 1);
  }
  if (platRank < 0) return -1;
  let best = -1;
  for (const py of pys) {
    for (const abi of abis) {
      if (py === CP && (abi === CP || abi === `${CP}m`)) best = Math.max(best, 30);
      else if (abi === 'abi3' && /^cp3\d+$/.test(py) && +py.slice(3) <= +CP.slice(3))
        best = Math.max(best, 20);
      else if (abi === 'none' && (py === CP || py === 'py3' || py === `py${CP.slice(2)}` || py === 'py2.py3'))
        best = Math.max(best, 10);
    }
  }
  if (best < 0) return -1;
  return best + platRank;
}

export async function fetchProject(name: string, index = 'https://pypi.org'): Promise<ProjectJson> {
  const url = `${index}/pypi/${encodeURIComponent(name)}/json`;
  const project = await fetchJson<ProjectJson>(url);
  // Some mirrors (and the proxy here) answer with file URLs relative to the JSON document.
  for (const files of Object.values(project.releases))
    for (const f of files) f.url = new URL(f.url, url).href;
  return project;
}

/**
 * The newest `count` final releases that can run on the base's Python (by Requires-Python), newest
 * first, each with the wheel pip would choose (or none: an sdist-only release).
 */
export function chooseReleases(project: ProjectJson, count: number): PypiRelease[] {
  const versions = Object.keys(project.releases)
    .filter((v) => {
      const p = pep440.parse(v);
      if (!p || p.pre || p.dev || p.local) return false;
      const files = project.releases[v].filter((f) => !f.yanked);
      if (files.length === 0) return false;
      const req = files[0].requires_python;
      return !req || safeSatisfies(req);
    })
    .sort((a, b) => pep440.rcompare(a, b));
  return versions.slice(0, count).map((version) => {
    const files = project.releases[version].filter((f) => !f.yanked);
    const wheels = files
      .filter((f) => f.packagetype === 'bdist_wheel')
      .map((f) => ({ f, rank: wheelRank(f.filename) }))
      .filter((x) => x.rank >= 0)
      .sort((a, b) => b.rank - a.rank);
    return {
      name: normalizeName('pypi', project.info.name),
      version,
      wheel: wheels[0]?.f,
      hasSdist: files.some((f) => f.packagetype === 'sdist'),
    };
  });
}

function safeSatisfies(spec: string): boolean {
  try {
    return pep440.satisfies(PYTHON_FULL, spec.replace(/\s+/g, ''));
  } catch {
    return true;
  }
}

export interface WheelContents {
  /** Member names, as in the zip (and RECORD). */
  files: string[];
  /** Each member's uncompressed size, in `files` order (size signatures). */
  sizes: number[];
  /** console_scripts and gui_scripts names. */
  scripts: string[];
}

export function httpRangeReader(url: string): RangeReader {
  return (offset, length) => fetchRange(url, offset, offset + length);
}

export async function readWheelContents(read: RangeReader, size: number): Promise<WheelContents> {
  const entries = await readZipDirectory(read, size);
  const ep = entries.find((e) => /^[^/]+\.dist-info\/entry_points\.txt$/.test(e.name));
  const scripts = ep ? parseEntryPoints((await readZipMember(read, ep)).toString('utf8')) : [];
  const members = entries.filter((e: ZipEntry) => !e.name.endsWith('/'));
  return { files: members.map((e) => e.name), sizes: members.map((e) => e.size), scripts };
}

export function parseEntryPoints(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1].trim();
    else if ((section === 'console_scripts' || section === 'gui_scripts') && line.includes('=')) {
      out.push(line.split('=')[0].trim());
    }
  }
  return out;
}

/**
 * The files pip writes installing a wheel into `layout`: the wheel's members routed by the wheel
 * spec (`.data/scripts`, `purelib`, `platlib`, `data`, `headers`), the entry-point scripts,
 * `INSTALLER` and `REQUESTED` in the dist-info, and a byte-code file for every installed module.
 */
export function wheelInstallPaths(
  contents: WheelContents,
  layout: PypiLayout,
  sizes?: Map<string, number>,
): string[] {
  const out: string[] = [];
  let distInfo = '';
  for (const [i, f] of contents.files.entries()) {
    const data = /^[^/]+\.data\/(scripts|purelib|platlib|data|headers)\/(.+)$/.exec(f);
    let target: string;
    if (!data) target = `${layout.sitePackages}/${f}`;
    else if (data[1] === 'scripts') target = `${layout.scripts}/${data[2]}`;
    else if (data[1] === 'data') target = `${layout.data}/${data[2]}`;
    else if (data[1] === 'headers')
      continue; // rare, and pip's header path differs per scheme
    else target = `${layout.sitePackages}/${data[2]}`;
    out.push(target);
    // pip writes a wheel's files as they are (scripts aside, which it rewrites).
    if (sizes && data?.[1] !== 'scripts') sizes.set(target, contents.sizes[i]);
    const di = /^([^/]+\.dist-info)\//.exec(f);
    if (di) distInfo = di[1];
    if (target.endsWith('.py') && !data?.[1].startsWith('scripts') && data?.[1] !== 'data') {
      const slash = target.lastIndexOf('/');
      out.push(`${target.slice(0, slash)}/__pycache__/${target.slice(slash + 1, -3)}.${PYC_TAG}.pyc`);
    }
  }
  if (!distInfo) throw new UnsupportedContentError('wheel without a .dist-info directory');
  out.push(`${layout.sitePackages}/${distInfo}/INSTALLER`, `${layout.sitePackages}/${distInfo}/REQUESTED`);
  for (const s of contents.scripts) out.push(`${layout.scripts}/${s}`);
  // pip unpacks through /tmp: the directory's timestamp changes, so every real install layer holds it.
  out.push('tmp/');
  return out;
}
