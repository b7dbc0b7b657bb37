import type { Command } from 'commander';
import { registerDemo } from './demo';
import { registerDev } from './dev';
import { registerWorker } from './worker';

/** Each command lives in its own module and registers itself here. */
export function registerCommands(program: Command): void {
  registerDemo(program);
  registerDev(program);
  registerWorker(program);
}
