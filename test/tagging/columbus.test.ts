import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  tagsetFromChangeset,
  tokenizePaths,
  tokenizerId,
  type TokenizerOptions,
} from '../../activities/tagging/columbus';
import { NOISE_TAGS } from '../../activities/tagging/noise-tags';
import { type LabelledTags, sharedTags, withoutTags } from '../../activities/tagging/shared-tags';
import { isPraxiError } from '../../activities/errors';

const raw = (threshold: number, extra: TokenizerOptions = {}): TokenizerOptions => ({
  threshold,
  dropNoise: false,
  ...extra,
});

/** Deterministic shuffle (mulberry32), so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('Columbus tokenizer: golden path sets (worked by hand)', () => {
  // Tokens: opt x3, foo x3, foobar, foobaz, food. Counted strings (3+ chars): foo 6, foob 2, fooba 2,
  // foobar 1, foobaz 1, food 1, opt 3. Continuations: foo {foob, food}, foob {fooba}, fooba {foobar, foobaz}.
  const paths = ['opt/foo/foobar', 'opt/foo/foobaz', 'opt/foo/food'];

  it('keeps strings with at least two continuations at threshold 2 (Praxi)', () => {
    assert.deepEqual(tokenizePaths(paths, raw(2)), { foo: 6, fooba: 2 });
  });

  it('keeps strings with at least one continuation at threshold 1 (Praxi-Pipeline)', () => {
    assert.deepEqual(tokenizePaths(paths, raw(1)), { foo: 6, foob: 2, fooba: 2 });
  });

  it('reproduces the shape of a Praxi tagset for an unzip install', () => {
    // Praxi's recorded unzip tagset has `unzip` and `zip` among its tags; the same paths give them here.
    const unzip = [
      'var/lib/dpkg/info/unzip.list',
      'usr/bin/unzip',
      'usr/bin/unzipsfx',
      'usr/bin/zipinfo',
      'usr/bin/zipgrep',
      'usr/bin/funzip',
      'usr/share/doc/unzip/copyright',
      'usr/lib/mime/packages/unzip',
    ];
    // unzip: 5 tokens start with it (unzip.list, unzip x3, unzipsfx); continuations `unzip.` and `unzips`.
    // zip: zipinfo, zipgrep; continuations `zipi`, `zipg`.
    assert.deepEqual(tokenizePaths(unzip, raw(2)), { unzip: 5, zip: 2 });
  });

  it('drops the Unix path parts usr bin lib share ... but only as whole parts', () => {
    // `usr`, `bin` and `share` are dropped; `shared` is a token like any other.
    assert.deepEqual(tokenizePaths(['usr/bin/usr', 'usr/share/shared'], raw(1)), {
      sha: 1,
      shar: 1,
      share: 1,
    });
    for (const part of ['usr', 'bin', 'proc', 'sys', 'etc', 'local', 'src', 'dev', 'home', 'root']) {
      assert.deepEqual(tokenizePaths([`${part}/${part}`, `x/${part}`], raw(1)), {}, part);
    }
    for (const part of ['lib', 'pkg', 'sbin', 'share', 'cache']) {
      assert.deepEqual(tokenizePaths([`${part}/${part}`], raw(1)), {}, part);
    }
  });

  it('never counts strings shorter than three characters', () => {
    // `ab` would have two continuations (abc, abd) if it were counted.
    assert.deepEqual(tokenizePaths(['ab/abc/abd'], raw(1)), {});
    assert.deepEqual(tokenizePaths(['x/abcd/abce'], raw(2)), { abc: 2 });
  });

  it('deletes : and | from tokens, as Praxi did', () => {
    assert.deepEqual(tokenizePaths(['a:bc|d/abce'], raw(2)), { abc: 2 });
  });

  it('counts characters as code points, not UTF-16 units', () => {
    // Three astral characters are a three-character string: it has two continuations.
    const tags = tokenizePaths(['opt/😀😀😀a', 'opt/😀😀😀b'], raw(2));
    assert.deepEqual(tags, { '😀😀😀': 2 });
    assert.deepEqual(tokenizePaths(['x/ñandú', 'x/ñandúes'], raw(1)), {
      ñan: 2,
      ñand: 2,
      ñandú: 2,
      ñandúe: 1,
    });
  });

  it('counts repeated paths every time (a multiset, as Praxi counted)', () => {
    assert.deepEqual(tokenizePaths(['x/abcd', 'x/abcd', 'x/abce'], raw(2)), { abc: 3 });
  });

  it('keeps a tag called __proto__ as data', () => {
    const tags = tokenizePaths(['x/__proto__', 'x/__protoa'], raw(2));
    assert.equal(Object.getPrototypeOf(tags), Object.prototype);
    assert.deepEqual(Object.entries(tags), [['__proto', 2]]);
    const proto = tokenizePaths(['x/__proto__a', 'x/__proto__b'], raw(2));
    assert.deepEqual(Object.entries(proto), [['__proto__', 2]]);
  });
});

describe('Columbus tokenizer: properties', () => {
  const corpus: string[] = [];
  for (let i = 0; i < 400; i++) {
    const pkg = ['numpy', 'numba', 'requests', 'pandas', 'pyyaml'][i % 5];
    corpus.push(`usr/local/lib/python3.11/site-packages/${pkg}/mod${i % 37}.py`);
    corpus.push(`usr/local/lib/python3.11/site-packages/${pkg}-${i % 3}.0.dist-info/RECORD`);
  }

  it('does not depend on path order, not even in key order', () => {
    const base = JSON.stringify(tokenizePaths(corpus));
    for (const seed of [1, 2, 3]) assert.equal(JSON.stringify(tokenizePaths(shuffled(corpus, seed))), base);
    assert.ok(Object.keys(JSON.parse(base)).length > 10);
  });

  it('returns sorted keys', () => {
    const keys = Object.keys(tokenizePaths(shuffled(corpus, 9)));
    assert.deepEqual(keys, keys.slice().sort());
  });

  it('drops OS-noise tags unless told not to', () => {
    assert.ok(NOISE_TAGS.size > 500, 'the noise list is loaded');
    assert.ok(NOISE_TAGS.has('.bash'));
    const paths = ['root/.bashrc', 'root/.bash_history', 'opt/toolx/toolxa', 'opt/toolx/toolxb'];
    assert.equal(tokenizePaths(paths, raw(2))['.bash'], 2);
    const cleaned = tokenizePaths(paths, { threshold: 2 });
    assert.equal(cleaned['.bash'], undefined);
    assert.equal(cleaned.toolx, 4);
  });

  it('columbus-praxi ignores Python byte-code and folds versioned python directories', () => {
    const paths = [
      'usr/lib/python3.11/site-packages/numpy/__pycache__/core.cpython-311.pyc',
      'usr/lib/python3.11/site-packages/numpy/core.py',
      'usr/lib/python3.12/site-packages/numpy/linalg.py',
      'usr/lib/python3.12/site-packages/stray.pyc',
    ];
    const folded = ['python3/site-packages/numpy/core.py', 'python3/site-packages/numpy/linalg.py'];
    const praxi = tokenizePaths(paths, raw(1, { name: 'columbus-praxi' }));
    assert.deepEqual(praxi, tokenizePaths(folded, raw(1)));
    // The reference variant is unchanged: it still sees python3.11 vs python3.12 and the byte-code.
    const reference = tokenizePaths(paths, raw(1));
    assert.equal(reference['python3.1'], 4);
    assert.ok('__pycache' in reference);
    assert.notDeepEqual(praxi, reference);
  });
});

describe('tokenizer ids and tagsets', () => {
  it('names every configuration that changes output differently', () => {
    const ids = [
      tokenizerId(),
      tokenizerId({ threshold: 2 }),
      tokenizerId({ name: 'columbus-praxi' }),
      tokenizerId({ dropNoise: false }),
    ].map((id) => `${id.name}/${id.version}`);
    assert.equal(new Set(ids).size, ids.length, ids.join(' '));
    assert.deepEqual(tokenizerId(), tokenizerId({ name: 'columbus', threshold: 1 }));
    for (const id of ids) assert.match(id, /^[a-z-]+\/[A-Za-z0-9.+-]+$/, 'usable in a store key');
  });

  it('refuses a bad threshold or name with a typed BAD_CONFIG error', () => {
    for (const opts of [{ threshold: 0 }, { threshold: 1.5 }, { name: 'bogus' as never }]) {
      assert.throws(
        () => tokenizePaths(['a/b'], opts),
        (e) => isPraxiError(e) && e.code === 'BAD_CONFIG',
      );
    }
  });

  it('makes a tagset from a changeset, recording the tokenizer', () => {
    const entries = ['opt/foo/', 'opt/foo/foobar', 'opt/foo/foobaz', 'opt/foo/food'].map((path) => ({
      path,
      type: 'file' as const,
      size: 0,
      mode: 0o644,
    }));
    const ts = tagsetFromChangeset({ entries }, { threshold: 2 });
    assert.equal(ts.schema, 'praxi.tagset/v1');
    assert.deepEqual(ts.tokenizer, tokenizerId({ threshold: 2 }));
    assert.deepEqual(
      ts.tags,
      tokenizePaths(
        entries.map((e) => e.path),
        { threshold: 2 },
      ),
    );
    assert.equal(ts.tags.foo, 7);
    assert.equal(ts.tagCount, Object.keys(ts.tags).length);
  });

  it("counts a layer's distinct tags as it makes them, prototype-named parts included", () => {
    const paths = ['opt/__proto__a', 'opt/__proto__b', 'opt/constructor1', 'opt/constructor2'];
    for (let i = 0; i < 300; i++) paths.push(`srv/app${i}/mod${i % 7}/file${i}.js`);
    const ts = tagsetFromChangeset(
      { entries: paths.map((path) => ({ path, type: 'file' as const, size: 1, mode: 0o644 })) },
      raw(2),
    );
    assert.ok(Object.hasOwn(ts.tags, '__proto__'));
    assert.ok(Object.keys(ts.tags).length > 50);
    assert.equal(ts.tagCount, Object.keys(ts.tags).length);
  });
});

describe('shared-tag filter', () => {
  const samples: LabelledTags[] = [
    { tags: { 'site-packages': 1, numpy: 3 }, labels: ['pypi:numpy==1.0'] },
    { tags: { 'site-packages': 1, numpy: 2 }, labels: ['pypi:numpy==2.0'] },
    { tags: { 'site-packages': 1, pandas: 2 }, labels: ['pypi:pandas==2.0'] },
    { tags: { 'site-packages': 1, numpy: 9 } },
  ];

  it('finds tags seen in the data of at least N distinct labels', () => {
    assert.deepEqual([...sharedTags(samples, 3)], ['site-packages']);
    assert.deepEqual([...sharedTags(samples, 2)].sort(), ['numpy', 'site-packages']);
    assert.deepEqual([...sharedTags(samples, 0)], []);
    assert.deepEqual([...sharedTags(samples, 4)], []);
  });

  it('drops them from a tagset', () => {
    assert.deepEqual(withoutTags({ 'site-packages': 1, numpy: 3 }, new Set(['site-packages'])), { numpy: 3 });
  });
});
