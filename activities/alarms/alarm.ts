import type { Ecosystem } from '../../models/label';
import type { Severity } from '../risk/severity';

/**
 * One alarm: an image holds a vulnerable or outdated package. There is one per (image digest,
 * advisory) ever: `key` is that pair, and the store keeps a marker under it (see ./dedupe).
 * Part of the report format `praxi.report/v1` and of the webhook body.
 */
export type AlarmKind = 'vulnerable' | 'outdated';

export interface Alarm {
  /** `<manifest digest>/<advisory id>`: stable across rescans and refreshes; webhook receivers dedupe on it. */
  key: string;
  kind: AlarmKind;
  imageDigest: string;
  /** Repository (`host/name`) the image was scanned from, when known. */
  repository?: string;
  /** An advisory id, or `outdated:ECOSYSTEM:NAME==VERSION` for outdated packages. */
  advisoryId: string;
  aliases?: string[];
  package: {
    ecosystem: Ecosystem;
    name: string;
    version: string;
    layerIndex?: number;
    layerDigest?: string;
    evidence?: 'ml' | 'metadata' | 'both';
    score?: number;
    /** The layer showed the package but not its version: this alarm rests on the model's best guess. */
    versionUncertain?: true;
    /** With versionUncertain: the other versions the layer may hold. */
    alternatives?: string[];
  };
  severity: Severity;
  summary?: string;
  /** Versions that fix it (vulnerable) or the latest known version (outdated). */
  fixed?: string[];
  url?: string;
  raisedAt: string;
}

export function alarmKey(imageDigest: string, advisoryId: string): string {
  return `${imageDigest}/${advisoryId}`;
}

export function outdatedAdvisoryId(ecosystem: Ecosystem, name: string, version: string): string {
  return `outdated:${ecosystem}:${name}==${version}`;
}
