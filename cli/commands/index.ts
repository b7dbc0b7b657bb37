import type { Command } from 'commander';
import { registerAdvisories } from './advisories';
import { registerDemo } from './demo';
import { registerDev } from './dev';
import { registerFingerprint } from './fingerprint';
import { registerReport } from './report';
import { registerScan } from './scan';
import { registerSchedule } from './schedule';
import { registerWorker } from './worker';

/** Each command lives in its own module and registers itself here. */
export function registerCommands(program: Command): void {
  registerScan(program);
  registerFingerprint(program);
  registerReport(program);
  registerAdvisories(program);
  registerSchedule(program);
  registerDemo(program);
  registerDev(program);
  registerWorker(program);
}
