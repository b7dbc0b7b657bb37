import { Command, CommanderError } from 'commander';
import { exitCodeFor, isPraxiError } from '../activities/errors';
import { addGlobalOptions } from './context';
import { registerCommands } from './commands';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../activities/repo-root';

function packageVersion(): string {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).version;
}

export function buildProgram(): Command {
  const program = new Command('praxi')
    .description(
      'Discover the software inside container images from the paths their layers write, and raise alarms ' +
        'on vulnerable or outdated packages. A durable pipeline on Temporal.',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 unexpected failure, 2 bad reference or usage, 3 not found or unauthorized,\n' +
        '4 corrupt or unsupported content.\nConfiguration: see README "Configuration" (file, PRAXI_* environment, flags).',
    );
  addGlobalOptions(program);
  registerCommands(program);
  program.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes get exit code 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isPraxiError(e)) {
      console.error(`praxi: ${e.message}`);
    } else {
      console.error(`praxi: unexpected failure: ${(e as Error)?.stack ?? e}`);
    }
    return exitCodeFor(e);
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
