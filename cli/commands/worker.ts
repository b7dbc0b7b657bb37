import { type Command, Option } from 'commander';
import { BadInputError } from '../../activities/errors';
import { configFrom } from '../context';
import { createWorkers, type Role, ROLES, runWorkers } from '../../workers/create-workers';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a worker against an existing Temporal server for some or all task-queue roles')
    .addOption(
      new Option(
        '--queues <roles>',
        'comma-separated roles: scan (I/O, hosts workflows), infer, train',
      ).default('scan,infer,train'),
    )
    .action(async (opts: { queues: string }, cmd: Command) => {
      const config = configFrom(cmd);
      const roles = opts.queues
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const r of roles) {
        if (!ROLES.includes(r as Role))
          throw new BadInputError(`unknown worker role "${r}"; expected some of ${ROLES.join(', ')}`);
      }
      const { workers, connection } = await createWorkers({ config, roles: roles as Role[] });
      console.log(
        `worker on ${config.temporal.address}, task queues ${roles.map((r) => config.temporal.taskQueues[r as Role]).join(', ')}`,
      );
      await runWorkers(workers);
      await connection.close();
    });
}
