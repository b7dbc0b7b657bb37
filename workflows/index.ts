// The workflow bundle's entry point: every workflow type praxi registers.
export { smoke } from './smoke';
export { scanImage } from './scan-image';
export { scanRegistry } from './scan-registry';
export { refreshAdvisories } from './refresh-advisories';
export { retrain } from './retrain';
export { collectTrainingData } from './collect-training-data';
