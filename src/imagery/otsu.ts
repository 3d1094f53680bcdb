/**
 * Otsu's threshold from a histogram (all it needs, so the image is read once):
 * the bin split that maximises the between-class variance, and how well the
 * histogram separates (the between-class share of the total variance, η ∈ [0, 1]).
 * As scikit-image's `threshold_otsu`: the threshold is the centre of the last
 * bin of the lower class, and values above it are the upper class.
 */
export interface OtsuResult {
  /** Index of the last bin of the lower class. */
  bin: number;
  /** The threshold in index units (that bin's centre). */
  value: number;
  /** Between-class variance ÷ total variance at the threshold (1: two spikes; near 0: one mode). */
  separability: number;
}

export function otsu(counts: ArrayLike<number>, lo: number, hi: number): OtsuResult | null {
  const n = counts.length;
  const width = (hi - lo) / n;
  const centre = (i: number): number => lo + (i + 0.5) * width;
  let total = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const c = counts[i]!;
    total += c;
    sum += c * centre(i);
    sumSq += c * centre(i) * centre(i);
  }
  if (total === 0) return null;
  const mean = sum / total;
  const variance = sumSq / total - mean * mean;
  let w0 = 0;
  let s0 = 0;
  let best = -1;
  let bestBin = -1;
  for (let i = 0; i < n - 1; i++) {
    w0 += counts[i]!;
    s0 += counts[i]! * centre(i);
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = s0 / w0;
    const m1 = (sum - s0) / w1;
    const between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      bestBin = i;
    }
  }
  if (bestBin < 0) return null;
  const separability = variance > 0 ? best / (total * total) / variance : 0;
  return { bin: bestBin, value: centre(bestBin), separability };
}
