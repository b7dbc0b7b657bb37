import { debianReleaseOf } from '../records/os-release';
import { type Alarm, alarmKey } from '../alarms/alarm';
import { aboveThreshold, type DeliveryResult, deliverAlarms, sinksFromConfig } from '../alarms/deliver';
import type { AlarmSink } from '../alarms/sinks';
import type { Config } from '../../config/schema';
import { openAdvisoryDb, syncAdvisories, type SyncResult } from './advisory-db';
import { defaultAdvisorySource } from './osv';
import { dedupeAlarms } from '../alarms/dedupe';
import { isPraxiError } from '../errors';
import { type Inventory, listInventoryKeys, readReport, writeReport } from '../reports/report-store';
import { vulnerabilitiesOf } from './assess';
import type { ObjectStore } from '../store/object-store';
import { type AdvisoryIndex, matchPackage } from './match';
import type { Severity } from './severity';

export interface RematchOptions {
  minSeverity: Severity;
  defaultSeverity: Severity;
  /** Who raises the alarms (the refresh workflow's id): see activities/alarms/dedupe. */
  claimant: string;
  now?: Date;
  /**
   * Rewrite each image's stored report and SBOM with the new matches and alarms, so `praxi report`
   * shows what the refresh found (default true). Inventories are left as the scan wrote them.
   */
  updateReports?: boolean;
}

export interface RematchResult {
  imagesChecked: number;
  /** Vulnerable packages found across all inventories, new or not. */
  matches: number;
  /** Alarms never raised before for their (image, advisory): the caller delivers these. */
  newAlarms: Alarm[];
  /** Inventories that could not be read, with why; the others are still checked. */
  problems: Array<{ key: string; message: string }>;
}

/**
 * Matches every stored inventory against an advisory set, without rescanning any image, and claims
 * the alarms not raised before. An advisory already alarmed for an image (by its scan or an earlier
 * refresh) stays silent, so a refresh that adds one advisory raises exactly the alarms it causes.
 */
export async function rematchInventories(
  store: ObjectStore,
  db: AdvisoryIndex,
  opts: RematchOptions,
): Promise<RematchResult> {
  const raisedAt = (opts.now ?? new Date()).toISOString();
  const result: RematchResult = { imagesChecked: 0, matches: 0, newAlarms: [], problems: [] };
  for (const key of await listInventoryKeys(store)) {
    let inv: Inventory;
    try {
      inv = JSON.parse((await store.get(key)).toString('utf8')) as Inventory;
      if (inv.schema !== 'praxi.inventory/v1') throw new Error(`unknown schema ${String(inv.schema)}`);
    } catch (e) {
      if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') continue; // deleted while listing
      result.problems.push({ key, message: (e as Error).message });
      continue;
    }
    result.imagesChecked++;
    const candidates = new Map<string, Alarm>();
    const debianRelease = debianReleaseOf(inv.distro);
    for (const p of [...inv.packages].sort((a, b) => a.layerIndex - b.layerIndex)) {
      for (const hit of matchPackage(
        db,
        { ...p, debianRelease },
        { defaultSeverity: opts.defaultSeverity },
      )) {
        result.matches++;
        const k = alarmKey(inv.manifestDigest, hit.id);
        if (candidates.has(k)) continue;
        candidates.set(k, {
          key: k,
          kind: 'vulnerable',
          imageDigest: inv.manifestDigest,
          ...(inv.repository ? { repository: inv.repository } : {}),
          advisoryId: hit.id,
          aliases: hit.aliases,
          package: {
            ecosystem: p.ecosystem,
            name: p.name,
            version: p.version,
            layerIndex: p.layerIndex,
            layerDigest: p.layerDigest,
            evidence: p.evidence,
            score: p.score,
            ...(p.uncertainAlternatives
              ? { versionUncertain: true as const, alternatives: p.uncertainAlternatives }
              : {}),
          },
          severity: hit.severity,
          ...(hit.summary ? { summary: hit.summary } : {}),
          fixed: hit.fixed,
          ...(hit.url ? { url: hit.url } : {}),
          raisedAt,
        });
      }
    }
    const fresh = await dedupeAlarms(store, aboveThreshold([...candidates.values()], opts.minSeverity), {
      claimant: opts.claimant,
      now: opts.now,
    });
    result.newAlarms.push(...fresh);
    if (opts.updateReports ?? true) await updateReport(store, inv.manifestDigest, db, opts, fresh, result);
  }
  return result;
}

async function updateReport(
  store: ObjectStore,
  manifestDigest: string,
  db: AdvisoryIndex & { digest?: string; source?: string },
  opts: RematchOptions,
  fresh: Alarm[],
  result: RematchResult,
): Promise<void> {
  try {
    const report = await readReport(store, manifestDigest);
    const vulnerabilities = vulnerabilitiesOf(report.layers, db, opts.defaultSeverity, report.distro);
    const unchanged =
      !fresh.length &&
      JSON.stringify(vulnerabilities) === JSON.stringify(report.vulnerabilities) &&
      (!db.digest || report.advisoryDb?.digest === db.digest);
    if (unchanged) return;
    const known = new Set(report.alarms.map((a) => a.key));
    await writeReport(store, {
      ...report,
      vulnerabilities,
      alarms: [...report.alarms, ...fresh.filter((a) => !known.has(a.key))],
      ...(db.digest ? { advisoryDb: { digest: db.digest, source: db.source ?? '' } } : {}),
    });
  } catch (e) {
    // An inventory without its report (written by an older version, or deleted): matching still counted.
    if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') return;
    result.problems.push({ key: manifestDigest, message: `report not updated: ${(e as Error).message}` });
  }
}

export interface RefreshResult {
  sync: SyncResult;
  /** Absent when the advisory set did not change and `force` was not given. */
  rematch?: RematchResult;
  delivery?: DeliveryResult;
}

/**
 * The whole advisory refresh as one plain function (the scheduled workflow may split it into its
 * three steps): import the source, and when the set changed, re-match every stored inventory and
 * deliver the alarms that are new. No image is rescanned.
 */
export async function refreshAdvisories(
  store: ObjectStore,
  config: Pick<Config, 'risk' | 'alarms'>,
  opts: { claimant: string; source?: string; sinks?: AlarmSink[]; force?: boolean; now?: Date },
): Promise<RefreshResult> {
  const sync = await syncAdvisories(store, opts.source ?? config.risk.advisories ?? defaultAdvisorySource(), {
    now: opts.now,
  });
  if (!sync.updated && !opts.force) return { sync };
  const db = await openAdvisoryDb(store);
  const rematch = await rematchInventories(store, db, {
    minSeverity: config.alarms.minSeverity,
    defaultSeverity: config.risk.defaultSeverity,
    claimant: opts.claimant,
    now: opts.now,
  });
  const delivery = await deliverAlarms(rematch.newAlarms, opts.sinks ?? sinksFromConfig(config.alarms), {
    store,
  });
  return { sync, rematch, delivery };
}
