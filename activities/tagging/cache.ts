import { BadInputError, isPraxiError } from '../errors';
import type { Changeset } from '../layers/changeset';
import type { ObjectStore } from '../store/object-store';
import { tagsetFromChangeset, tokenizerId, type TokenizerOptions } from './columbus';
import type { Tagset, TokenizerId } from './tagset';

/** What a fingerprint reports about its layer besides tags; kept so a cache hit can still report it. */
export interface LayerSummary {
  schema: 'praxi.layer-summary/v1';
  layerDigest: string;
  mediaType: string;
  entries: number;
  deletions: number;
  /** Compressed bytes of the blob. */
  bytes: number;
}

export interface Fingerprint {
  tagset: Tagset;
  summary: LayerSummary;
}

const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

function digestPath(layerDigest: string): string {
  const m = DIGEST_RE.exec(layerDigest);
  if (!m) throw new BadInputError(`not a content digest: ${JSON.stringify(layerDigest)}`);
  return `${m[1]}/${m[2]}`;
}

/** `tagsets/<tokenizer>-<version>/<algorithm>/<hex>.json`: a tagset depends on the blob and the tokenizer only. */
export function tagsetKey(tokenizer: TokenizerId, layerDigest: string): string {
  return `tagsets/${tokenizer.name}-${tokenizer.version}/${digestPath(layerDigest)}.json`;
}

/** `layers/<algorithm>/<hex>/summary.json`: independent of the tokenizer, so it survives tokenizer changes. */
export function summaryKey(layerDigest: string): string {
  return `layers/${digestPath(layerDigest)}/summary.json`;
}

export function summarize(changeset: Changeset): LayerSummary {
  return {
    schema: 'praxi.layer-summary/v1',
    layerDigest: changeset.layerDigest,
    mediaType: changeset.mediaType,
    entries: changeset.entries.length,
    deletions: changeset.deletions.length,
    bytes: changeset.bytes,
  };
}

/**
 * Tagsets of layers, kept in an object store by tokenizer and layer digest. A layer blob is
 * immutable, so its tagset under one tokenizer never changes: images that share base layers read
 * each base layer once, ever. Concurrent requests for one digest in this process share one
 * computation.
 */
export class TagsetCache {
  readonly tokenizer: TokenizerId;
  private readonly inflight = new Map<
    string,
    Promise<Fingerprint & { cached: boolean; changeset?: Changeset }>
  >();

  constructor(
    private readonly store: ObjectStore,
    private readonly tokenizerOptions: TokenizerOptions = {},
  ) {
    this.tokenizer = tokenizerId(tokenizerOptions);
  }

  /** The cached fingerprint, or undefined when missing or unreadable (a broken entry is a miss, not an error). */
  async get(layerDigest: string): Promise<Fingerprint | undefined> {
    const [tagset, summary] = await Promise.all([
      this.readJson<Tagset>(tagsetKey(this.tokenizer, layerDigest)),
      this.readJson<LayerSummary>(summaryKey(layerDigest)),
    ]);
    if (
      tagset?.schema !== 'praxi.tagset/v1' ||
      tagset.tokenizer?.name !== this.tokenizer.name ||
      tagset.tokenizer?.version !== this.tokenizer.version ||
      typeof tagset.tags !== 'object' ||
      // Written before layers had size signatures: read the layer again rather than lose them.
      typeof tagset.sizeSignatures !== 'object' ||
      // Or before they had the versions npm's package.json files declare.
      typeof tagset.declaredVersions !== 'object' ||
      summary?.schema !== 'praxi.layer-summary/v1' ||
      summary.layerDigest !== layerDigest
    ) {
      return undefined;
    }
    return { tagset, summary };
  }

  async put(layerDigest: string, fp: Fingerprint): Promise<void> {
    // Summary first: a reader that finds the tagset then finds its summary too.
    await this.store.put(summaryKey(layerDigest), JSON.stringify(fp.summary), {
      contentType: 'application/json',
    });
    await this.store.put(tagsetKey(this.tokenizer, layerDigest), JSON.stringify(fp.tagset), {
      contentType: 'application/json',
    });
  }

  /**
   * The layer's fingerprint from the cache, or from `read` (which reads the layer) and then cached.
   * When computed, the changeset `read` returned comes back too, for callers that want more of it
   * (package records read in the same pass).
   */
  getOrCompute<C extends Changeset>(
    layerDigest: string,
    read: () => Promise<C>,
  ): Promise<Fingerprint & { cached: boolean; changeset?: C }> {
    const running = this.inflight.get(layerDigest);
    if (running) return running.then(({ changeset: _unshared, ...fp }) => ({ ...fp, cached: true }));
    const job = (async () => {
      const hit = await this.get(layerDigest);
      if (hit) return { ...hit, cached: true };
      const changeset = await read();
      if (changeset.layerDigest !== layerDigest) {
        throw new BadInputError(`read layer ${changeset.layerDigest} when asked for ${layerDigest}`);
      }
      const fp: Fingerprint = {
        tagset: tagsetFromChangeset(changeset, this.tokenizerOptions),
        summary: summarize(changeset),
      };
      await this.put(layerDigest, fp);
      return { ...fp, cached: false, changeset };
    })();
    this.inflight.set(layerDigest, job);
    const forget = (): void => {
      this.inflight.delete(layerDigest);
    };
    job.then(forget, forget);
    return job;
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    let body: Buffer;
    try {
      body = await this.store.get(key);
    } catch (e) {
      if (isPraxiError(e) && e.code === 'KEY_NOT_FOUND') return undefined;
      throw e;
    }
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
