import type { Config } from '../../config/schema';
import { syncAdvisories } from '../risk/advisory-db';
import { currentAdvisoryDb } from '../risk/context';
import { defaultAdvisorySource } from '../risk/osv';
import { rematchInventories } from '../risk/refresh';
import type { ObjectStore } from '../store/object-store';
import type { AlarmNotice } from './scan-types';

export interface SyncOutcome {
  source: string;
  digest: string;
  count: number;
  added: number;
  changed: number;
  removed: number;
  updated: boolean;
}

/** Imports the configured advisory source into the store (a no-op when nothing changed). */
export async function syncConfiguredAdvisories(
  store: ObjectStore,
  config: Config,
  source?: string,
): Promise<SyncOutcome> {
  const from = source ?? config.risk.advisories ?? defaultAdvisorySource();
  const r = await syncAdvisories(store, from);
  return {
    source: from,
    digest: r.digest,
    count: r.count,
    added: r.added.length,
    changed: r.changed.length,
    removed: r.removed.length,
    updated: r.updated,
  };
}

export interface RematchOutcome {
  imagesChecked: number;
  matches: number;
  /** New alarms grouped by image, ready for deliverAlarms. */
  newAlarms: Array<{ manifestDigest: string; alarms: AlarmNotice[] }>;
  problems: number;
}

/** Re-matches every stored inventory against the advisory set in force, claiming only alarms never raised. */
export async function rematchStoredInventories(
  store: ObjectStore,
  config: Config,
  claimant: string,
): Promise<RematchOutcome> {
  const db = await currentAdvisoryDb(store, config.risk);
  const r = await rematchInventories(store, db, {
    minSeverity: config.alarms.minSeverity,
    defaultSeverity: config.risk.defaultSeverity,
    claimant,
  });
  const byImage = new Map<string, AlarmNotice[]>();
  for (const a of r.newAlarms) {
    const list = byImage.get(a.imageDigest) ?? [];
    list.push({
      key: a.key,
      advisory: a.advisoryId,
      severity: a.severity,
      kind: a.kind,
      package: `${a.package.ecosystem}:${a.package.name}==${a.package.version}`,
    });
    byImage.set(a.imageDigest, list);
  }
  return {
    imagesChecked: r.imagesChecked,
    matches: r.matches,
    newAlarms: [...byImage].map(([manifestDigest, alarms]) => ({ manifestDigest, alarms })),
    problems: r.problems.length,
  };
}
