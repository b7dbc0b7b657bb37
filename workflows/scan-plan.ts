/**
 * The order of a scan, written once over a set of steps. The scanImage workflow runs it with Temporal
 * activities; `praxi scan --local` runs it with the same functions called in-process. Deterministic:
 * no clocks or I/O of its own, only what the steps give it.
 */
import type {
  ExpertBatch,
  ExpertScore,
  Finding,
  LayerError,
  LayerFingerprint,
  LayerOutcome,
  LayerRef,
  RecordEvidence,
  ResolvedImageSummary,
  RiskOutcome,
  ScanImageInput,
  ScanSummary,
} from '../activities/pipeline/scan-types';

export interface MergeLayerInput {
  index: number;
  digest: string;
  tagsetKey: string;
  scores: ExpertScore[];
  records: RecordEvidence[];
}

export interface ScanSteps {
  resolveImage(input: { reference: string }): Promise<ResolvedImageSummary>;
  fingerprintLayer(input: {
    reference: string;
    manifestDigest: string;
    layer: LayerRef;
  }): Promise<LayerFingerprint>;
  currentModelVersion(input: { pinned?: string }): Promise<string>;
  selectExperts(input: {
    modelVersion: string;
    layers: Array<{ index: number; tagsetKey: string }>;
  }): Promise<ExpertBatch[]>;
  runExperts(input: { modelVersion: string; batch: ExpertBatch }): Promise<ExpertScore[]>;
  mergeFindings(input: {
    modelVersion: string;
    layers: MergeLayerInput[];
  }): Promise<Array<{ index: number; findings: Finding[] }>>;
  assessAndReport(input: {
    image: ResolvedImageSummary;
    modelVersion: string;
    layers: LayerOutcome[];
    timings: Record<string, number>;
    trigger?: string;
  }): Promise<RiskOutcome>;
  deliverAlarms(input: {
    manifestDigest: string;
    alarms: RiskOutcome['newAlarms'];
  }): Promise<{ delivered: number }>;
  now(): number;
  describeError(e: unknown): LayerError;
  onResolved?(image: ResolvedImageSummary): void;
}

export async function runScan(
  steps: ScanSteps,
  input: ScanImageInput,
): Promise<{
  summary: ScanSummary;
  layerErrors: Array<{ index: number; digest: string; error: LayerError }>;
}> {
  const t0 = steps.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number) => (timings[name] = (steps.now() - since) / 1000);

  const image = await steps.resolveImage({ reference: input.reference });
  lap('resolve', t0);
  steps.onResolved?.(image);

  let t = steps.now();
  const settled = await Promise.allSettled(
    image.layers.map((layer) =>
      steps.fingerprintLayer({ reference: image.reference, manifestDigest: image.manifestDigest, layer }),
    ),
  );
  lap('fingerprint', t);
  const outcomes: LayerOutcome[] = image.layers.map((layer, i) => {
    const r = settled[i];
    return r.status === 'fulfilled'
      ? { index: layer.index, digest: layer.digest, fingerprint: r.value, findings: [] }
      : { index: layer.index, digest: layer.digest, findings: [], error: steps.describeError(r.reason) };
  });
  const readable = outcomes.filter((o) => o.fingerprint);

  t = steps.now();
  const modelVersion = await steps.currentModelVersion({ pinned: input.modelVersion });
  const batches = readable.length
    ? await steps.selectExperts({
        modelVersion,
        layers: readable.map((o) => ({ index: o.index, tagsetKey: o.fingerprint!.tagsetKey })),
      })
    : [];
  const batchScores = await Promise.all(batches.map((batch) => steps.runExperts({ modelVersion, batch })));
  lap('inference', t);

  t = steps.now();
  const scoresByLayer = new Map<number, ExpertScore[]>();
  batches.forEach((b, i) =>
    scoresByLayer.set(b.layerIndex, [...(scoresByLayer.get(b.layerIndex) ?? []), ...batchScores[i]]),
  );
  const merged = readable.length
    ? await steps.mergeFindings({
        modelVersion,
        layers: readable.map((o) => ({
          index: o.index,
          digest: o.digest,
          tagsetKey: o.fingerprint!.tagsetKey,
          scores: scoresByLayer.get(o.index) ?? [],
          records: o.fingerprint!.records,
        })),
      })
    : [];
  for (const m of merged) {
    const o = outcomes.find((x) => x.index === m.index);
    if (o) o.findings = m.findings;
  }
  lap('merge', t);

  t = steps.now();
  timings.total = (steps.now() - t0) / 1000;
  const risk = await steps.assessAndReport({
    image,
    modelVersion,
    layers: outcomes,
    timings,
    trigger: input.trigger,
  });
  const delivered = risk.newAlarms.length
    ? await steps.deliverAlarms({ manifestDigest: image.manifestDigest, alarms: risk.newAlarms })
    : { delivered: 0 };
  void delivered;

  const layerErrors = outcomes
    .filter((o) => o.error)
    .map((o) => ({ index: o.index, digest: o.digest, error: o.error! }));
  return {
    layerErrors,
    summary: {
      reference: image.reference,
      repository: image.repository,
      manifestDigest: image.manifestDigest,
      modelVersion,
      reportKey: risk.reportKey,
      layers: image.layers.length,
      failedLayers: layerErrors.length,
      findings: risk.findings,
      vulnerable: risk.vulnerable,
      outdated: risk.outdated,
      alarms: risk.alarms,
      newAlarms: risk.newAlarms.length,
      seconds: (steps.now() - t0) / 1000,
    },
  };
}
