import { debianReleaseOf } from '../records/os-release';
import type { Distro, LayerReport, ImageReport, Outdated, Vulnerability } from '../reports/report';
import { REPORT_SCHEMA_ID } from '../reports/report';
import type { AdvisoryIndex } from './match';
import { matchPackage } from './match';
import { checkOutdated, type LatestIndex, type OutdatedPolicy } from './outdated';
import type { Severity } from './severity';

/** What the pipeline knows of an image once every layer has its findings. */
export interface ScannedImage {
  image: string;
  repository?: string;
  manifestDigest: string;
  platform?: string;
  distro?: Distro;
  modelVersion: string;
  createdAt?: string;
  layers: LayerReport[];
  timings?: Record<string, number>;
}

export interface RiskContext {
  db?: AdvisoryIndex & { digest?: string; source?: string };
  latest?: LatestIndex;
  policy: OutdatedPolicy;
  defaultSeverity: Severity;
}

/**
 * Matches every finding of every layer against the advisories and the latest-version index and
 * returns the image's report (alarms empty: raising them is a separate step, see activities/alarms).
 */
/** Every (finding, advisory) pair of an image's layers, in layer order. */
export function vulnerabilitiesOf(
  layers: readonly LayerReport[],
  db: AdvisoryIndex,
  defaultSeverity: Severity,
  distro?: Distro,
): Vulnerability[] {
  const out: Vulnerability[] = [];
  const debianRelease = debianReleaseOf(distro);
  for (const layer of layers) {
    for (const f of layer.findings) {
      for (const hit of matchPackage(db, { ...f, debianRelease }, { defaultSeverity })) {
        out.push({
          layerIndex: layer.index,
          ecosystem: f.ecosystem,
          name: f.name,
          version: f.version,
          advisoryId: hit.id,
          aliases: hit.aliases,
          severity: hit.severity,
          ...(hit.severityAssumed ? { severityAssumed: true } : {}),
          ...(hit.cvssScore !== undefined ? { cvssScore: hit.cvssScore } : {}),
          fixed: hit.fixed,
          ...(hit.summary ? { summary: hit.summary } : {}),
          ...(hit.url ? { url: hit.url } : {}),
          evidence: f.evidence,
        });
      }
    }
  }
  return out;
}

/**
 * Matches every finding of every layer against the advisories and the latest-version index and
 * returns the image's report (alarms empty: raising them is a separate step, see activities/alarms).
 */
export function assessImage(scan: ScannedImage, ctx: RiskContext, now: Date = new Date()): ImageReport {
  const t0 = performance.now();
  const vulnerabilities = ctx.db
    ? vulnerabilitiesOf(scan.layers, ctx.db, ctx.defaultSeverity, scan.distro)
    : [];
  const outdated: Outdated[] = [];
  if (ctx.latest) {
    for (const layer of scan.layers) {
      for (const f of layer.findings) {
        const o = checkOutdated(ctx.latest, f, ctx.policy);
        if (o) {
          outdated.push({
            layerIndex: layer.index,
            ecosystem: f.ecosystem,
            name: f.name,
            version: f.version,
            ...o,
            evidence: f.evidence,
          });
        }
      }
    }
  }
  return {
    schema: REPORT_SCHEMA_ID,
    image: scan.image,
    ...(scan.repository ? { repository: scan.repository } : {}),
    manifestDigest: scan.manifestDigest,
    ...(scan.platform ? { platform: scan.platform } : {}),
    ...(scan.distro ? { distro: scan.distro } : {}),
    modelVersion: scan.modelVersion,
    ...(ctx.db?.digest ? { advisoryDb: { digest: ctx.db.digest, source: ctx.db.source ?? '' } } : {}),
    createdAt: scan.createdAt ?? now.toISOString(),
    layers: scan.layers,
    vulnerabilities,
    outdated,
    alarms: [],
    timings: { ...(scan.timings ?? {}), risk: Math.round(performance.now() - t0) },
  };
}
