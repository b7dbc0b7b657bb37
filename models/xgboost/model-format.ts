import { PraxiError } from '../../activities/errors';

/**
 * Reader for XGBoost 0.7's binary model format (what `XGBoosterSaveModel` writes), enough to evaluate
 * the trees natively. Layout, all little-endian:
 *   LearnerModelParam (136 B): f32 base_score (already a margin), u32 num_feature, i32 num_class,
 *     i32 contain_extra_attrs, i32 contain_eval_metrics, i32 reserved[29]
 *   string objective, string booster name (u64 length + bytes)
 *   GBTreeModelParam (160 B): i32 num_trees, num_roots, num_feature, pad, i64 num_pbuffer,
 *     i32 num_output_group, size_leaf_vector, reserved[32]
 *   per tree: TreeParam (148 B: i32 num_roots, num_nodes, num_deleted, max_depth, num_feature,
 *     size_leaf_vector, reserved[31]); num_nodes × Node (20 B: i32 parent, cleft, cright, u32 sindex
 *     whose top bit is "missing goes left", f32 leaf value or split threshold); num_nodes × stats (16 B)
 *   i32 tree_info[num_trees] (output group of each tree)
 */
export interface ParsedTree {
  /** Per node: left/right child index, -1 at leaves. */
  left: Int32Array;
  right: Int32Array;
  /** Split feature (column index); meaningless at leaves. */
  feature: Int32Array;
  /** Split threshold at inner nodes (go left when value < threshold), leaf value at leaves. */
  value: Float32Array;
  defaultLeft: Uint8Array;
}

export interface ParsedBooster {
  baseMargin: number;
  numFeature: number;
  objective: string;
  trees: ParsedTree[];
}

class Reader {
  private off = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.off + n > this.buf.length)
      throw new PraxiError('MODEL_ERROR', `XGBoost model truncated at byte ${this.off} (needs ${n} more)`);
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.off, true);
    this.off += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.off, true);
    this.off += 4;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.off, true);
    this.off += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.off, true);
    this.off += 8;
    if (v > BigInt(this.buf.length))
      throw new PraxiError('MODEL_ERROR', `implausible length ${v} in XGBoost model`);
    return Number(v);
  }
  skip(n: number): void {
    this.need(n);
    this.off += n;
  }
  str(): string {
    const n = this.u64();
    this.need(n);
    const s = Buffer.from(this.buf.subarray(this.off, this.off + n)).toString('latin1');
    this.off += n;
    return s;
  }
}

export function parseBooster(bytes: Uint8Array): ParsedBooster {
  const r = new Reader(bytes);
  const baseMargin = r.f32();
  const numFeature = r.u32();
  const numClass = r.i32();
  r.skip(4 * 31); // contain_extra_attrs, contain_eval_metrics, reserved[29]
  const objective = r.str();
  const gbm = r.str();
  if (gbm !== 'gbtree') throw new PraxiError('MODEL_ERROR', `unsupported booster ${JSON.stringify(gbm)}`);
  if (numClass > 1)
    throw new PraxiError('MODEL_ERROR', `multi-class boosters are not supported (${numClass})`);
  const numTrees = r.i32();
  const numRoots = r.i32();
  r.skip(4 + 4 + 8); // num_feature, pad, num_pbuffer
  const numGroups = r.i32();
  const leafVector = r.i32();
  r.skip(4 * 32);
  if (numRoots !== 1 || numGroups !== 1 || leafVector !== 0)
    throw new PraxiError(
      'MODEL_ERROR',
      `unsupported tree layout: roots ${numRoots}, output groups ${numGroups}, leaf vectors ${leafVector}`,
    );
  const trees: ParsedTree[] = [];
  for (let t = 0; t < numTrees; t++) {
    r.skip(4); // num_roots
    const n = r.i32();
    r.skip(4 * 4 + 4 * 31); // num_deleted, max_depth, num_feature, size_leaf_vector, reserved
    if (n < 1 || n > 1 << 24) throw new PraxiError('MODEL_ERROR', `implausible tree size ${n}`);
    const tree: ParsedTree = {
      left: new Int32Array(n),
      right: new Int32Array(n),
      feature: new Int32Array(n),
      value: new Float32Array(n),
      defaultLeft: new Uint8Array(n),
    };
    for (let i = 0; i < n; i++) {
      r.skip(4); // parent
      tree.left[i] = r.i32();
      tree.right[i] = r.i32();
      const sindex = r.u32();
      tree.feature[i] = sindex & 0x7fffffff;
      tree.defaultLeft[i] = sindex >>> 31;
      tree.value[i] = r.f32();
    }
    r.skip(16 * n); // node statistics: not needed to predict
    trees.push(tree);
  }
  return { baseMargin, numFeature, objective, trees };
}
