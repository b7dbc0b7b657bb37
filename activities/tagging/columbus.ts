import { declaredVersions, declaredVersionsOf } from './declared-versions';
import type { PackageRecord } from '../records/package-record';
import { sizeSignatures } from './size-signatures';
import type { Changeset } from '../layers/changeset';
import { BadInputError } from '../errors';
import { NOISE_TAGS, NOISE_TAGS_VERSION } from './noise-tags';
import { setTag, type Tagset, type TokenizerId } from './tagset';

/**
 * The Columbus tokenizer (Praxi's feature extractor), reimplemented from the public Praxi code
 * (peaclab/praxi, `columbus/columbus.py` and `columbus/trie.py`):
 *
 * - every path is split on `/`; empty parts and the parts in {@link FILTER_PATH_TOKENS} are dropped;
 * - `:` and `|` are deleted from each remaining token (Praxi did this because it wrote tags as
 *   `tag:count` lines);
 * - the token and each of its prefixes down to {@link MIN_TAG_LENGTH} characters are counted;
 * - a string becomes a tag when it has at least `threshold` distinct one-character-longer
 *   continuations among the counted strings; its value is its count;
 * - tags on the OS-noise list are dropped.
 *
 * The output depends only on the multiset of paths, never on their order, and its keys are sorted.
 *
 * Two variants, selected by name; neither changes the other:
 * - `columbus`: the reference algorithm above, over every entry path of a layer (Praxi-Pipeline fed
 *   it `tarfile.getnames()`, which includes directories).
 * - `columbus-praxi`: praxi's variant. It ignores Python byte-code (`__pycache__` directories, `*.pyc`
 *   files: interpreter-version noise that doubles a package's path count without saying anything
 *   the `.py` files do not) and folds versioned interpreter directories (`python3.11`, `python3.12`)
 *   into `python3`, so a package looks the same whichever base image it was installed on.
 */

export type TokenizerName = 'columbus' | 'columbus-praxi';

export interface TokenizerOptions {
  /** Default `columbus`. */
  name?: TokenizerName;
  /** Minimum distinct one-character-longer continuations for a string to become a tag (Praxi 2, Praxi-Pipeline 1). Default 1. */
  threshold?: number;
  /** Drop the OS-noise tags (default true). Off only for deriving the noise list itself. */
  dropNoise?: boolean;
}

/** Path parts Columbus never tokenizes: directory names every Unix tree has. */
export const FILTER_PATH_TOKENS: ReadonlySet<string> = new Set([
  'usr',
  'bin',
  'proc',
  'sys',
  'etc',
  'local',
  'src',
  'dev',
  'home',
  'root',
  'lib',
  'pkg',
  'sbin',
  'share',
  'cache',
]);

/** Shortest string counted. Praxi's tags are never shorter than three characters. */
export const MIN_TAG_LENGTH = 3;

/**
 * Bump when the algorithm of a variant changes in a way that changes output. The tokenizer version
 * recorded in every tagset (and used in cache keys) combines it with the threshold and the noise list.
 */
const ALGORITHM_VERSION: Record<TokenizerName, string> = { columbus: '1', 'columbus-praxi': '1' };

const DEFAULT_NAME: TokenizerName = 'columbus';
const DEFAULT_THRESHOLD = 1;

interface ResolvedOptions {
  name: TokenizerName;
  threshold: number;
  dropNoise: boolean;
}

function resolve(opts: TokenizerOptions = {}): ResolvedOptions {
  const name = opts.name ?? DEFAULT_NAME;
  if (!(name in ALGORITHM_VERSION)) {
    throw new BadInputError(
      `unknown tokenizer ${JSON.stringify(name)}: expected one of ${Object.keys(ALGORITHM_VERSION).join(', ')}`,
      'BAD_CONFIG',
    );
  }
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new BadInputError(`tokenizer threshold must be a positive integer, got ${threshold}`, 'BAD_CONFIG');
  }
  return { name, threshold, dropNoise: opts.dropNoise ?? true };
}

/**
 * Name and version of a tokenizer configuration. Two configurations with the same id give the same
 * tags for the same paths, so the id is a safe cache key and a model can refuse tagsets made by
 * another tokenizer. Example: `{ name: 'columbus', version: '1-t1-n1' }`.
 */
export function tokenizerId(opts: TokenizerOptions = {}): TokenizerId {
  const r = resolve(opts);
  const noise = r.dropNoise ? `n${NOISE_TAGS_VERSION}` : 'n0';
  return { name: r.name, version: `${ALGORITHM_VERSION[r.name]}-t${r.threshold}-${noise}` };
}

const PYTHON_VERSIONED_DIR = /^python(\d+)\.\d+$/;
const HAS_SEPARATOR_CHARS = /[:|]/g;

/**
 * Collects the tokens of paths, one path at a time, and turns them into tags on demand. Holds one
 * entry per distinct directory and per distinct file name, never per path, so a layer's paths need
 * not be kept for it. Directories are split into tokens once each, not once per file in them:
 * tar order keeps a directory's files together, so most paths cost one map update.
 */
export class PathTokenCounter {
  private readonly opts: ResolvedOptions;
  private readonly praxi: boolean;
  private readonly dirs = new Map<string, number>();
  private readonly names = new Map<string, number>();
  /** The directory of the previous path and how many paths in a row had it. */
  private runDir: string | undefined;
  private runLength = 0;
  private runSkipped = false;

  constructor(opts: TokenizerOptions = {}) {
    this.opts = resolve(opts);
    this.praxi = this.opts.name === 'columbus-praxi';
  }

  addPath(path: string): void {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    if (dir !== this.runDir) {
      this.endRun();
      this.runDir = dir;
      this.runSkipped = this.praxi && dir.split('/').includes('__pycache__');
    }
    if (this.runSkipped) return;
    const name = path.slice(slash + 1);
    if (this.praxi && name.endsWith('.pyc')) return;
    this.runLength++;
    this.names.set(name, (this.names.get(name) ?? 0) + 1);
  }

  tags(): Record<string, number> {
    return this.tagsWithCount().tags;
  }

  /** The tags and how many there are: counting the keys of a 250k-tag object afterwards costs 100 ms. */
  tagsWithCount(): { tags: Record<string, number>; count: number } {
    this.endRun();
    const tokens = new Map<string, number>();
    const add = (part: string, n: number): void => {
      const token = this.token(part);
      if (token !== undefined) tokens.set(token, (tokens.get(token) ?? 0) + n);
    };
    for (const [dir, n] of this.dirs) for (const part of dir.split('/')) add(part, n);
    for (const [name, n] of this.names) add(name, n);
    return countTags(tokens, this.opts);
  }

  private endRun(): void {
    if (this.runDir !== undefined && this.runLength > 0) {
      this.dirs.set(this.runDir, (this.dirs.get(this.runDir) ?? 0) + this.runLength);
    }
    this.runLength = 0;
  }

  /** The token a path part counts as, or undefined when Columbus ignores the part. */
  private token(part: string): string | undefined {
    if (part === '' || FILTER_PATH_TOKENS.has(part)) return undefined;
    if (this.praxi) {
      const m = PYTHON_VERSIONED_DIR.exec(part);
      if (m) part = `python${m[1]}`;
    }
    // Deleted before counting, as Praxi's trie did (it wrote tags as `tag:count` lines).
    if (part.includes(':') || part.includes('|')) part = part.replace(HAS_SEPARATOR_CHARS, '');
    return part;
  }
}

/**
 * The Columbus trie, walked rather than built. Distinct tokens are visited in sorted order, so the
 * tokens below any prefix are contiguous and the trie's nodes can be kept on a stack of the current
 * token's prefixes: a node is complete (its count and its distinct continuations known) when the
 * next token leaves its prefix. Work is linear in the number of trie nodes, with no per-prefix
 * string or map entry: about 30x faster than counting every prefix string in a map, which matters
 * for layers with hundreds of thousands of distinct file names.
 *
 * Depth is in code points (Python slices strings by code point), positions in UTF-16 units.
 */
function countTags(
  tokens: Map<string, number>,
  opts: ResolvedOptions,
): { tags: Record<string, number>; count: number } {
  const sorted = [...tokens.keys()].sort();
  // Per depth d (code points): where the prefix ends in the token, the occurrences below it, and
  // its distinct one-longer continuations. Depth 0 is the empty prefix.
  let end = new Int32Array(64);
  let count = new Float64Array(64);
  let kids = new Int32Array(64);
  // Nodes are numbered in pre-order, which for a trie whose children are visited in code-unit order
  // is sorted order: kept tags are placed by number instead of sorting the strings again.
  let seq = new Float64Array(64);
  let nodes = 0;
  const keptSeq: number[] = [];
  const keptTag: string[] = [];
  const keptCount: number[] = [];
  let top = 0;
  let prev = '';

  const finish = (d: number): void => {
    if (d >= MIN_TAG_LENGTH && kids[d] >= opts.threshold) {
      const tag = prev.slice(0, end[d]);
      if (!(opts.dropNoise && NOISE_TAGS.has(tag))) {
        keptSeq.push(seq[d]);
        keptTag.push(tag);
        keptCount.push(count[d]);
      }
    }
    count[d - 1] += count[d];
  };

  for (const token of sorted) {
    let shared = 0;
    const limit = Math.min(prev.length, token.length);
    while (shared < limit && prev.charCodeAt(shared) === token.charCodeAt(shared)) shared++;
    // A shared high surrogate whose low halves differ is two different characters.
    if (shared > 0 && isHighSurrogate(token.charCodeAt(shared - 1))) shared--;
    while (top > 0 && end[top] > shared) finish(top--);

    if (token.length + 1 > end.length) {
      end = grow(end, token.length + 1);
      count = grow(count, token.length + 1);
      kids = grow(kids, token.length + 1);
      seq = grow(seq, token.length + 1);
    }
    // Sorted and distinct: the token leaves the shared prefix by a character no earlier token used.
    if (shared < token.length && top >= MIN_TAG_LENGTH) kids[top]++;
    let pos = shared;
    while (pos < token.length) {
      pos += isHighSurrogate(token.charCodeAt(pos)) && pos + 1 < token.length ? 2 : 1;
      top++;
      end[top] = pos;
      count[top] = 0;
      kids[top] = pos < token.length && top >= MIN_TAG_LENGTH ? 1 : 0;
      seq[top] = nodes++;
    }
    count[top] += tokens.get(token) as number;
    prev = token;
  }
  while (top > 0) finish(top--);

  const order = new Int32Array(nodes).fill(-1);
  for (let i = 0; i < keptSeq.length; i++) order[keptSeq[i]] = i;
  const tags: Record<string, number> = {};
  for (const i of order) {
    if (i < 0) continue;
    setTag(tags, keptTag[i], keptCount[i]);
  }
  // Each kept tag is a distinct trie node, so a distinct key.
  return { tags, count: keptTag.length };
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function grow<T extends Int32Array | Float64Array>(a: T, min: number): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

/** Tags and their counts for a bag of paths. Keys are sorted; the result does not depend on path order. */
export function tokenizePaths(paths: Iterable<string>, opts: TokenizerOptions = {}): Record<string, number> {
  return tokenizePathsCounted(paths, opts).tags;
}

/** {@link tokenizePaths}, with how many distinct tags it made (Tagset.tagCount). */
export function tokenizePathsCounted(
  paths: Iterable<string>,
  opts: TokenizerOptions = {},
): { tags: Record<string, number>; count: number } {
  const counter = new PathTokenCounter(opts);
  for (const path of paths) counter.addPath(path);
  return counter.tagsWithCount();
}

/**
 * The tagset of one layer: the tokenizer over every entry path the layer writes (deletions carry no tags),
 * with the layer's size signatures and, from the record files the reader kept (`contents`), the npm
 * versions they declare. A caller that has parsed those files into package records already passes
 * them as `records`.
 */
export function tagsetFromChangeset(
  changeset: Pick<Changeset, 'entries'> & { contents?: ReadonlyArray<{ path: string; data: Buffer }> },
  opts: TokenizerOptions = {},
  records?: readonly PackageRecord[],
): Tagset {
  const { tags, count } = tokenizePathsCounted(
    (function* () {
      for (const e of changeset.entries) yield e.path;
    })(),
    opts,
  );
  return {
    schema: 'praxi.tagset/v1',
    tokenizer: tokenizerId(opts),
    tags,
    tagCount: count,
    sizeSignatures: sizeSignatures(changeset.entries),
    declaredVersions: records ? declaredVersionsOf(records) : declaredVersions(changeset.contents ?? []),
  };
}
