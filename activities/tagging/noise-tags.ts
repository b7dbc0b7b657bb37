import noiseFile from './noise-tags.json';

/**
 * The OS-noise tags: tags the Columbus tokenizer emits on a bare Debian root filesystem, so a
 * package layer's tags that any base system would also produce are dropped. See noise-tags.json
 * (`source`, `method`) for how the list was made and `derive-noise-tags.ts` to remake it.
 *
 * Praxi shipped such a list (about 1,750 tags derived from an Ubuntu 14.04 image's paths, loaded from
 * a pickled `systags` file); it is not in the public repository snapshot we could read, so ours is
 * derived the same way from a Debian bookworm minimal system.
 */
export const NOISE_TAGS: ReadonlySet<string> = new Set(noiseFile.tags);

/** Part of every tokenizer version: bump (in the JSON) whenever the list changes. */
export const NOISE_TAGS_VERSION: string = noiseFile.version;
