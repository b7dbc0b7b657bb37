/** How alike two tagsets are: Jaccard of their tag sets, and the count-weighted form (sum of min / sum of max). */
export function jaccard(a: Record<string, number>, b: Record<string, number>): number {
  let inter = 0;
  let union = 0;
  for (const k of Object.keys(a)) {
    union++;
    if (k in b) inter++;
  }
  for (const k of Object.keys(b)) if (!(k in a)) union++;
  return union === 0 ? 1 : inter / union;
}

export function weightedJaccard(a: Record<string, number>, b: Record<string, number>): number {
  let min = 0;
  let max = 0;
  for (const [k, va] of Object.entries(a)) {
    const vb = b[k] ?? 0;
    min += Math.min(va, vb);
    max += Math.max(va, vb);
  }
  for (const [k, vb] of Object.entries(b)) if (!(k in a)) max += vb;
  return max === 0 ? 1 : min / max;
}
