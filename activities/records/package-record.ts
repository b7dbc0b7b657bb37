import type { Ecosystem } from '../../models/label';

/** One package a package manager says is installed, and the file that says so. */
export interface PackageRecord {
  ecosystem: Ecosystem;
  /** As the record spells it; compare with models/label.ts normalizeName. */
  name: string;
  version: string;
  /** Path inside the layer (relative, no leading slash) of the file the record came from. */
  path: string;
  /** Debian: the source package it was built from (advisories name source packages). */
  sourceName?: string;
}

/**
 * A reader of one kind of package-manager record (as syft's catalogers are): which paths it wants,
 * how many bytes it is willing to read from one, and a parser from those bytes to records. Adding an
 * ecosystem means adding a cataloger, not editing a switch.
 */
export interface Cataloger {
  name: string;
  matches(path: string): boolean;
  /** Files larger than this are not read (they are not what this cataloger expects). */
  maxBytes: number;
  /** Never throws on malformed content: a record it cannot read yields no package. */
  parse(path: string, data: Buffer): PackageRecord[];
}

/** Layer paths arrive normalised (relative, no `./`), but records from other sources might not be. */
export function normalizeLayerPath(p: string): string {
  return p.replace(/^(\.\/|\/)+/, '');
}
