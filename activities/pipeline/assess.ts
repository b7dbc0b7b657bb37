import type { Config } from '../../config/schema';
import { getManifest } from '../../models/registry';
import {
  alarmsFromReport,
  aboveThreshold,
  dedupeAlarms,
  deliverAlarms as deliverToSinks,
  readMarker,
  sinksFromConfig,
} from '../alarms';
import type { AlarmSink } from '../alarms/sinks';
import { writeReport } from '../reports/report-store';
import { assessImage } from '../risk/assess';
import { riskContextFrom } from '../risk/context';
import { isDigest, parseImageRef } from '../registry/reference';
import type { ObjectStore } from '../store/object-store';
import { putJson } from '../store/object-store';
import { NO_MODEL } from './inference';
import { scanMarkerKey, type ScanMarker } from './scan-keys';
import type { AlarmNotice, LayerOutcome, ResolvedImageSummary, RiskOutcome } from './scan-types';

/**
 * Builds and stores the image's report (JSON, CycloneDX, inventory), marks the requested digest scanned,
 * and claims the alarms this image raises for the first time. Claimed alarms are delivered by
 * `deliverAlarms`, a separate step, so that a failing webhook retries without redoing the report.
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
  const labels =
    input.modelVersion === NO_MODEL
      ? []
      : await getManifest(store, input.modelVersion).then(
          (m) => m.labels,
          () => [] as string[],
        );
  const packages = input.layers.flatMap((l) =>
    l.findings.map((f) => ({ ecosystem: f.ecosystem, name: f.name })),
  );
  const ctx = await riskContextFrom(store, config.risk, { labels, packages });
  const report = assessImage(
    {
      image: input.image.reference,
      repository: input.image.repository,
      manifestDigest: input.image.manifestDigest,
      platform: input.image.platform,
      modelVersion: input.modelVersion,
      // The top-most layer that says which release the image is wins, as it would in the running container.
      distro: [...input.layers].reverse().find((l) => l.fingerprint?.distro)?.fingerprint?.distro,
      layers: input.layers.map((l) => ({
        index: l.index,
        digest: l.digest,
        findings: l.findings,
        ...(l.error ? { error: l.error } : {}),
      })),
      timings: Object.fromEntries(Object.entries(input.timings).map(([k, s]) => [k, Math.round(s * 1000)])),
    },
    ctx,
  );
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

  const newAlarms: AlarmNotice[] = claimed.map((a) => ({
    key: a.key,
    advisory: a.advisoryId,
    severity: a.severity,
    kind: a.kind,
    package: `${a.package.ecosystem}:${a.package.name}==${a.package.version}`,
  }));
  return {
    reportKey: keys.report,
    findings: report.layers.reduce((n, l) => n + l.findings.length, 0),
    vulnerable: new Set(report.vulnerabilities.map((v) => `${v.ecosystem}:${v.name}==${v.version}`)).size,
    outdated: report.outdated.length,
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
