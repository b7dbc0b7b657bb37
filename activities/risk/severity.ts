/**
 * Severity of an advisory: OSV `severity` entries carry CVSS vectors, not scores, so the base score is
 * computed here (CVSS v3.0/v3.1 and v2 base formulas from their specifications; short and exact).
 * CVSS v4 needs the specification's macro-vector lookup table and is not scored here: such advisories
 * fall back to the database's own rating (`database_specific.severity`) or the configured default.
 */
export type Severity = 'LOW' | 'MODERATE' | 'HIGH' | 'CRITICAL';
export const SEVERITIES: readonly Severity[] = ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'];

const RANK: Record<Severity, number> = { LOW: 1, MODERATE: 2, HIGH: 3, CRITICAL: 4 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function atLeast(s: Severity, min: Severity): boolean {
  return RANK[s] >= RANK[min];
}

export function maxSeverity(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (!a) return b;
  if (!b) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

/** The CVSS v3 qualitative bands; a score of 0.0 ("None") still names an advisory, so it counts as LOW. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MODERATE';
  return 'LOW';
}

/** Databases spell their ratings differently: GHSA `MODERATE`, Debian's tracker `medium`/`unimportant`. */
export function severityOfText(text: unknown): Severity | undefined {
  if (typeof text !== 'string') return undefined;
  switch (text.trim().toLowerCase()) {
    case 'critical':
      return 'CRITICAL';
    case 'high':
    case 'important':
      return 'HIGH';
    case 'moderate':
    case 'medium':
      return 'MODERATE';
    case 'low':
    case 'unimportant':
    case 'negligible':
    case 'minor':
      return 'LOW';
    default:
      return undefined;
  }
}

function metrics(vector: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of vector.split('/')) {
    const [k, v] = part.split(':');
    if (k && v !== undefined) m.set(k, v);
  }
  return m;
}

/** CVSS v3.1's Roundup: the smallest one-decimal number >= x, robust to floating-point noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** Base score of a `CVSS:3.x/AV:..` vector, or undefined when a base metric is missing or unknown. */
export function cvss3BaseScore(vector: string): number | undefined {
  if (!/^CVSS:3\.[01]\//.test(vector)) return undefined;
  const m = metrics(vector);
  const scopeChanged = m.get('S') === 'C';
  if (!scopeChanged && m.get('S') !== 'U') return undefined;
  const av = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 }[m.get('AV') ?? ''];
  const ac = { L: 0.77, H: 0.44 }[m.get('AC') ?? ''];
  const pr = (scopeChanged ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 })[m.get('PR') ?? ''];
  const ui = { N: 0.85, R: 0.62 }[m.get('UI') ?? ''];
  const cia = (k: string) => ({ H: 0.56, L: 0.22, N: 0 })[m.get(k) ?? ''];
  const c = cia('C');
  const i = cia('I');
  const a = cia('A');
  if ([av, ac, pr, ui, c, i, a].some((x) => x === undefined)) return undefined;
  const iss = 1 - (1 - c!) * (1 - i!) * (1 - a!);
  const impact = scopeChanged ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av! * ac! * pr! * ui!;
  if (impact <= 0) return 0;
  return scopeChanged
    ? roundUp(Math.min(1.08 * (impact + exploitability), 10))
    : roundUp(Math.min(impact + exploitability, 10));
}

/** Base score of a CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally prefixed `(`/`CVSS:2.0/`). */
export function cvss2BaseScore(vector: string): number | undefined {
  const m = metrics(vector.replace(/^\(|\)$/g, '').replace(/^CVSS:2\.0\//, ''));
  const av = { L: 0.395, A: 0.646, N: 1.0 }[m.get('AV') ?? ''];
  const ac = { H: 0.35, M: 0.61, L: 0.71 }[m.get('AC') ?? ''];
  const au = { M: 0.45, S: 0.56, N: 0.704 }[m.get('Au') ?? ''];
  const cia = (k: string) => ({ N: 0, P: 0.275, C: 0.66 })[m.get(k) ?? ''];
  const c = cia('C');
  const i = cia('I');
  const a = cia('A');
  if ([av, ac, au, c, i, a].some((x) => x === undefined)) return undefined;
  const impact = 10.41 * (1 - (1 - c!) * (1 - i!) * (1 - a!));
  const exploitability = 20 * av! * ac! * au!;
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

/** Score of one OSV `severity` entry; a bare number is taken as a score already computed. */
export function scoreOfOsvSeverity(entry: { type?: unknown; score?: unknown }): number | undefined {
  const s = typeof entry.score === 'string' ? entry.score.trim() : undefined;
  if (!s) return typeof entry.score === 'number' ? entry.score : undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (entry.type === 'CVSS_V3' || s.startsWith('CVSS:3')) return cvss3BaseScore(s);
  if (entry.type === 'CVSS_V2') return cvss2BaseScore(s);
  return undefined;
}
