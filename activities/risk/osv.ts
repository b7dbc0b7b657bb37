import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import jsYaml from 'js-yaml';
import yauzl from 'yauzl';
import { type Ecosystem, normalizeName } from '../../models/label';
import { BadInputError, CorruptContentError, NotFoundError, TransientError } from '../errors';
import { repoRoot } from '../repo-root';
import type { AffectedPackage, Advisory, RangeEvent, VersionRange } from './advisory';
import { maxSeverity, scoreOfOsvSeverity, type Severity, severityOfScore, severityOfText } from './severity';
import { VERSION_SCHEMES } from './versions';

/**
 * OSV importer. Sources: a directory (searched recursively for `*.json`, `*.yaml`, `*.yml`), a zip (as
 * the OSV project exports one per ecosystem), one file, or an http(s) URL to either. Only the
 * ecosystems praxi predicts are kept (PyPI, npm, Debian:*); withdrawn advisories are dropped.
 */

/** The PyPA advisory database snapshot (CC-BY 4.0, pypa/advisory-database) beside the checkout. */
export function defaultAdvisorySource(): string {
  return path.resolve(repoRoot(), '..', 'shared', 'data', 'pypa-advisory-database');
}

/** A source as it may be logged or stored: URLs lose any user:password and query (tokens live there). */
export function displaySource(source: string): string {
  if (!/^https?:\/\//i.test(source)) return source;
  try {
    const u = new URL(source);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

export const DEFAULT_SOURCE_CREDIT =
  'PyPI advisories: the Python Packaging Authority advisory database (pypa/advisory-database), CC-BY 4.0';

export interface LoadResult {
  advisories: Advisory[];
  /** Files that could not be read as OSV, with why; the rest still load. */
  problems: Array<{ file: string; message: string }>;
  /** Records read but not kept: withdrawn, or no affected package in a supported ecosystem. */
  skipped: number;
  files: number;
}

function ecosystemOf(osv: string): Ecosystem | undefined {
  if (osv === 'PyPI') return 'pypi';
  if (osv === 'npm') return 'npm';
  if (osv === 'Debian' || osv.startsWith('Debian:')) return 'deb';
  return undefined;
}

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

function ratingOf(o: unknown): Severity | undefined {
  return isObj(o) ? severityOfText(o.severity) : undefined;
}

function compileEvents(events: unknown[]): RangeEvent[] {
  const out: RangeEvent[] = [];
  for (const e of events) {
    if (!isObj(e)) continue;
    // YAML turns unquoted `fixed: 1.10` into a number; OSV versions are strings.
    const val = (k: string) => (typeof e[k] === 'number' ? String(e[k]) : str(e[k]));
    const introduced = val('introduced');
    const fixed = val('fixed');
    const lastAffected = val('last_affected');
    const limit = val('limit');
    if (introduced !== undefined) out.push({ introduced });
    else if (fixed !== undefined) out.push({ fixed });
    else if (lastAffected !== undefined) out.push({ last_affected: lastAffected });
    else if (limit !== undefined) out.push({ limit });
  }
  return out;
}

/** Compiles one OSV record; undefined when nothing in it concerns a supported ecosystem. */
export function compileOsv(record: unknown): Advisory | undefined {
  if (!isObj(record) || !str(record.id)) throw new BadInputError('not an OSV record: no "id"');
  if (str(record.withdrawn)) return undefined;
  let severity: Severity | undefined;
  let cvssScore: number | undefined;
  const scoreAll = (entries: unknown) => {
    for (const s of arr(entries)) {
      if (!isObj(s)) continue;
      const score = scoreOfOsvSeverity(s);
      if (score === undefined) continue;
      cvssScore = Math.max(cvssScore ?? 0, score);
      severity = maxSeverity(severity, severityOfScore(score));
    }
  };
  scoreAll(record.severity);
  severity = maxSeverity(severity, ratingOf(record.database_specific));

  const affected: AffectedPackage[] = [];
  for (const a of arr(record.affected)) {
    if (!isObj(a) || !isObj(a.package)) continue;
    const osvEcosystem = str(a.package.ecosystem);
    const name = str(a.package.name);
    const ecosystem = osvEcosystem && ecosystemOf(osvEcosystem);
    if (!ecosystem || !name) continue;
    scoreAll(a.severity);
    const scheme = VERSION_SCHEMES[ecosystem];
    const ranges: VersionRange[] = [];
    for (const r of arr(a.ranges)) {
      if (!isObj(r) || (r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER')) continue;
      const events = compileEvents(arr(r.events));
      if (events.length) ranges.push({ type: r.type, events });
    }
    const versions = arr(a.versions)
      .map((v) => (typeof v === 'number' ? String(v) : str(v)))
      .filter((v): v is string => v !== undefined && scheme.valid(v))
      .map((v) => scheme.canonical(v));
    if (!ranges.length && !versions.length) continue;
    const own = maxSeverity(ratingOf(a.ecosystem_specific), ratingOf(a.database_specific));
    affected.push({
      ecosystem,
      osvEcosystem,
      name: normalizeName(ecosystem, name),
      ranges,
      versions: [...new Set(versions)],
      ...(own ? { severity: own } : {}),
    });
  }
  if (!affected.length) return undefined;

  const refs = arr(record.references).filter(isObj);
  const url = str(refs.find((r) => r.type === 'ADVISORY')?.url) ?? str(refs[0]?.url);
  const details = str(record.details);
  const summary = str(record.summary) ?? (details ? oneLine(details, 200) : undefined);
  return {
    id: record.id as string,
    aliases: arr(record.aliases).filter((x): x is string => typeof x === 'string'),
    ...(summary ? { summary } : {}),
    ...(str(record.published) ? { published: str(record.published) } : {}),
    ...(str(record.modified) ? { modified: str(record.modified) } : {}),
    ...(severity ? { severity } : {}),
    ...(cvssScore !== undefined ? { cvssScore } : {}),
    ...(url ? { url } : {}),
    affected,
  };
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

const OSV_FILE_RE = /\.(json|ya?ml)$/i;

/** Parses one file's text; a JSON array (some exports bundle records) yields several records. */
export function parseOsvText(name: string, text: string): unknown[] {
  // js-yaml rather than `yaml`: eight times faster on the PyPI snapshot (0.7 s against 5.4 s for its
  // 2,661 files). The failsafe schema reads every scalar as a string, so an unquoted `fixed: 1.10`
  // stays the version 1.10 instead of becoming the number 1.1.
  const value: unknown = /\.ya?ml$/i.test(name)
    ? jsYaml.load(text, { schema: jsYaml.FAILSAFE_SCHEMA, filename: name })
    : JSON.parse(text);
  return Array.isArray(value) ? value : [value];
}

class Collector {
  readonly result: LoadResult = { advisories: [], problems: [], skipped: 0, files: 0 };
  private readonly seen = new Map<string, number>();

  add(file: string, text: string): void {
    this.result.files++;
    let records: unknown[];
    try {
      records = parseOsvText(file, text);
    } catch (e) {
      this.result.problems.push({ file, message: `cannot parse: ${(e as Error).message}` });
      return;
    }
    for (const r of records) {
      try {
        const adv = compileOsv(r);
        if (!adv) {
          this.result.skipped++;
          continue;
        }
        // The same id twice (a source holding two snapshots): keep the most recently modified.
        const at = this.seen.get(adv.id);
        if (at === undefined) {
          this.seen.set(adv.id, this.result.advisories.length);
          this.result.advisories.push(adv);
        } else if ((adv.modified ?? '') > (this.result.advisories[at].modified ?? '')) {
          this.result.advisories[at] = adv;
        }
      } catch (e) {
        this.result.problems.push({ file, message: (e as Error).message });
      }
    }
  }
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) await walk(p, out);
    else if (ent.isFile() && OSV_FILE_RE.test(ent.name)) out.push(p);
  }
}

async function loadDirectory(dir: string, c: Collector): Promise<void> {
  const files: string[] = [];
  await walk(dir, files);
  files.sort();
  // A few reads in flight overlap disk latency; parsing stays on this thread.
  const width = 16;
  for (let i = 0; i < files.length; i += width) {
    const batch = files.slice(i, i + width);
    const texts = await Promise.all(batch.map((f) => readFile(f, 'utf8')));
    batch.forEach((f, k) => c.add(path.relative(dir, f), texts[k]));
  }
}

/** Zip entries are read through the central directory (yauzl), one at a time, never the whole archive. */
async function loadZip(file: string, c: Collector): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) =>
      err
        ? reject(
            new CorruptContentError(`${file}: not a readable zip: ${err.message}`, 'CORRUPT_CONTENT', err),
          )
        : resolve(z),
    ),
  );
  await new Promise<void>((resolveAll, rejectAll) => {
    const resolve = resolveAll;
    // Close the file on failure too: autoClose only closes after the last entry.
    const reject = (e: Error) => {
      zip.close();
      rejectAll(e);
    };
    zip.on('error', (e: Error) =>
      reject(new CorruptContentError(`${file}: ${e.message}`, 'CORRUPT_CONTENT', e)),
    );
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/') || !OSV_FILE_RE.test(entry.fileName)) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(new CorruptContentError(`${file}:${entry.fileName}: ${err.message}`));
        const chunks: Buffer[] = [];
        stream.on('data', (d: Buffer) => chunks.push(d));
        stream.on('error', (e) => reject(new CorruptContentError(`${file}:${entry.fileName}: ${e.message}`)));
        stream.on('end', () => {
          c.add(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
}

async function isZip(file: string): Promise<boolean> {
  const fh = createReadStream(file, { start: 0, end: 3 });
  const chunks: Buffer[] = [];
  for await (const ch of fh) chunks.push(ch as Buffer);
  const head = Buffer.concat(chunks);
  return head.length >= 4 && head.readUInt32LE(0) === 0x04034b50;
}

/** Downloads to a temporary file (zips are read from their end, so they need random access). */
async function loadUrl(url: string, c: Collector): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    throw new TransientError(
      `cannot reach advisory source ${displaySource(url)}: ${(e as Error).message}`,
      'NETWORK',
      {
        cause: e,
      },
    );
  }
  if (res.status === 404) throw new NotFoundError(`advisory source ${displaySource(url)} answered 404`);
  if (res.status === 429 || res.status >= 500)
    throw new TransientError(`advisory source ${displaySource(url)} answered ${res.status}`);
  if (!res.ok || !res.body)
    throw new BadInputError(`advisory source ${displaySource(url)} answered ${res.status}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'praxi-osv-'));
  try {
    const file = path.join(dir, 'download');
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      createWriteStream(file),
    );
    await loadFile(file, c, new URL(url).pathname);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function loadFile(file: string, c: Collector, displayName = file): Promise<void> {
  if (await isZip(file)) return loadZip(file, c);
  const name = OSV_FILE_RE.test(displayName) ? displayName : `${displayName}.json`;
  c.add(name, await readFile(file, 'utf8'));
}

/**
 * Reads every OSV record of a source. Per-file problems are collected, not thrown, so one malformed
 * advisory cannot block the rest; a source with no usable advisory at all is an error.
 */
export async function loadAdvisories(source: string = defaultAdvisorySource()): Promise<LoadResult> {
  const c = new Collector();
  if (/^https?:\/\//i.test(source)) {
    await loadUrl(source, c);
  } else {
    const p = path.resolve(source);
    if (!existsSync(p)) {
      throw new NotFoundError(
        p === defaultAdvisorySource()
          ? `the default advisory snapshot is missing at ${p} (shared/data/pypa-advisory-database beside the checkout); ` +
              'set risk.advisories to an OSV directory, zip or URL'
          : `advisory source ${p} does not exist`,
      );
    }
    if ((await stat(p)).isDirectory()) await loadDirectory(p, c);
    else await loadFile(p, c);
  }
  if (!c.result.advisories.length) {
    const why = c.result.problems[0]
      ? ` (first problem: ${c.result.problems[0].file}: ${c.result.problems[0].message})`
      : '';
    throw new BadInputError(
      `advisory source ${displaySource(source)} holds no usable OSV advisory for PyPI, npm or Debian: ${c.result.files} files read${why}`,
    );
  }
  c.result.advisories.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return c.result;
}

/** A content digest of a compiled advisory set: equal sets, equal digests, whatever order they were read in. */
export function advisoriesDigest(advisories: readonly Advisory[]): string {
  const h = createHash('sha256');
  for (const a of [...advisories].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    h.update(JSON.stringify(a));
    h.update('\n');
  }
  return `sha256:${h.digest('hex')}`;
}
