// The workflow bundle's entry point: every workflow type praxi registers.
export { smoke } from './smoke';
