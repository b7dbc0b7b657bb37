import type { Changeset } from '../layers/changeset';
import { BadInputError } from '../errors';
import { NOISE_TAGS, NOISE_TAGS_VERSION } from './noise-tags';
import type { Tagset, TokenizerId } from './tagset';

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

/** Printable ASCII takes the fast path; anything else (rare in paths) is sliced by code point. */
const NOT_PRINTABLE_ASCII = /[^ -~]/;
const PYTHON_VERSIONED_DIR = /^python(\d+)\.\d+$/;

/** Counts of every counted string, and of the distinct one-longer continuations of each. */
class PrefixCounter {
  readonly counts = new Map<string, number>();
  readonly continuations = new Map<string, number>();

  insert(raw: string): void {
    const token = raw.includes(':') || raw.includes('|') ? raw.replace(/[:|]/g, '') : raw;
    if (!NOT_PRINTABLE_ASCII.test(token)) this.insertUnits(token, token.length);
    else this.insertCodePoints(token);
  }

  /** ASCII fast path: one UTF-16 unit per character. */
  private insertUnits(token: string, length: number): void {
    for (let len = length; len >= MIN_TAG_LENGTH; len--) this.add(token.slice(0, len), len);
  }

  /** Python slices by code point; so do we, so a tag never ends in half a surrogate pair. */
  private insertCodePoints(token: string): void {
    const chars = Array.from(token);
    let prefix = token;
    for (let len = chars.length; len >= MIN_TAG_LENGTH; len--) {
      this.add(prefix, len);
      prefix = prefix.slice(0, prefix.length - chars[len - 1].length);
    }
  }

  private add(s: string, lengthInChars: number): void {
    const seen = this.counts.get(s);
    if (seen === undefined) {
      this.counts.set(s, 1);
      // A string seen for the first time is a new distinct continuation of its one-shorter prefix.
      if (lengthInChars > MIN_TAG_LENGTH) {
        const parent = lengthInChars === s.length ? s.slice(0, -1) : dropLastCodePoint(s);
        this.continuations.set(parent, (this.continuations.get(parent) ?? 0) + 1);
      }
    } else {
      this.counts.set(s, seen + 1);
    }
  }
}

function dropLastCodePoint(s: string): string {
  const last = s.codePointAt(s.length - 2);
  return last !== undefined && last > 0xffff ? s.slice(0, -2) : s.slice(0, -1);
}

function* tokensOf(path: string, name: TokenizerName): Generator<string> {
  const parts = path.split('/');
  if (name === 'columbus-praxi') {
    const last = parts[parts.length - 1];
    if (parts.includes('__pycache__') || last.endsWith('.pyc')) return;
  }
  for (const part of parts) {
    if (part === '' || FILTER_PATH_TOKENS.has(part)) continue;
    if (name === 'columbus-praxi') {
      const m = PYTHON_VERSIONED_DIR.exec(part);
      yield m ? `python${m[1]}` : part;
    } else {
      yield part;
    }
  }
}

/** Tags and their counts for a bag of paths. Keys are sorted; the result does not depend on path order. */
export function tokenizePaths(paths: Iterable<string>, opts: TokenizerOptions = {}): Record<string, number> {
  const r = resolve(opts);
  const counter = new PrefixCounter();
  for (const path of paths) for (const token of tokensOf(path, r.name)) counter.insert(token);

  const kept: string[] = [];
  for (const [s, n] of counter.continuations) {
    if (n >= r.threshold && !(r.dropNoise && NOISE_TAGS.has(s))) kept.push(s);
  }
  kept.sort();
  const tags: Record<string, number> = {};
  for (const s of kept) {
    const n = counter.counts.get(s) as number;
    // A path part may be called anything, `__proto__` included: never let one reach the prototype.
    if (s === '__proto__')
      Object.defineProperty(tags, s, { value: n, enumerable: true, writable: true, configurable: true });
    else tags[s] = n;
  }
  return tags;
}

/** The tagset of one layer: the tokenizer over every entry path the layer writes (deletions carry no tags). */
export function tagsetFromChangeset(
  changeset: Pick<Changeset, 'entries'>,
  opts: TokenizerOptions = {},
): Tagset {
  return {
    schema: 'praxi.tagset/v1',
    tokenizer: tokenizerId(opts),
    tags: tokenizePaths(
      (function* () {
        for (const e of changeset.entries) yield e.path;
      })(),
      opts,
    ),
  };
}
