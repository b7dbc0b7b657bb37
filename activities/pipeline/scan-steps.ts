import type { Config } from '../../config/schema';
import { loadModel } from '../../models/model';
import { firstLayerOfRecords } from '../records';
import { mergeEvidence, type MlFinding } from '../reports/finding';
import type { ObjectStore } from '../store/object-store';
import { fingerprintLayer, type FingerprintHooks } from './fingerprint';
import type { ImageResolver } from './image-cache';
import { summarize } from './image-cache';
import { mergeLayer, NO_MODEL, resolveModelVersion, runExperts, selectExperts } from './inference';
import { assessAndReport, deliverAlarms } from './assess';
import type { ScanSteps } from '../../workflows/scan-plan';

export interface ScanDeps {
  config: Config;
  store: ObjectStore;
  images: ImageResolver;
}

/**
 * The steps of a scan as plain async functions over one set of dependencies. Temporal activities wrap
 * them (activities/temporal/scan.ts); `praxi scan --local` calls them directly. `hooks()` is asked at
 * the start of each long step for progress reporting and cancellation (an activity's heartbeat).
 */
export function createScanSteps(
  deps: ScanDeps,
  hooks: () => FingerprintHooks = () => ({}),
): Omit<ScanSteps, 'now' | 'describeError' | 'onResolved'> {
  const { store, config } = deps;
  return {
    async resolveImage({ reference }) {
      return summarize(await deps.images.resolve(reference));
    },
    async fingerprintLayer(input) {
      return fingerprintLayer(deps, input, hooks());
    },
    async currentModelVersion({ pinned }) {
      return resolveModelVersion(store, pinned ?? config.model.version);
    },
    async selectExperts({ modelVersion, layers }) {
      return selectExperts(store, modelVersion, layers);
    },
    async runExperts({ modelVersion, batch }) {
      return runExperts(store, modelVersion, batch);
    },
    async mergeFindings({ modelVersion, layers }) {
      const model = modelVersion === NO_MODEL ? undefined : await loadModel(store, modelVersion);
      // dpkg rewrites its whole status file in every layer that installs anything: a record counts only
      // in the lowest layer that shows it.
      const records = firstLayerOfRecords(layers.map((l) => l.records));
      return Promise.all(
        layers.map(async (l, i) => {
          const ml: MlFinding[] = model ? await mergeLayer(store, model, l.tagsetKey, l.scores) : [];
          return { index: l.index, findings: mergeEvidence(ml, records[i]) };
        }),
      );
    },
    async assessAndReport(input) {
      return assessAndReport(deps, input);
    },
    async deliverAlarms(input) {
      return deliverAlarms(deps, input);
    },
  };
}
