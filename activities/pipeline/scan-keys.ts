import { BadInputError } from '../errors';

/**
 * Object store keys of the scan pipeline. Stable: documented in the README ("Store layout").
 *   scans/sha256/<hex>.json            marker: this requested digest (tag target: manifest or index) was scanned
 *   layers/sha256/<hex>/records.json   package records found in a layer (tokenizer-independent)
 */
function hexOf(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new BadInputError(`not a sha256 digest: ${digest}`);
  return m[1];
}

export function scanMarkerKey(digest: string): string {
  return `scans/sha256/${hexOf(digest)}.json`;
}

export function layerRecordsKey(layerDigest: string): string {
  return `layers/sha256/${hexOf(layerDigest)}/records.json`;
}

export interface ScanMarker {
  requestedDigest: string;
  manifestDigest: string;
  reportKey: string;
  reference: string;
  finishedAt: string;
}
