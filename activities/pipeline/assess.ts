import type { Config } from '../../config/schema';
import {
  alarmsFromReport,
  aboveThreshold,
  dedupeAlarms,
  deliverAlarms as deliverToSinks,
  readMarker,
  sinksFromConfig,
} from '../alarms';
import type { AlarmSink } from '../alarms/sinks';
import { REPORT_SCHEMA_ID, type ImageReport, type Outdated, type Vulnerability } from '../reports/report';
import { writeReport } from '../reports/report-store';
import { type AdvisoryDb, openAdvisoryDb, readPointer, syncAdvisories } from '../risk/advisory-db';
import { matchPackage } from '../risk/match';
import { defaultAdvisorySource } from '../risk/osv';
import { checkOutdated, loadLatestFiles, type LatestIndex } from '../risk/outdated';
import type { ObjectStore } from '../store/object-store';
import { putJson } from '../store/object-store';
import { isDigest, parseImageRef } from '../registry/reference';
import { scanMarkerKey, type ScanMarker } from './scan-keys';
import type { AlarmNotice, LayerOutcome, ResolvedImageSummary, RiskOutcome } from './scan-types';

let advisoryCache: { digest: string; db: Promise<AdvisoryDb> } | undefined;

/**
 * The advisory set in force. The first scan against an empty store imports the configured source (default:
 * the bundled PyPI snapshot) so that a fresh install alarms without a separate sync step.
 */
export async function currentAdvisories(
  store: ObjectStore,
  config: Pick<Config, 'risk'>,
): Promise<AdvisoryDb> {
  let pointer = await readPointer(store);
  if (!pointer) {
    await syncAdvisories(store, config.risk.advisories ?? defaultAdvisorySource());
    pointer = await readPointer(store);
  }
  if (!advisoryCache || advisoryCache.digest !== pointer?.digest) {
    const db = openAdvisoryDb(store);
    db.catch(() => (advisoryCache = undefined));
    advisoryCache = { digest: pointer?.digest ?? '', db };
  }
  return advisoryCache.db;
}

let latestCache: LatestIndex | undefined;
export function latestIndex(): LatestIndex {
  latestCache ??= loadLatestFiles();
  return latestCache;
}

/** Vulnerabilities and outdated packages of an image's findings. Pure: the same inputs give the same lists. */
export function assessFindings(
  layers: ReadonlyArray<Pick<LayerOutcome, 'index' | 'findings'>>,
  db: AdvisoryDb,
  latest: LatestIndex,
  risk: Config['risk'],
): { vulnerabilities: Vulnerability[]; outdated: Outdated[] } {
  const vulnerabilities: Vulnerability[] = [];
  const outdated: Outdated[] = [];
  for (const layer of layers) {
    for (const f of layer.findings) {
      const ref = { layerIndex: layer.index, ecosystem: f.ecosystem, name: f.name, version: f.version };
      for (const hit of matchPackage(db, { ...ref, sourceName: f.sourceName })) {
        vulnerabilities.push({
          ...ref,
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
      const old = checkOutdated(latest, f, {
        versionsBehind: risk.outdatedVersionsBehind,
        daysBehind: risk.outdatedDaysBehind,
      });
      if (old) outdated.push({ ...ref, ...old, evidence: f.evidence });
    }
  }
  return { vulnerabilities, outdated };
}

/**
 * Builds and stores the image's report (JSON, CycloneDX, inventory), marks the requested digest scanned,
 * and claims the alarms this image raises for the first time: claimed alarms are then delivered by
 * `deliverAlarms`, a separate step so that a failing webhook retries without redoing the report.
 */
export async function assessAndReport(
  deps: { store: ObjectStore; config: Config },
  input: {
    image: ResolvedImageSummary;
    modelVersion: string;
    layers: LayerOutcome[];
    timings: Record<string, number>;
    trigger?: string;
  },
): Promise<RiskOutcome> {
  const { store, config } = deps;
  const db = await currentAdvisories(store, config);
  const { vulnerabilities, outdated } = assessFindings(input.layers, db, latestIndex(), config.risk);
  const report: ImageReport = {
    schema: REPORT_SCHEMA_ID,
    image: input.image.reference,
    repository: input.image.repository,
    manifestDigest: input.image.manifestDigest,
    platform: input.image.platform,
    modelVersion: input.modelVersion,
    advisoryDb: { digest: db.digest, source: db.source },
    createdAt: new Date().toISOString(),
    layers: input.layers.map((l) => ({
      index: l.index,
      digest: l.digest,
      findings: l.findings,
      ...(l.error ? { error: l.error } : {}),
    })),
    vulnerabilities,
    outdated,
    alarms: [],
    timings: Object.fromEntries(Object.entries(input.timings).map(([k, s]) => [k, Math.round(s * 1000)])),
  };
  const candidates = aboveThreshold(alarmsFromReport(report), config.alarms.minSeverity);
  report.alarms = candidates;
  const claimed = await dedupeAlarms(store, candidates, { claimant: input.trigger ?? 'praxi' });
  const keys = await writeReport(store, report);

  // The requested digest (a tag's target may be an index) and the platform manifest both count as scanned.
  const marker: ScanMarker = {
    requestedDigest: requestedDigestOf(input.image.reference) ?? input.image.manifestDigest,
    manifestDigest: input.image.manifestDigest,
    reportKey: keys.report,
    reference: input.image.reference,
    finishedAt: report.createdAt,
  };
  for (const d of new Set([marker.requestedDigest, marker.manifestDigest]))
    await putJson(store, scanMarkerKey(d), marker);

  const findings = report.layers.reduce((n, l) => n + l.findings.length, 0);
  const newAlarms: AlarmNotice[] = claimed.map((a) => ({
    key: a.key,
    advisory: a.advisoryId,
    severity: a.severity,
    kind: a.kind,
    package: `${a.package.ecosystem}:${a.package.name}==${a.package.version}`,
  }));
  return {
    reportKey: keys.report,
    findings,
    vulnerable: new Set(vulnerabilities.map((v) => `${v.ecosystem}:${v.name}==${v.version}`)).size,
    outdated: outdated.length,
    alarms: candidates.length,
    newAlarms,
  };
}

function requestedDigestOf(reference: string): string | undefined {
  try {
    const ref = parseImageRef(reference);
    return ref.kind === 'registry' && ref.digest && isDigest(ref.digest) ? ref.digest : undefined;
  } catch {
    return undefined;
  }
}

let sinkCache: { config: Config['alarms']; sinks: AlarmSink[] } | undefined;

/** Delivers claimed alarms to the configured sinks; a retry resumes the sinks that have not accepted yet. */
export async function deliverAlarms(
  deps: { store: ObjectStore; config: Config; sinks?: AlarmSink[] },
  input: { manifestDigest: string; alarms: AlarmNotice[] },
): Promise<{ delivered: number }> {
  if (!sinkCache || sinkCache.config !== deps.config.alarms) {
    sinkCache = { config: deps.config.alarms, sinks: sinksFromConfig(deps.config.alarms) };
  }
  const sinks = deps.sinks ?? sinkCache.sinks;
  const alarms = [];
  for (const n of input.alarms) {
    const marker = await readMarker(deps.store, {
      imageDigest: input.manifestDigest,
      advisoryId: n.advisory,
    });
    if (marker && !marker.done) alarms.push(marker.alarm);
  }
  const result = await deliverToSinks(alarms, sinks, { store: deps.store });
  return { delivered: result.delivered.length };
}
