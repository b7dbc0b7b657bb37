import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/temporal';

const { storeRoundTrip } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/** Brings up nothing new: checks that a worker can run an activity against its object store. */
export async function smoke(name: string): Promise<string> {
  const r = await storeRoundTrip(`smoke/${name}.txt`, `hello ${name}`);
  return `${r.readBack} (store ${r.location})`;
}
