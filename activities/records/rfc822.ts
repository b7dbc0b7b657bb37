/**
 * The `Key: value` header format shared by Python core metadata (METADATA, PKG-INFO) and dpkg's
 * status stanzas: continuation lines start with a space or tab; a blank line ends a block.
 */
export function parseHeaderBlocks(
  text: string,
  opts: { firstOnly?: boolean } = {},
): Array<Map<string, string>> {
  const blocks: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let lastKey: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size) {
        blocks.push(current);
        if (opts.firstOnly) return blocks;
      }
      current = new Map();
      lastKey = undefined;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && lastKey) {
      current.set(lastKey, `${current.get(lastKey)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lastKey = line.slice(0, colon).trim().toLowerCase();
    // The first occurrence wins: Python METADATA repeats keys such as Classifier, never Name/Version.
    if (!current.has(lastKey)) current.set(lastKey, line.slice(colon + 1).trim());
  }
  if (current.size) blocks.push(current);
  return blocks;
}
