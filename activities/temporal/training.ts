import { currentVersion } from '../../models/registry';
import {
  evaluateVersion,
  labelsOf,
  promoteVersion,
  trainCandidate,
  type CandidateInput,
} from '../pipeline/training';
import type { ActivityDeps } from './deps';
import { heartbeatWhile } from './heartbeat';

/** Training activities (train queue): CPU-heavy, heartbeating while they work. */
export function createTrainingActivities({ store }: ActivityDeps) {
  return {
    async trainCandidate(input: CandidateInput) {
      return heartbeatWhile(() => trainCandidate(store, input));
    },
    async evaluateModel(input: { version: string; data: string; onlyLabels?: string[] }) {
      return heartbeatWhile(() => evaluateVersion(store, input.version, input.data, input.onlyLabels));
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
