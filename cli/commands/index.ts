import type { Command } from 'commander';
import { registerDemo } from './demo';
import { registerDev } from './dev';
import { registerFingerprint } from './fingerprint';
import { registerScan } from './scan';
import { registerSchedule } from './schedule';
import { registerWorker } from './worker';

/** Each command lives in its own module and registers itself here. */
export function registerCommands(program: Command): void {
  registerScan(program);
  registerFingerprint(program);
  registerSchedule(program);
  registerDemo(program);
  registerDev(program);
  registerWorker(program);
}
