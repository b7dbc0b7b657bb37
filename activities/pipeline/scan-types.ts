/**
 * The small, versioned values that travel through workflow history during a scan. Large things
 * (tagsets, models, reports) stay in the object store; these carry digests, keys and counts.
 */
import type { Finding } from '../reports/finding';
import type { Distro } from '../reports/report';
import type { PackageRecord } from '../records/package-record';

export interface ScanImageInput {
  /** Image reference as the user or the registry poller gave it. */
  reference: string;
  /** Pin a model version; default: the store's current one. */
  modelVersion?: string;
  /** Who started the scan: `cli`, `schedule/<id>`, `scanRegistry/<run>`. */
  trigger?: string;
}

export interface LayerRef {
  index: number;
  digest: string;
  mediaType: string;
  size: number;
}

export interface ResolvedImageSummary {
  reference: string;
  repository: string;
  manifestDigest: string;
  platform: string;
  layers: LayerRef[];
}

/** A package record found in a layer (dist-info, dpkg status, package.json). */
export type RecordEvidence = PackageRecord;

export interface LayerFingerprint {
  index: number;
  digest: string;
  tagsetKey: string;
  entries: number;
  deletions: number;
  bytes: number;
  distinctTags: number;
  records: RecordEvidence[];
  /** The release named by this layer's os-release file (Debian advisories are per release). */
  distro?: Distro;
  cached: boolean;
  seconds: number;
}

export interface LayerError {
  code: string;
  message: string;
}

/** One unit of inference fan-out: some experts of one model applied to one layer's tagset. */
export interface ExpertBatch {
  layerIndex: number;
  tagsetKey: string;
  experts: string[];
}

/** A raw expert output (a booster's margin) that merging can use, before merging (models/merge.ts RawScore). */
export interface ExpertScore {
  /** A label, or a package key (`pypi:requests`) for a package-level booster. */
  label: string;
  level: 'version' | 'package';
  expert: string;
  margin: number;
}

export interface ScanSummary {
  reference: string;
  repository: string;
  manifestDigest: string;
  modelVersion: string;
  reportKey: string;
  layers: number;
  failedLayers: number;
  findings: number;
  vulnerable: number;
  outdated: number;
  alarms: number;
  newAlarms: number;
  seconds: number;
}

export type { Evidence, Finding } from '../reports/finding';

export interface LayerOutcome {
  index: number;
  digest: string;
  /** Absent when the layer could not be read. */
  fingerprint?: LayerFingerprint;
  findings: Finding[];
  error?: LayerError;
}

export interface AlarmNotice {
  /** Store key of the alarm record; delivery reads it from there. */
  key: string;
  advisory: string;
  severity: string;
  kind: 'vulnerable' | 'outdated';
  package: string;
}

export interface RiskOutcome {
  reportKey: string;
  findings: number;
  vulnerable: number;
  outdated: number;
  /** Every alarm this image raises now (new or raised before). */
  alarms: number;
  /** Alarms never raised before for this image digest: the ones to deliver. */
  newAlarms: AlarmNotice[];
}
