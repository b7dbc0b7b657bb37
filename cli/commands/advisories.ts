import type { Command } from 'commander';
import { parseLabel } from '../../models/label';
import {
  defaultAdvisorySource,
  displaySource,
  matchPackage,
  openAdvisoryDb,
  readPointer,
  refreshAdvisories,
  type RematchResult,
  syncAdvisories,
  type SyncResult,
} from '../../activities/risk';
import { listInventoryKeys } from '../../activities/reports/report-store';
import { openStore } from '../../activities/store';
import { configFrom } from '../context';

/** `praxi advisories sync|status|match`: the advisory database in the object store. */
export function registerAdvisories(program: Command): void {
  const advisories = program
    .command('advisories')
    .description(
      'the OSV advisory database praxi matches findings against (default: the bundled PyPI snapshot)',
    );

  advisories
    .command('sync')
    .description(
      'import OSV advisories (a directory, a zip or an http(s) URL; YAML or JSON) into the store; with --rematch, ' +
        'then match every stored inventory again and raise alarms only for what is new (no image is rescanned)',
    )
    .option('--source <dir|zip|url>', 'OSV source (default: risk.advisories, else the bundled PyPI snapshot)')
    .option(
      '--rematch',
      'match stored inventories against the new set and deliver new alarms to the configured sinks',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { source?: string; rematch?: boolean; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const store = openStore(config.store);
      const source = opts.source ?? config.risk.advisories ?? defaultAdvisorySource();
      let sync: SyncResult;
      let rematch: RematchResult | undefined;
      if (opts.rematch) {
        // Rematch even when the set is unchanged: the user asked, and it finishes deliveries left pending.
        const r = await refreshAdvisories(store, config, { claimant: 'cli-refresh', source, force: true });
        sync = r.sync;
        rematch = r.rematch;
      } else {
        sync = await syncAdvisories(store, source);
      }
      if (opts.json) {
        console.log(
          JSON.stringify(
            { source: displaySource(source), ...sync, ...(rematch ? { rematch } : {}) },
            null,
            2,
          ),
        );
        return;
      }
      console.log(`${sync.count} advisories from ${displaySource(source)} (read in ${sync.loadMs} ms)`);
      console.log(`digest ${sync.digest}${sync.updated ? '' : ' (unchanged)'}`);
      console.log(
        `added ${sync.added.length}, changed ${sync.changed.length}, removed ${sync.removed.length}`,
      );
      if (sync.problems.length) {
        console.log(
          `${sync.problems.length} files could not be read, e.g. ${sync.problems[0].file}: ${sync.problems[0].message}`,
        );
      }
      if (source === defaultAdvisorySource()) {
        console.log('PyPI advisories: Python Packaging Authority advisory database, CC-BY 4.0');
      }
      if (rematch) {
        console.log(
          `re-matched ${rematch.imagesChecked} stored images: ${rematch.matches} vulnerable packages, ${rematch.newAlarms.length} new alarms`,
        );
      }
    });

  advisories
    .command('status')
    .description(
      'which advisory set is in force: digest, count, source, when synced, and how many images it covers',
    )
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const store = openStore(config.store);
      const pointer = await readPointer(store);
      const images = (await listInventoryKeys(store)).length;
      if (opts.json) {
        console.log(
          JSON.stringify({ store: store.location, database: pointer ?? null, inventories: images }, null, 2),
        );
        return;
      }
      if (!pointer) {
        console.log(`no advisory database in ${store.location}: run \`praxi advisories sync\``);
        return;
      }
      console.log(`store      ${store.location}`);
      console.log(`digest     ${pointer.digest}`);
      console.log(`advisories ${pointer.count}`);
      console.log(`source     ${pointer.source}`);
      console.log(`synced     ${pointer.syncedAt}`);
      if (pointer.credit) console.log(`credit     ${pointer.credit}`);
      console.log(`inventories ${images} scanned images can be re-matched without rescanning`);
    });

  advisories
    .command('match <label...>')
    .description(
      'advisories affecting package versions, given as labels: pypi:werkzeug==3.0.0 npm:lodash==4.17.20',
    )
    .option('--json', 'print the hits as JSON')
    .action(async (labels: string[], opts: { json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const db = await openAdvisoryDb(openStore(config.store));
      const results = labels.map((label) => {
        const pkg = parseLabel(label);
        return { label, hits: matchPackage(db, pkg, { defaultSeverity: config.risk.defaultSeverity }) };
      });
      if (opts.json) {
        console.log(JSON.stringify(results, null, 2));
        return;
      }
      for (const { label, hits } of results) {
        console.log(`${label}: ${hits.length ? '' : 'no known advisory'}`);
        for (const h of hits) {
          console.log(
            `  ${h.severity.padEnd(8)} ${h.id}${h.aliases.length ? ` (${h.aliases.join(', ')})` : ''}` +
              `${h.fixed.length ? ` fixed in ${h.fixed.join(', ')}` : ''}${h.summary ? ` — ${h.summary}` : ''}`,
          );
        }
      }
    });
}
