import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { defaultAdvisorySource } from '../../activities/risk';

/**
 * Copies the shared OSV snapshot's advisories for these packages (`vulns/PACKAGE/`) into an OSV source
 * directory, so a test syncs a small, known set. Returns the directory.
 */
export function addSnapshotAdvisories(dir: string, ...packages: string[]): string {
  for (const p of packages)
    cpSync(path.join(defaultAdvisorySource(), 'vulns', p), path.join(dir, p), { recursive: true });
  return dir;
}
