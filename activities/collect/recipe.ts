import { createHash } from 'node:crypto';
import type { Changeset } from '../layers/changeset';
import { type Ecosystem, formatLabel, type PackageVersion } from '../../models/label';

/**
 * One unit of collection work. A recipe installs one or more package versions of one ecosystem in
 * one variant (a base image plus an install method), either for real in a container or by the
 * static path (the artifact's file list mapped onto the variant's prefixes). A recipe with no
 * packages and kind `base-layer` records a base image layer as a negative sample (no labels).
 */
export type CollectMethod = 'container' | 'static';

export interface Recipe {
  /** Stable: derived from the other fields, so re-planning gives the same ids and finished work is skipped. */
  id: string;
  kind: 'install' | 'base-layer';
  ecosystem: Ecosystem;
  /** A variant name from variants.ts, e.g. `pypi/venv-opt`. */
  variant: string;
  method: CollectMethod;
  packages: PackageVersion[];
  /**
   * Container recipes only: run on this image instead of the variant's base image (a hand-written
   * recipe on a site base image, or a small test image).
   */
  image?: string;
  /**
   * Container recipes only: run this shell command instead of the variant's install command (software
   * installed by a vendor script or tarball). The packages stay the sample's labels.
   */
  command?: string;
}

/** What a finished recipe gives: the labelled changeset (stored beside it) and what else the install added. */
export interface SampleResult {
  status: 'ok';
  recipe: Recipe;
  labels: string[];
  /** Packages the install brought in besides the requested ones (dependencies), as labels; not training labels. */
  alsoInstalled: string[];
  /** Store key of the gzipped Changeset JSON. */
  changesetKey: string;
  entries: number;
  durationMs: number;
  collectedAt: string;
}

/** A recipe that could not give a sample, with the reason; recorded, never silently dropped. */
export interface Failure {
  status: 'failed';
  recipe: Recipe;
  /** Short class of failure, e.g. `sdist build failed`, `version not found`, `timeout`. */
  reason: string;
  /** Tail of the install log or the error message. */
  detail: string;
  durationMs: number;
  collectedAt: string;
}

export type RecipeOutcome = SampleResult | Failure;

export interface CollectedSample {
  result: SampleResult;
  changeset: Changeset;
}

/** Labels of a recipe's packages, sorted (a multi-label sample's label order carries no meaning). */
export function recipeLabels(packages: PackageVersion[]): string[] {
  return packages.map(formatLabel).sort();
}

export function makeRecipe(r: Omit<Recipe, 'id'>): Recipe {
  const labels = recipeLabels(r.packages);
  // An own image or command makes another recipe; recipes without them keep the ids they always had.
  const own = r.image !== undefined || r.command !== undefined ? [r.image ?? null, r.command ?? null] : [];
  const canonical = JSON.stringify([r.kind, r.ecosystem, r.variant, r.method, labels, ...own]);
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  // Readable prefix for humans browsing the store; the digest makes it unique and safe as a key.
  const hint = (labels[0] ?? r.kind)
    .replace(/^[a-z]+:/, '')
    .replace(/[^A-Za-z0-9._\-+=@]/g, '_')
    .slice(0, 60);
  const id = `${r.variant.replace('/', '-')}-${r.method}-${hint}${labels.length > 1 ? `-plus${labels.length - 1}` : ''}-${digest}`;
  return { id, ...r, packages: [...r.packages] };
}
