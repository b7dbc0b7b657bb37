import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';
import type { Ecosystem } from '../../models/label';
import { compareDebianVersions, isValidDebianVersion } from './debian-version';

/**
 * Version ordering per ecosystem, each from the library its community trusts: PEP 440 for PyPI
 * (@renovatebot/pep440, a port of `packaging`), semver for npm (the npm CLI's own), dpkg ordering for
 * Debian (./debian-version). OSV ranges are evaluated with these orders, never with string order.
 */
export interface VersionScheme {
  valid(version: string): boolean;
  /** Only the sign is meaningful. Both versions must be valid. */
  compare(a: string, b: string): number;
  /** A canonical spelling, so `1.0` and `1.0.0` (PEP 440) meet in a set. */
  canonical(version: string): string;
}

/**
 * PEP 440 parsing is a large regular expression and dominates matching time (a popular package has a
 * hundred advisories); the versions met are few and repeat, so results are remembered, within a bound.
 */
function memo<T>(limit: number, f: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined && !cache.has(key)) {
      if (cache.size >= limit) cache.clear();
      cache.set(key, (v = f(key)));
    }
    return v as T;
  };
}

const pep440Valid = memo(50_000, (v) => pep440.valid(v) !== null);
const pep440Compare = memo(200_000, (pair) => {
  const [a, b] = pair.split('\u0000');
  return Math.sign(pep440.compare(a, b));
});

const pypi: VersionScheme = {
  valid: pep440Valid,
  compare: (a, b) => (a === b ? 0 : pep440Compare(`${a}\u0000${b}`)),
  canonical: memo(50_000, (v) => {
    const p = pep440.explain(v);
    if (!p) return v;
    // Trailing zeros of the release do not change a PEP 440 version: 1.0 == 1.0.0.
    const release = [...p.release];
    while (release.length > 1 && release[release.length - 1] === 0) release.pop();
    return [
      p.epoch ? `${p.epoch}!` : '',
      release.join('.'),
      p.pre ? `${p.pre[0]}${p.pre[1]}` : '',
      p.post !== null && p.post !== undefined ? `.post${p.post}` : '',
      p.dev !== null && p.dev !== undefined ? `.dev${p.dev}` : '',
      p.local ? `+${p.local}` : '',
    ].join('');
  }),
};

const npm: VersionScheme = {
  valid: (v) => semver.valid(v, { loose: true }) !== null,
  compare: (a, b) => semver.compare(a, b, { loose: true }),
  canonical: (v) => semver.valid(v, { loose: true }) ?? v,
};

const deb: VersionScheme = {
  valid: isValidDebianVersion,
  compare: (a, b) => Math.sign(compareDebianVersions(a, b)),
  canonical: (v) => v.trim(),
};

export const VERSION_SCHEMES: Record<Ecosystem, VersionScheme> = { pypi, npm, deb };

export function compareVersions(ecosystem: Ecosystem, a: string, b: string): number {
  return VERSION_SCHEMES[ecosystem].compare(a, b);
}
