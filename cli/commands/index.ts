import type { Command } from 'commander';
import { registerDev } from './dev';
import { registerWorker } from './worker';

/** Each command lives in its own module and registers itself here. */
export function registerCommands(program: Command): void {
  registerDev(program);
  registerWorker(program);
}
