import type { Config } from '../../config/schema';
import { type ImageReport } from '../reports/report';
import { uncertainVersions } from '../reports/finding';
import { TransientError } from '../errors';
import type { ObjectStore } from '../store/object-store';
import { atLeast, type Severity } from '../risk/severity';
import { type Alarm, alarmKey, outdatedAdvisoryId } from './alarm';
import { dedupeAlarms, readMarker, writeMarker } from './dedupe';
import { LogSink } from './log-sink';
import { PrometheusSink } from './prometheus-sink';
import type { AlarmSink } from './sinks';
import { WebhookSink, webhookSecretFrom } from './webhook-sink';
import type { Registry } from 'prom-client';

export function aboveThreshold(alarms: readonly Alarm[], minSeverity: Severity): Alarm[] {
  return alarms.filter((a) => atLeast(a.severity, minSeverity));
}

/**
 * Candidate alarms of a report: one per advisory affecting the image (at its lowest layer), one per
 * outdated package when `outdated` is on. Dedupe decides which are new.
 */
export function alarmsFromReport(
  report: ImageReport,
  opts: { now?: Date; outdated?: boolean } = {},
): Alarm[] {
  const raisedAt = (opts.now ?? new Date()).toISOString();
  const evidenceOf = new Map<
    string,
    {
      evidence: Alarm['package']['evidence'];
      score: number;
      digest: string;
      uncertain?: string[];
    }
  >();
  for (const l of report.layers)
    for (const f of l.findings)
      evidenceOf.set(`${l.index}\0${f.ecosystem}\0${f.name}\0${f.version}`, {
        evidence: f.evidence,
        score: f.score,
        digest: l.digest,
        uncertain: uncertainVersions(f),
      });
  const byKey = new Map<string, Alarm>();
  const pkg = (r: {
    layerIndex: number;
    ecosystem: Alarm['package']['ecosystem'];
    name: string;
    version: string;
  }) => {
    const ev = evidenceOf.get(`${r.layerIndex}\0${r.ecosystem}\0${r.name}\0${r.version}`);
    return {
      ecosystem: r.ecosystem,
      name: r.name,
      version: r.version,
      layerIndex: r.layerIndex,
      ...(ev ? { layerDigest: ev.digest, evidence: ev.evidence, score: ev.score } : {}),
      ...(ev?.uncertain ? { versionUncertain: true as const, alternatives: ev.uncertain } : {}),
    };
  };
  const vulns = [...report.vulnerabilities].sort((a, b) => a.layerIndex - b.layerIndex);
  for (const v of vulns) {
    const key = alarmKey(report.manifestDigest, v.advisoryId);
    if (byKey.has(key)) continue;
    byKey.set(key, {
      key,
      kind: 'vulnerable',
      imageDigest: report.manifestDigest,
      ...(report.repository ? { repository: report.repository } : {}),
      advisoryId: v.advisoryId,
      aliases: v.aliases,
      package: pkg(v),
      severity: v.severity,
      ...(v.summary ? { summary: v.summary } : {}),
      fixed: v.fixed,
      ...(v.url ? { url: v.url } : {}),
      raisedAt,
    });
  }
  if (opts.outdated ?? true) {
    for (const o of report.outdated) {
      const advisoryId = outdatedAdvisoryId(o.ecosystem, o.name, o.version);
      const key = alarmKey(report.manifestDigest, advisoryId);
      if (byKey.has(key)) continue;
      byKey.set(key, {
        key,
        kind: 'outdated',
        imageDigest: report.manifestDigest,
        ...(report.repository ? { repository: report.repository } : {}),
        advisoryId,
        package: pkg(o),
        severity: 'LOW',
        summary: `${o.name} ${o.version} is ${o.versionsBehind ?? '?'} versions behind ${o.latest}`,
        fixed: [o.latest],
        raisedAt,
      });
    }
  }
  return [...byKey.values()];
}

export interface DeliveryResult {
  delivered: Alarm[];
  failures: Array<{ key: string; sink: string; code: string; message: string }>;
}

/**
 * Hands each alarm to every sink that has not accepted it yet, writing each acceptance into the alarm's
 * marker when a store is given (so a retry resumes instead of repeating). Failures of one sink do not
 * stop the others; with `throwOnFailure` (default) a TransientError lists them once all were tried.
 */
export async function deliverAlarms(
  alarms: readonly Alarm[],
  sinks: readonly AlarmSink[],
  opts: { store?: ObjectStore; throwOnFailure?: boolean } = {},
): Promise<DeliveryResult> {
  const result: DeliveryResult = { delivered: [], failures: [] };
  // A sink that exhausted its retries on one alarm is down: the rest of this run skips it instead of
  // spending its whole backoff again on every alarm, and the next attempt resumes them all.
  const down = new Map<string, string>();
  for (const alarm of alarms) {
    const marker = opts.store ? await readMarker(opts.store, alarm) : undefined;
    let ok = true;
    for (const sink of sinks) {
      if (marker?.delivered[sink.name]) continue;
      const reason = down.get(sink.name);
      if (reason) {
        ok = false;
        result.failures.push({
          key: alarm.key,
          sink: sink.name,
          code: 'UNAVAILABLE',
          message: `not tried: ${reason}`,
        });
        continue;
      }
      try {
        await sink.deliver(alarm);
        if (marker && opts.store) {
          marker.delivered[sink.name] = new Date().toISOString();
          await writeMarker(opts.store, marker);
        }
      } catch (e) {
        ok = false;
        const err = e as { code?: string; message?: string; retryable?: boolean };
        result.failures.push({
          key: alarm.key,
          sink: sink.name,
          code: err.code ?? 'INTERNAL',
          message: err.message ?? String(e),
        });
        if (err.retryable) down.set(sink.name, `${sink.name} failed on ${alarm.key} earlier in this run`);
      }
    }
    if (ok) {
      result.delivered.push(alarm);
      if (marker && opts.store) await writeMarker(opts.store, { ...marker, done: true });
    }
  }
  if (result.failures.length && (opts.throwOnFailure ?? true)) {
    const f = result.failures[0];
    throw new TransientError(
      `${result.failures.length} alarm deliveries failed (first: ${f.sink} for ${f.key}: ${f.message}); a retry resumes the undelivered ones`,
      'UNAVAILABLE',
    );
  }
  return result;
}

/** Threshold, then claim (one per image and advisory ever), then deliver: the whole alarm step of a scan or refresh. */
export async function raiseAlarms(
  store: ObjectStore,
  candidates: readonly Alarm[],
  sinks: readonly AlarmSink[],
  opts: { minSeverity: Severity; claimant: string; now?: Date; throwOnFailure?: boolean },
): Promise<{ raised: Alarm[]; delivery: DeliveryResult }> {
  const raised = await dedupeAlarms(store, aboveThreshold(candidates, opts.minSeverity), {
    claimant: opts.claimant,
    now: opts.now,
  });
  const delivery = await deliverAlarms(raised, sinks, { store, throwOnFailure: opts.throwOnFailure });
  return { raised, delivery };
}

/** The sinks the `alarms` config section asks for. */
export function sinksFromConfig(
  cfg: Config['alarms'],
  opts: { registry?: Registry; log?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): AlarmSink[] {
  const sinks: AlarmSink[] = [];
  if (cfg.log) sinks.push(new LogSink(opts.log));
  if (opts.registry) sinks.push(new PrometheusSink(opts.registry));
  if (cfg.webhookUrl) {
    sinks.push(
      new WebhookSink({
        url: cfg.webhookUrl,
        secret: webhookSecretFrom(cfg, opts.env),
        maxAttempts: cfg.webhookMaxAttempts,
      }),
    );
  }
  return sinks;
}
