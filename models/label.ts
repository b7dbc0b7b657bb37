import { BadInputError } from '../activities/errors';

/**
 * A label names one installed package version: `ECOSYSTEM:NAME==VERSION`, e.g. `pypi:requests==2.32.3`,
 * `npm:lodash==4.17.21`, `deb:curl==7.88.1-10+deb12u8`. The ecosystem prefix keeps names that exist in
 * several ecosystems apart (`six` on PyPI, `python3-six` in Debian).
 */
export type Ecosystem = 'pypi' | 'npm' | 'deb';
export const ECOSYSTEMS: readonly Ecosystem[] = ['pypi', 'npm', 'deb'];

/** OSV's names for our ecosystems. */
export const OSV_ECOSYSTEM: Record<Ecosystem, string> = { pypi: 'PyPI', npm: 'npm', deb: 'Debian' };

export interface PackageVersion {
  ecosystem: Ecosystem;
  name: string;
  version: string;
}

const LABEL_RE = /^(pypi|npm|deb):([^=\s]+)==(\S+)$/;

export function parseLabel(label: string): PackageVersion {
  const m = LABEL_RE.exec(label);
  if (!m) throw new BadInputError(`invalid label ${JSON.stringify(label)}: expected ECOSYSTEM:NAME==VERSION`);
  return { ecosystem: m[1] as Ecosystem, name: m[2], version: m[3] };
}

export function formatLabel(p: PackageVersion): string {
  return `${p.ecosystem}:${normalizeName(p.ecosystem, p.name)}==${p.version}`;
}

/** The package part of a label (`pypi:requests`), used for package-level scores and grouping. */
export function packageOf(label: string): string {
  const p = parseLabel(label);
  return `${p.ecosystem}:${p.name}`;
}

/** Every package version whose files a training sample holds: its labels and what came along with them. */
export function presentLabels(s: { labels?: string[]; also?: string[] }): string[] {
  return s.also?.length ? [...(s.labels ?? []), ...s.also] : (s.labels ?? []);
}

/**
 * Drops the findings of packages a sample holds only as dependencies its install brought along
 * (`also`): they are in the layer, so naming them is neither right nor wrong when scoring. So is a
 * dependency's release of a labelled package (gopd 1.0.1 installed with a nested gopd 1.2.0): naming
 * that release is no false positive, while any other version of the package still is.
 */
export function withoutAlongside(predicted: string[], s: { labels?: string[]; also?: string[] }): string[] {
  if (!s.also?.length) return predicted;
  const alongside = new Set(s.also.map(packageOf));
  for (const l of s.labels ?? []) alongside.delete(packageOf(l));
  const present = new Set(s.also);
  return predicted.filter((l) => !alongside.has(packageOf(l)) && !present.has(l));
}

/** PyPI names compare case-insensitively with runs of `-_.` folded (PEP 503); others are exact. */
export function normalizeName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}
