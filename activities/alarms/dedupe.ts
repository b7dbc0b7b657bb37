import { isPraxiError } from '../errors';
import type { ObjectStore } from '../store/object-store';
import { digestHex } from '../reports/report-store';
import type { Alarm } from './alarm';

/**
 * One alarm per (image digest, advisory), ever. Each alarm has a marker in the store,
 * `alarms/sha256/<image hex>/<advisory id>.json`, created with putIfAbsent: whoever creates it owns
 * the alarm (the "claim"); everyone else sees it exists and stays silent, across rescans, refreshes
 * and concurrent workflows.
 *
 * Delivery is at-least-once, never "once per sink retry": the claim comes first, then each sink's
 * success is written into the marker as it happens (see ./deliver). A retried activity (same
 * claimant) resumes the sinks not yet done; a crash between a sink accepting and its success being
 * written is the one case that delivers twice, so webhook bodies carry the alarm key for receivers to
 * dedupe on. A claim left undelivered by a claimant that vanished is taken over after `staleAfterMs`.
 */
export interface AlarmMarker {
  alarm: Alarm;
  claimant: string;
  claimedAt: string;
  /** Sink name → when it accepted the alarm. */
  delivered: Record<string, string>;
  /** Every sink accepted it. */
  done: boolean;
}

export function markerKey(alarm: Pick<Alarm, 'imageDigest' | 'advisoryId'>): string {
  // Store keys allow [A-Za-z0-9._-+=@:,/]; advisory ids are within that, outdated ids may hold `/` (npm scopes).
  const id = alarm.advisoryId.replace(/[^A-Za-z0-9._\-+=@:,]/g, ',');
  return `alarms/sha256/${digestHex(alarm.imageDigest)}/${id}.json`;
}

export async function readMarker(
  store: ObjectStore,
  alarm: Pick<Alarm, 'imageDigest' | 'advisoryId'>,
): Promise<AlarmMarker | undefined> {
  try {
    return JSON.parse((await store.get(markerKey(alarm))).toString('utf8')) as AlarmMarker;
  } catch (e) {
    if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') return undefined;
    throw e;
  }
}

export async function writeMarker(store: ObjectStore, marker: AlarmMarker): Promise<void> {
  await store.put(markerKey(marker.alarm), JSON.stringify(marker), { contentType: 'application/json' });
}

export interface DedupeOptions {
  /** Who is raising: a workflow id, or `cli`; a retry with the same claimant resumes its own claims. */
  claimant: string;
  staleAfterMs?: number;
  now?: Date;
}

/** The alarms this claimant must deliver: never raised before, or its own unfinished claims. */
export async function dedupeAlarms(
  store: ObjectStore,
  alarms: readonly Alarm[],
  opts: DedupeOptions,
): Promise<Alarm[]> {
  const now = opts.now ?? new Date();
  const staleAfterMs = opts.staleAfterMs ?? 60 * 60 * 1000;
  const out: Alarm[] = [];
  const seen = new Set<string>();
  for (const alarm of alarms) {
    const key = markerKey(alarm);
    if (seen.has(key)) continue;
    seen.add(key);
    const fresh: AlarmMarker = {
      alarm,
      claimant: opts.claimant,
      claimedAt: now.toISOString(),
      delivered: {},
      done: false,
    };
    if (await store.putIfAbsent(key, JSON.stringify(fresh))) {
      out.push(alarm);
      continue;
    }
    const marker = await readMarker(store, alarm);
    if (!marker || marker.done) continue;
    if (marker.claimant === opts.claimant) {
      out.push(marker.alarm);
    } else if (now.getTime() - Date.parse(marker.claimedAt) > staleAfterMs) {
      await writeMarker(store, { ...marker, claimant: opts.claimant, claimedAt: now.toISOString() });
      out.push(marker.alarm);
    }
  }
  return out;
}

/** Every alarm ever raised for one image, from its markers. */
export async function alarmsOfImage(store: ObjectStore, imageDigest: string): Promise<AlarmMarker[]> {
  const keys = await store.list(`alarms/sha256/${digestHex(imageDigest)}/`);
  return Promise.all(keys.map(async (k) => JSON.parse((await store.get(k)).toString('utf8')) as AlarmMarker));
}
