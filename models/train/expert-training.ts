import type { ExpertArtifact } from '../expert';
import { packEnsemble } from '../expert';
import type { FeatureEncoding } from '../vectorize';
import { type BoosterParams, type DenseMatrix, XGBoostWasm } from '../xgboost/booster';
import { parseBooster } from '../xgboost/model-format';
import { ensembleFromBooster } from '../xgboost/trees';

/** Everything one expert's training needs, self-contained so it can cross to a worker thread. */
export interface ExpertJob {
  labels: string[];
  /** Package keys (`pypi:rich`) of the labels: each gets a package-level booster too. */
  packages: string[];
  vocabulary: string[];
  encoding: FeatureEncoding;
  /** Rows for the package boosters; the first `versionRows` of them are the version boosters' rows. */
  matrix: DenseMatrix;
  versionRows: number;
  /** Per label (versionRows long), then per package (all rows), 1 for its positive rows. */
  targets: Float32Array[];
  signatures: string[][];
  /** Per package, its core tags (TrainingIndex.packageSignature). */
  packageSignatures: string[][];
  params: BoosterParams;
  positives: number;
  negatives: number;
}

/** Trains one booster per label and turns each into its compact, natively evaluable artifact form. */
export function trainExpert(xgb: XGBoostWasm, job: ExpertJob): ExpertArtifact {
  const t0 = performance.now();
  const names = [...job.labels, ...job.packages];
  const versionMatrix: DenseMatrix =
    job.versionRows === job.matrix.rows
      ? job.matrix
      : {
          rows: job.versionRows,
          cols: job.matrix.cols,
          data: job.matrix.data.subarray(0, job.versionRows * job.matrix.cols),
        };
  const boosters = names.map((label, i) => {
    const x = i < job.labels.length ? versionMatrix : job.matrix;
    const b = xgb.train(x, job.targets[i], job.params);
    let bytes: Buffer;
    try {
      bytes = b.save();
    } finally {
      b.free();
    }
    const ensemble = ensembleFromBooster(parseBooster(bytes));
    const level: 'version' | 'package' = i < job.labels.length ? 'version' : 'package';
    return {
      label,
      level,
      tags: ensemble.features.map((f) => job.vocabulary[f]),
      trees: packEnsemble(ensemble),
      signature: level === 'version' ? job.signatures[i] : job.packageSignatures[i - job.labels.length],
    };
  });
  return {
    schema: 'praxi.expert/v1',
    kind: 'xgboost',
    labels: job.labels,
    vocabulary: job.vocabulary,
    encoding: job.encoding,
    params: { ...job.params },
    boosters,
    training: {
      positives: job.positives,
      negatives: job.negatives,
      ms: Math.round(performance.now() - t0),
    },
  };
}
