import type { Alarm } from '../alarms/alarm';
import type { Ecosystem } from '../../models/label';
import type { Severity } from '../risk/severity';
import type { Finding } from './finding';

/**
 * The report of one image, format `praxi.report/v1` (JSON Schema in ./report-schema). `scan --json`
 * prints a subset of it with the same names: image, manifestDigest, modelVersion, layers (index,
 * digest, findings), alarms, timings. Add optional fields freely; rename or remove only with v2.
 */
export const REPORT_SCHEMA_ID = 'praxi.report/v1';

export interface LayerReport {
  index: number;
  digest: string;
  findings: Finding[];
  /** Why this layer could not be (fully) analysed; the other layers still are. */
  error?: { code: string; message: string };
}

/** Which finding a vulnerability or outdated entry is about. */
export interface FindingRef {
  layerIndex: number;
  ecosystem: Ecosystem;
  name: string;
  version: string;
}

export interface Vulnerability extends FindingRef {
  advisoryId: string;
  aliases: string[];
  severity: Severity;
  /** True when no source rated the advisory and the configured default stands in. */
  severityAssumed?: boolean;
  cvssScore?: number;
  fixed: string[];
  summary?: string;
  url?: string;
  evidence: Finding['evidence'];
}

export interface Outdated extends FindingRef {
  latest: string;
  /** Released versions between this one and the latest, when the index knows them. */
  versionsBehind?: number;
  /** Days between this version's release and the latest's, when both dates are known. */
  daysBehind?: number;
  evidence: Finding['evidence'];
}

export interface Distro {
  id: string;
  versionId?: string;
  codename?: string;
}

export interface ImageReport {
  schema: typeof REPORT_SCHEMA_ID;
  /** The reference as given (`host/repo:tag`, `host/repo@sha256:..`, a docker archive path). */
  image: string;
  repository?: string;
  manifestDigest: string;
  platform?: string;
  /** The distribution release from the image's os-release, when it has one (Debian advisories are per release). */
  distro?: Distro;
  modelVersion: string;
  /** The advisory set matched against, so a refresh can tell what changed since. */
  advisoryDb?: { digest: string; source: string };
  createdAt: string;
  layers: LayerReport[];
  vulnerabilities: Vulnerability[];
  outdated: Outdated[];
  alarms: Alarm[];
  /** Milliseconds per pipeline step (`pull`, `tag`, `infer`, `risk`, ... and `total`). */
  timings: Record<string, number>;
}
