import { BadInputError } from '../errors';
import { getJson, type ObjectStore } from '../store/object-store';
import { toCycloneDx } from './cyclonedx';
import { type Finding, uncertainVersions } from './finding';
import type { Distro, ImageReport } from './report';
import type { Ecosystem } from '../../models/label';

/**
 * Where reports live in the object store (documented in the README; keep stable):
 *   reports/sha256/<hex>/report.json      the ImageReport (praxi.report/v1)
 *   reports/sha256/<hex>/cyclonedx.json   its CycloneDX 1.5 SBOM
 *   inventories/sha256/<hex>.json         what refreshAdvisories re-matches (praxi.inventory/v1)
 *   alarms/sha256/<hex>/<advisory>.json   one marker per alarm ever raised (activities/alarms/dedupe)
 * A rescan of the same digest overwrites its report; reports of other digests are never touched.
 */
export interface ReportKeys {
  report: string;
  cyclonedx: string;
  inventory: string;
  alarmsPrefix: string;
}

export function digestHex(manifestDigest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(manifestDigest);
  if (!m)
    throw new BadInputError(
      `expected a manifest digest sha256:<64 hex digits>, got ${JSON.stringify(manifestDigest)}`,
    );
  return m[1];
}

export function reportKeys(manifestDigest: string): ReportKeys {
  const hex = digestHex(manifestDigest);
  return {
    report: `reports/sha256/${hex}/report.json`,
    cyclonedx: `reports/sha256/${hex}/cyclonedx.json`,
    inventory: `inventories/sha256/${hex}.json`,
    alarmsPrefix: `alarms/sha256/${hex}/`,
  };
}

export const INVENTORY_PREFIX = 'inventories/sha256/';

/** The packages of one scanned image, enough to match advisories again without rescanning. */
export interface Inventory {
  schema: 'praxi.inventory/v1';
  image: string;
  repository?: string;
  manifestDigest: string;
  modelVersion: string;
  createdAt: string;
  distro?: Distro;
  packages: Array<{
    layerIndex: number;
    layerDigest: string;
    ecosystem: Ecosystem;
    name: string;
    version: string;
    sourceName?: string;
    evidence: Finding['evidence'];
    score: number;
    /** The finding's version is the model's guess; these are the other versions it may be. */
    uncertainAlternatives?: string[];
  }>;
}

export function inventoryOf(report: ImageReport): Inventory {
  return {
    schema: 'praxi.inventory/v1',
    image: report.image,
    ...(report.repository ? { repository: report.repository } : {}),
    manifestDigest: report.manifestDigest,
    modelVersion: report.modelVersion,
    createdAt: report.createdAt,
    ...(report.distro ? { distro: report.distro } : {}),
    packages: report.layers.flatMap((l) =>
      l.findings.map((f) => ({
        layerIndex: l.index,
        layerDigest: l.digest,
        ecosystem: f.ecosystem,
        name: f.name,
        version: f.version,
        ...(f.sourceName ? { sourceName: f.sourceName } : {}),
        evidence: f.evidence,
        score: f.score,
        ...(f.versionUncertain ? { uncertainAlternatives: uncertainVersions(f) } : {}),
      })),
    ),
  };
}

/** Writes report, SBOM and inventory; the inventory last, so refresh never sees an image without its report. */
export async function writeReport(store: ObjectStore, report: ImageReport): Promise<ReportKeys> {
  const keys = reportKeys(report.manifestDigest);
  await store.put(keys.report, JSON.stringify(report, null, 2), { contentType: 'application/json' });
  await store.put(keys.cyclonedx, JSON.stringify(toCycloneDx(report), null, 2), {
    contentType: 'application/vnd.cyclonedx+json',
  });
  await store.put(keys.inventory, JSON.stringify(inventoryOf(report)), { contentType: 'application/json' });
  return keys;
}

/** Throws NotFoundError (KEY_NOT_FOUND) when the digest was never reported. */
export async function readReport(store: ObjectStore, manifestDigest: string): Promise<ImageReport> {
  return getJson<ImageReport>(store, reportKeys(manifestDigest).report);
}

export async function readCycloneDx(
  store: ObjectStore,
  manifestDigest: string,
): Promise<Record<string, unknown>> {
  return getJson<Record<string, unknown>>(store, reportKeys(manifestDigest).cyclonedx);
}

export async function listInventoryKeys(store: ObjectStore): Promise<string[]> {
  return (await store.list(INVENTORY_PREFIX)).filter((k) => k.endsWith('.json'));
}
