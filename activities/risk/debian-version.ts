import { BadInputError } from '../errors';

/**
 * Debian version ordering, as dpkg implements it (lib/dpkg/version.c, Debian Policy §5.6.12).
 *
 * Written here rather than taken from npm: the packages that exist there (`deb-version-compare` and
 * kin) have a few hundred downloads a month and no recent releases, and the algorithm is short and
 * fully specified. The tests compare this code with `dpkg --compare-versions` itself on many pairs.
 *
 * A version is `[epoch:]upstream[-revision]`: the epoch compares as a number, then upstream and
 * revision each compare by alternating runs of non-digits (letters sort before other characters,
 * `~` sorts before everything, even the end of the string) and digits (compared as numbers).
 */
export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

const UPSTREAM_RE = /^[0-9A-Za-z.+~:-]*$/;
const REVISION_RE = /^[0-9A-Za-z.+~]*$/;

/** Parses like dpkg's parseversion(): lenient about what it can still order, strict about what it cannot. */
export function parseDebianVersion(version: string): DebianVersion {
  const v = version.trim();
  if (v === '') throw new BadInputError('empty Debian version');
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^\d+$/.test(e))
      throw new BadInputError(`Debian version ${JSON.stringify(version)}: epoch is not a number`);
    epoch = Number(e);
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '' || !UPSTREAM_RE.test(upstream) || !REVISION_RE.test(revision)) {
    throw new BadInputError(`invalid Debian version ${JSON.stringify(version)}`);
  }
  return { epoch, upstream, revision };
}

export function isValidDebianVersion(version: string): boolean {
  try {
    parseDebianVersion(version);
    return true;
  } catch {
    return false;
  }
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** dpkg's order(): digits 0 (handled apart), letters by code, `~` below the end of string, others above letters. */
function order(c: number): number {
  if (Number.isNaN(c)) return 0; // end of string
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // '~'
  return c + 256;
}

/** dpkg's verrevcmp(), on one upstream or revision part. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, equal to or after `b` (only the sign is meaningful). */
export function compareDebianVersions(a: string | DebianVersion, b: string | DebianVersion): number {
  const va = typeof a === 'string' ? parseDebianVersion(a) : a;
  const vb = typeof b === 'string' ? parseDebianVersion(b) : b;
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return compareFragment(va.upstream, vb.upstream) || compareFragment(va.revision, vb.revision);
}
