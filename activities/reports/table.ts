import { uncertainVersions } from './finding';
import type { ImageReport } from './report';

/**
 * The report as a person reads it in a terminal: a header, one row per finding (layer, package,
 * version, evidence, score, and what is wrong with it), then the alarms. Plain text, no colours, so it
 * pipes and diffs cleanly.
 */
export function formatReportTable(report: ImageReport): string {
  const lines: string[] = [];
  lines.push(`image     ${report.image}`);
  lines.push(`digest    ${report.manifestDigest}`);
  if (report.platform) lines.push(`platform  ${report.platform}`);
  lines.push(`model     ${report.modelVersion}`);
  lines.push(`created   ${report.createdAt}`);
  lines.push('');

  const vulns = new Map<string, string[]>();
  for (const v of report.vulnerabilities) {
    const k = `${v.layerIndex}\0${v.ecosystem}\0${v.name}\0${v.version}`;
    vulns.set(k, [
      ...(vulns.get(k) ?? []),
      `${v.advisoryId} ${v.severity}${v.fixed.length ? ` (fixed ${v.fixed[0]})` : ''}`,
    ]);
  }
  const outdated = new Map(
    report.outdated.map((o) => [`${o.layerIndex}\0${o.ecosystem}\0${o.name}\0${o.version}`, o]),
  );

  const rows: string[][] = [['LAYER', 'ECOSYSTEM', 'PACKAGE', 'VERSION', 'EVIDENCE', 'SCORE', 'NOTES']];
  for (const layer of report.layers) {
    if (layer.error)
      rows.push([
        String(layer.index),
        '-',
        '-',
        '-',
        '-',
        '-',
        `error ${layer.error.code}: ${layer.error.message}`,
      ]);
    for (const f of layer.findings) {
      const k = `${layer.index}\0${f.ecosystem}\0${f.name}\0${f.version}`;
      const notes = [...(vulns.get(k) ?? [])];
      const o = outdated.get(k);
      if (o)
        notes.push(
          `outdated: latest ${o.latest}${o.versionsBehind !== undefined ? `, ${o.versionsBehind} behind` : ''}`,
        );
      const others = uncertainVersions(f);
      if (others) notes.push(`version uncertain${others.length ? `: could be ${others.join(', ')}` : ''}`);
      else if (f.alternatives?.length)
        notes.push(`model said ${f.alternatives.map((a) => a.version).join(', ')}`);
      rows.push([
        String(layer.index),
        f.ecosystem,
        f.name,
        f.version,
        f.evidence,
        f.score.toFixed(2),
        notes.join('; '),
      ]);
    }
  }
  if (rows.length === 1) lines.push('no packages found');
  else lines.push(...alignColumns(rows));

  lines.push('');
  const bySeverity = (s: string) => report.vulnerabilities.filter((v) => v.severity === s).length;
  lines.push(
    `${report.layers.reduce((n, l) => n + l.findings.length, 0)} packages in ${report.layers.length} layers; ` +
      `${report.vulnerabilities.length} vulnerabilities (critical ${bySeverity('CRITICAL')}, high ${bySeverity('HIGH')}, ` +
      `moderate ${bySeverity('MODERATE')}, low ${bySeverity('LOW')}); ${report.outdated.length} outdated`,
  );
  if (report.alarms.length) {
    lines.push('');
    lines.push('ALARMS');
    for (const a of report.alarms) {
      lines.push(
        `  ${a.severity.padEnd(8)} ${a.kind.padEnd(10)} ${a.advisoryId}  ${a.package.ecosystem}:${a.package.name}==${a.package.version}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}
