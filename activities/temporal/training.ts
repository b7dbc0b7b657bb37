import { Context } from '@temporalio/activity';
import { currentVersion } from '../../models/registry';
import {
  evaluateVersion,
  labelsOf,
  promoteVersion,
  trainCandidate,
  type CandidateInput,
} from '../pipeline/training';
import type { ActivityDeps } from './deps';

/** Training activities (train queue): CPU-heavy, heartbeating while they work. */
export function createTrainingActivities({ store }: ActivityDeps) {
  const beating = async <T>(work: Promise<T>): Promise<T> => {
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), 5_000);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  };
  return {
    async trainCandidate(input: CandidateInput) {
      return beating(trainCandidate(store, input));
    },
    async evaluateModel(input: { version: string; data: string; onlyLabels?: string[] }) {
      return beating(evaluateVersion(store, input.version, input.data, input.onlyLabels));
    },
    async promoteModel(input: { version: string }) {
      return promoteVersion(store, input.version);
    },
    async modelInfo(input: { version?: string }) {
      const version = input.version ?? (await currentVersion(store));
      return { version, labels: version ? await labelsOf(store, version) : [] };
    },
  };
}
