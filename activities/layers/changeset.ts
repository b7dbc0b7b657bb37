/** What one layer changes, in tar order. Version 1 of this shape; bump `schema` on any change. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface ChangesetEntry {
  /** Normalised: relative, no leading `./` or `/`, no `..` climbing out of the root. */
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  /** Link target for symlinks and hard links (normalised for hard links). */
  linkname?: string;
}

export interface Changeset {
  schema: 'praxi.changeset/v1';
  layerDigest: string;
  mediaType: string;
  entries: ChangesetEntry[];
  /** Paths removed by whiteouts; an opaque directory whiteout is recorded as `DIR/` (everything below it). */
  deletions: string[];
  /** Compressed bytes read from the blob. */
  bytes: number;
}
