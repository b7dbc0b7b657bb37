import type { Command } from 'commander';
import { registerAdvisories } from './advisories';
import { registerCollect } from './collect';
import { registerData } from './data';
import { registerDemo } from './demo';
import { registerDev } from './dev';
import { registerEval } from './eval';
import { registerFingerprint } from './fingerprint';
import { registerModels } from './models';
import { registerReport } from './report';
import { registerScan } from './scan';
import { registerSchedule } from './schedule';
import { registerTrain } from './train';
import { registerWorker } from './worker';

/** Each command lives in its own module and registers itself here. */
export function registerCommands(program: Command): void {
  registerScan(program);
  registerReport(program);
  registerFingerprint(program);
  registerSchedule(program);
  registerAdvisories(program);
  registerModels(program);
  registerTrain(program);
  registerEval(program);
  registerCollect(program);
  registerData(program);
  registerWorker(program);
  registerDev(program);
  registerDemo(program);
}
