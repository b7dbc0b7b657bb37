import type { Command } from 'commander';
import { openStore } from '../../activities/store';
import { getManifest, listModels, rollback } from '../../models/registry';
import { configFrom } from '../context';
import { installPretrained } from '../pretrained';

export function registerModels(program: Command): void {
  const models = program.command('models').description('model versions in the object store');
  models
    .command('list')
    .description('every stored version, oldest first; * marks the current one')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const store = openStore(configFrom(cmd).store);
      const rows = await listModels(store);
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      if (rows.length === 0)
        return void console.log('no models: `praxi models install-pretrained` or `praxi train full DATA`');
      for (const r of rows)
        console.log(
          `${r.current ? '*' : ' '} ${r.version}\t${r.created}\t${r.labels} labels\t${r.experts} experts${r.parent ? `\tparent ${r.parent}` : ''}`,
        );
    });
  models
    .command('show [version]')
    .description("a version's manifest (default: the current one), including the full label list")
    .option('--json', 'print the manifest as JSON')
    .action(async (version: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const m = await getManifest(openStore(configFrom(cmd).store), version);
      if (opts.json) return void console.log(JSON.stringify(m, null, 2));
      console.log(`version ${m.version}${m.parent ? ` (parent ${m.parent})` : ''}, created ${m.created}`);
      console.log(
        `tokenizer ${m.tokenizer.name}@${m.tokenizer.version}; routing ${m.routing.strategy}, ${m.routing.groupSize} labels per expert`,
      );
      console.log(`${m.labels.length} labels, ${m.experts.length} experts`);
      console.log(m.labels.join('\n'));
    });
  models
    .command('rollback <version>')
    .description('make an existing version current again (inference workers switch on their next scan)')
    .action(async (version: string, _opts, cmd: Command) => {
      await rollback(openStore(configFrom(cmd).store), version);
      console.log(`current model: ${version}`);
    });
  models
    .command('install-pretrained')
    .description(
      'publish the model shipped in models/pretrained into the object store (a no-op when present)',
    )
    .action(async (_opts, cmd: Command) => {
      const r = await installPretrained(openStore(configFrom(cmd).store));
      console.log(r.installed ? `installed ${r.version} and made it current` : r.message);
    });
}
