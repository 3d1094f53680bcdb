/**
 * From imagery to classes: vegetation, bare ground, water and shadow from a
 * drone orthophoto (RGB, JPEG-YCbCr as GDAL decodes it, alpha honoured) or a
 * multispectral scene with near-infrared (blue, green, red, NIR).
 *
 * Rules, in order, per pixel (values as reflectance: DN ÷ `scale`):
 * 1. no data: alpha 0, or a band equal to the image's nodata;
 * 2. water: with NIR, NDWI = (G − NIR)/(G + NIR) > 0 (McFeeters); RGB only, blue
 *    above `waterBlueRatio` × red and above green while the pixel is dark (mean < 0.35);
 * 3. shadow: the mean of the bands below `shadow` (RGB 0.2; with NIR 0.07): not judged,
 *    reported as an area so the reader knows what was not seen;
 * 4. the vegetation index — ExG (2g − r − b on chromatic coordinates), VARI, GLI, NDVI,
 *    SAVI, or with SWIR the bare-soil index negated — above the threshold is vegetation, else bare.
 * Bands come from one image or, as Sentinel-2 delivers them, from separate files sampled onto the finest grid.
 * The threshold is Otsu's on the index histogram of the judged pixels inside the
 * license (plus a buffer), or a fixed value.
 *
 * One read of the image: pass 1 decodes each block row once (the next row decoding
 * on libuv's pool while this one is computed), accumulates the histogram and writes
 * each pixel's index bin (or its water/shadow/no-data code) to a temporary uint8
 * raster; pass 2 maps that raster through the threshold into the classes. Memory
 * holds two block rows of the image.
 */
import { closeSync, openSync, read, readSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createTransform, crsLabel } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { tempPathFor, writeOutput } from '../io/files.js';
import type { License } from '../license/index.js';
import { InflatePool } from '../raster/inflate-pool.js';
import { BYTES_PER_SAMPLE, type RasterBlock, RasterReader } from '../raster/reader.js';
import { schemeSidecar } from '../raster/scheme.js';
import { writeTiledTiff } from '../raster/writer.js';
import { BINS, blockRules, ClassifyKernel, CODE_NODATA, CODE_SHADOW, CODE_WATER, classLut, exgTable, MAX_SPAN, nirShadowSum, type SpanRules } from './classify-kernel.js';
import { otsu } from './otsu.js';

export type IndexMethod = 'exg' | 'vari' | 'gli' | 'ndvi' | 'savi' | 'bsi';
export type BandRole = 'R' | 'G' | 'B' | 'NIR' | 'SWIR' | 'A' | '-';

export interface ClassifyOptions {
  method?: 'auto' | IndexMethod;
  /** 'otsu' (default) or a fixed index value (above it: vegetation). */
  threshold?: 'otsu' | number;
  /** The license(s): Otsu's histogram is taken inside them (plus `bufferM`), and the cover is checked. */
  licenses?: License[];
  bufferM?: number;
  /** Band roles in file order (e.g. ['B', 'G', 'R', 'NIR']), overriding the file's colour interpretation and band names. */
  bands?: BandRole[];
  /** DN per unit reflectance (default: uint8 255, uint16 10 000, float 1). */
  scale?: number;
  /** Mean reflectance below which a pixel is shadow (default RGB 0.2, with NIR 0.07). */
  shadow?: number;
  waterBlueRatio?: number;
  /**
   * Separability (η) below which the histogram is reported as poorly separated (default 0.75: one Gaussian
   * mode gives 2/π ≈ 0.64, a uniform spread 0.75, two modes four standard deviations apart 0.8 and more).
   */
  minSeparability?: number;
}

export { CLASS_CODES } from './classify-kernel.js';

/** The class scheme written beside the output (`<out>.scheme.json`), which coverage, slopes and the audit read. */
export const CLASSIFY_SCHEME = {
  name: 'greenmine classify',
  nodata: 0,
  classes: {
    '1': { name: 'vegetation', group: 'green' },
    '2': { name: 'bare ground', group: 'bare' },
    '3': { name: 'water', group: 'nongreenable' },
    '4': { name: 'shadow (not judged)', group: 'other' },
  },
} as const;

export interface ClassifyReport {
  image: string;
  out: string;
  scheme: string;
  bands: BandRole[];
  method: IndexMethod;
  threshold: { value: number; source: 'otsu' | 'fixed'; binWidth: number };
  /** The index histogram of the judged pixels in the license (plus buffer): `bins` counts from `min` to `max`. */
  histogram: { min: number; max: number; counts: number[] };
  /** Otsu's between-class share of the variance at the threshold (null for a fixed threshold). */
  separability: number | null;
  /** Areas inside the license (planar, in the image's CRS), or over the whole image without a license. */
  areasM2: { green: number; bare: number; water: number; shadow: number; nodata: number };
  /** green ÷ (green + bare) of what was judged. */
  greenRatio: number | null;
  /** Share of the license the image covers with data (1 without a license). */
  coveredShare: number;
  findings: Finding[];
}

const RANGE: Record<IndexMethod, [number, number]> = { exg: [-1, 2], vari: [-1, 1], gli: [-1, 1], ndvi: [-1, 1], savi: [-1.5, 1.5], bsi: [-1, 1] };

const METHOD_CODE: Record<IndexMethod, number> = { exg: 0, ndvi: 1, savi: 2, gli: 3, vari: 4, bsi: 5 };

/** What the per-pixel kernel needs, in one object of fixed shape (numbers and typed arrays only: V8 keeps the loop monomorphic). */
interface Kernel extends SpanRules {
  bands: number;
  band: Uint8Array;
  /** 1 where a pixel counts for the histogram / the areas; all pixels count when `everywhere` is 1 (no license: no masks kept). */
  histMask: Uint8Array;
  insideMask: Uint8Array;
  everywhere: number;
  hist: Float64Array;
  codeCounts: Float64Array;
  /** 0 where the image's internal mask hides the pixel, for the segment being classified (index from its start); null without a mask. */
  pixelMask: Uint8Array | null;
  /** DN → DN ÷ scale for 8- and 16-bit images, else null. */
  norm: Float64Array | null;
}

/**
 * `count` pixels of one block row segment, from sample `s` of `block` (pixel-interleaved) to `k` of the band:
 * the rules in order (no data, water, shadow, index bin), the histogram and the counts. Float operations
 * in the same order as the reference (fixtures/make_imagery.py), so the same pixels fall on the same side.
 */
function kernel(block: RasterBlock, s: number, k: number, count: number, P: Kernel): void {
  const { bands, iR, iG, iB, iN, iA, iS, nodata, hasNodata, scale, shadow, blueRatio, method, lo, hi, binScale, band, histMask, insideMask, hist, codeCounts, norm, pixelMask, everywhere } = P;
  const hasSwir = iS >= 0;
  const hasNir = iN >= 0;
  const hasBlue = iB >= 0;
  for (let end = k + count, j = 0; k < end; k++, s += bands, j++) {
    let code: number;
    const R = block[s + iR]!;
    const G = block[s + iG]!;
    const B = hasBlue ? block[s + iB]! : 0;
    const N = hasNir ? block[s + iN]! : 0;
    const S = hasSwir ? block[s + iS]! : 0;
    if (
      (pixelMask !== null && pixelMask[j] === 0) ||
      (iA >= 0 && block[s + iA] === 0) ||
      (hasNodata === 1 && (R === nodata || G === nodata || (hasBlue && B === nodata) || (hasNir && N === nodata))) ||
      R + G + B + N + S !== R + G + B + N + S
    ) {
      code = CODE_NODATA;
    } else {
      // DN ÷ scale from a table for integer images (the same doubles as the division, without it).
      const r = norm !== null ? norm[R]! : R / scale;
      const g = norm !== null ? norm[G]! : G / scale;
      const b = norm !== null ? norm[B]! : B / scale;
      const n = norm !== null ? norm[N]! : N / scale;
      const mean = hasNir ? (hasBlue ? (b + g + r + n) / 4 : (g + r + n) / 3) : (r + g + b) / 3;
      if (hasNir ? g + n > 0 && g - n > 0 : b > blueRatio * r && b > g && mean < 0.35) code = CODE_WATER;
      else if (mean < shadow) code = CODE_SHADOW;
      else {
        let v: number;
        if (method === 0) {
          const sum = r + g + b;
          v = sum > 0 ? (2 * g - r - b) / sum : 0;
        } else if (method === 1) v = n + r > 0 ? (n - r) / (n + r) : 0;
        else if (method === 2) v = (1.5 * (n - r)) / (n + r + 0.5);
        else if (method === 3) {
          const d = 2 * g + r + b;
          v = d > 0 ? (2 * g - r - b) / d : 0;
        } else if (method === 4) {
          const d = g + r - b;
          v = d !== 0 ? (g - r) / d : 0;
        } else {
          // The bare-soil index, negated (so that above the threshold is vegetation, as for the others).
          const sw = norm !== null ? norm[S]! : S / scale;
          const d = sw + r + (n + b);
          v = d > 0 ? (n + b - (sw + r)) / d : 0;
        }
        // Clamped to the range first (VARI is unbounded), then truncation is floor.
        let bin = v <= lo ? 0 : v >= hi ? BINS - 1 : ((v - lo) * binScale) | 0;
        if (bin >= BINS) bin = BINS - 1;
        code = bin;
        if (everywhere === 1 || histMask[k] === 1) hist[bin]!++;
      }
    }
    band[k] = code;
    if (everywhere === 1 || insideMask[k] === 1) codeCounts[code]!++;
  }
}

/** The kernel for 8-bit RGB with ExG, through `exgTable` (about 2.5 times faster). */
function exgKernel(block: Uint8Array, s: number, k: number, count: number, P: Kernel, table: Uint8Array): void {
  const { bands, iR, iG, iB, iA, nodata, hasNodata, band, histMask, insideMask, hist, codeCounts, pixelMask, blueRatio, everywhere } = P;
  // Water in integers: B > 1.4 R ⟺ 5B > 7R (for the default ratio; other ratios in floating point), mean < 0.35 ⟺ S < 267.75.
  const fiveSevenths = blueRatio === 1.4;
  for (let end = k + count, j = 0; k < end; k++, s += bands, j++) {
    const R = block[s + iR]!;
    const G = block[s + iG]!;
    const B = block[s + iB]!;
    const S = R + G + B;
    let code: number;
    if ((pixelMask !== null && pixelMask[j] === 0) || (iA >= 0 && block[s + iA] === 0) || (hasNodata === 1 && (R === nodata || G === nodata || B === nodata))) code = CODE_NODATA;
    else if (B > G && (fiveSevenths ? 5 * B > 7 * R : B > blueRatio * R) && S * 20 < 5355) code = CODE_WATER;
    else {
      code = table[G * 511 + R + B]!;
      if (code < BINS && (everywhere === 1 || histMask[k] === 1)) hist[code]!++;
    }
    band[k] = code;
    if (everywhere === 1 || insideMask[k] === 1) codeCounts[code]!++;
  }
}

/**
 * NDVI of 8- or 16-bit unsigned samples, decided in integers: with reflectance DN ÷ scale, NDVI = (N − R) ÷
 * (N + R) whatever the scale, so its bin on [−1, 1] in 250 bins is ⌊250·N ÷ (N + R)⌋ exactly (at most 249;
 * 125, NDVI 0, where N + R = 0); water (NDWI = (G − N) ÷ (G + N) above 0) is G > N; shadow is the bands' sum
 * below `nirShadowSum`. The kernel's rules in exact arithmetic where its doubles round (a quotient on a
 * bin's edge may fall a bin lower there); classify.wat's nir_span computes the same codes, sixteen pixels
 * at a time for four 8-bit bands.
 */
function nirKernel(block: Uint8Array | Uint16Array, s: number, k: number, count: number, P: Kernel, shadowSum: number): void {
  const { bands, iR, iG, iB, iN, iA, nodata, hasNodata, band, histMask, insideMask, hist, codeCounts, pixelMask, everywhere } = P;
  const hasBlue = iB >= 0;
  for (let end = k + count, j = 0; k < end; k++, s += bands, j++) {
    const R = block[s + iR]!;
    const G = block[s + iG]!;
    const N = block[s + iN]!;
    const B = hasBlue ? block[s + iB]! : 0;
    let code: number;
    if ((pixelMask !== null && pixelMask[j] === 0) || (iA >= 0 && block[s + iA] === 0) || (hasNodata === 1 && (R === nodata || G === nodata || N === nodata || (hasBlue && B === nodata)))) {
      code = CODE_NODATA;
    } else if (G > N) code = CODE_WATER;
    else if (R + G + B + N < shadowSum) code = CODE_SHADOW;
    else {
      const D = N + R;
      code = D === 0 ? 125 : Math.min(BINS - 1, Math.floor((250 * N) / D));
      if (everywhere === 1 || histMask[k] === 1) hist[code]!++;
    }
    band[k] = code;
    if (everywhere === 1 || insideMask[k] === 1) codeCounts[code]!++;
  }
}

/** Band roles from the file: RGB / YCbCr photometric, alpha extra samples, GDAL band descriptions. */
export function bandRoles(reader: RasterReader, given: BandRole[] | undefined, file: string): BandRole[] {
  const { info } = reader;
  if (given) {
    if (given.length !== info.bands) throw new GreenmineError('CLASSIFY_BANDS', `${file}: --bands names ${given.length} band(s), the image has ${info.bands}`, { file });
    return given;
  }
  const byName = info.bandNames.map((n): BandRole | null => {
    if (!n) return null;
    const s = n.toLowerCase().replace(/[^a-z0-9\u4e00-\u9fff]/g, '');
    if (/^(red|r|b4|b04|红|红光)$/.test(s)) return 'R';
    if (/^(green|g|b3|b03|绿|绿光)$/.test(s)) return 'G';
    if (/^(blue|b|b2|b02|蓝|蓝光)$/.test(s)) return 'B';
    if (/^(nir|nearinfrared|b8|b08|b8a|近红外)$/.test(s)) return 'NIR';
    if (/^(swir|swir1|b11|短波红外)$/.test(s)) return 'SWIR';
    if (/^(alpha|a|mask)$/.test(s)) return 'A';
    return null;
  });
  if (byName.every((r) => r !== null)) return byName as BandRole[];
  if ((info.photometric === 2 || info.photometric === 6) && info.bands >= 3) {
    return ['R', 'G', 'B', ...info.extraSamples.map((e): BandRole => (e === 1 || e === 2 ? 'A' : '-'))].slice(0, info.bands) as BandRole[];
  }
  throw new GreenmineError('CLASSIFY_BANDS', `${file}: cannot tell which band is which (${info.bands} band(s), no RGB colour interpretation or band names); give the order, e.g. --bands B,G,R,NIR for Gaofen-1/2 scenes`, { file });
}

/** Per row of the image, the column intervals of pixel centres inside the licenses, dilated by `bufferPx` (a square). */
function regionRows(reader: RasterReader, licenses: License[], bufferPx: number): RowSpans {
  const { info } = reader;
  const t = info.transform;
  const start = new Int32Array(info.height + 1);
  const data: number[] = [];
  const edges: Array<[number, number, number, number]> = [];
  for (const license of licenses) {
    const toImage = createTransform(license.crs, info.crs);
    for (const block of license.blocks) {
      for (const ring of block.rings) {
        const pts: number[] = [];
        const p: [number, number] = [0, 0];
        for (let i = 0; i < ring.length; i += 2) {
          toImage.point(ring[i]!, ring[i + 1]!, p);
          pts.push((p[0] - t[0]) / t[1], (p[1] - t[3]) / t[5]);
        }
        for (let i = 0; i + 3 < pts.length; i += 2) edges.push([pts[i]!, pts[i + 1]!, pts[i + 2]!, pts[i + 3]!]);
      }
    }
  }
  // Edges by the first row whose centre they may cross (a row early, to be safe from rounding), active until
  // a row past their last: a row tests its few edges, not all (30 000 rows × every edge of the license before).
  // An edge above the image, or not a number, is tested from row 0 (the sort stays consistent).
  const firstRow = (e: [number, number, number, number]): number => {
    const r = Math.floor(Math.min(e[1], e[3]) - 0.5) - 1;
    // biome-ignore lint/complexity/useMathMinMax: NaN must become 0 (Math.max(NaN, 0) is NaN)
    return r >= 0 ? r : 0;
  };
  edges.sort((e, f) => firstRow(e) - firstRow(f));
  let next = 0;
  let active: Array<[number, number, number, number]> = [];
  const xs: number[] = [];
  for (let r = 0; r < info.height; r++) {
    start[r] = data.length;
    const y = r + 0.5;
    xs.length = 0;
    while (next < edges.length && firstRow(edges[next]!) <= r) active.push(edges[next++]!);
    if (active.some((e) => Math.max(e[1], e[3]) + 1 < y)) active = active.filter((e) => Math.max(e[1], e[3]) + 1 >= y);
    for (const [x0, y0, x1, y1] of active) {
      if ((y0 <= y && y1 > y) || (y1 <= y && y0 > y)) xs.push(x0 + ((y - y0) / (y1 - y0)) * (x1 - x0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const a = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const b = Math.min(info.width, Math.floor(xs[k + 1]! - 0.5) + 1);
      if (b > a) data.push(a, b);
    }
  }
  start[info.height] = data.length;
  const rows = { start, data: Int32Array.from(data) };
  return bufferPx > 0 ? dilateRows(rows, bufferPx, info.width) : rows;
}

/** Spans of columns per image row, compact: row r's are data[start[r]] … data[start[r + 1] − 1], as a, b, a, b, … (from a to b − 1). */
export interface RowSpans {
  start: Int32Array;
  data: Int32Array;
}

/** Two sorted lists of disjoint spans [a, b, a, b, …] as one (touching spans joined). */
function unionSpans(x: number[], y: number[]): number[] {
  if (x.length === 0) return y;
  if (y.length === 0) return x;
  const out: number[] = [];
  for (let i = 0, j = 0; i < x.length || j < y.length; ) {
    let a: number, b: number;
    if (j >= y.length || (i < x.length && x[i]! <= y[j]!)) {
      a = x[i]!;
      b = x[i + 1]!;
      i += 2;
    } else {
      a = y[j]!;
      b = y[j + 1]!;
      j += 2;
    }
    if (out.length && a <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, b);
    else out.push(a, b);
  }
  return out;
}

/**
 * Row spans dilated by a square of side 2·`px` + 1: each row's spans widened by `px` (within [0, width)),
 * then each row the union of the rows within `px` of it — by van Herk and Gil-Werman's blocks of 2·px + 1
 * rows (a running union from each block's start and from its end: three unions a row whatever `px`, and
 * two blocks' unions held at a time; gathering the window's spans for every row was 1.1 s and 30 MB of
 * garbage for a 50 m buffer at 0.1 m).
 */
export function dilateRows(rows: RowSpans, px: number, width: number): RowSpans {
  const n = rows.start.length - 1;
  const widened = (q: number): number[] => {
    const out: number[] = [];
    for (let k = rows.start[q]!; k < rows.start[q + 1]!; k += 2) {
      const a = Math.max(0, rows.data[k]! - px);
      const b = Math.min(width, rows.data[k + 1]! + px);
      if (out.length && a <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, b);
      else out.push(a, b);
    }
    return out;
  };
  const size = 2 * px + 1;
  // The running unions of one block from its start (for the windows' last rows) and from its end (their first rows).
  let fromStartBlock = -1;
  let fromStart: number[][] = [];
  let fromEndBlock = -1;
  let fromEnd: number[][] = [];
  const start = new Int32Array(n + 1);
  const data: number[] = [];
  for (let r = 0; r < n; r++) {
    start[r] = data.length;
    const lo = Math.max(0, r - px);
    const hi = Math.min(n - 1, r + px);
    const blockLo = Math.floor(lo / size);
    const blockHi = Math.floor(hi / size);
    if (blockHi !== fromStartBlock) {
      fromStartBlock = blockHi;
      fromStart = [];
      let acc: number[] = [];
      for (let q = blockHi * size; q < Math.min(n, (blockHi + 1) * size); q++) fromStart.push((acc = unionSpans(acc, widened(q))));
    }
    let spans: number[];
    if (lo === blockLo * size && blockLo === blockHi) spans = fromStart[hi - blockHi * size]!;
    else {
      if (blockLo !== fromEndBlock) {
        fromEndBlock = blockLo;
        const end = Math.min(n, (blockLo + 1) * size);
        fromEnd = new Array(end - blockLo * size);
        let acc: number[] = [];
        for (let q = end - 1; q >= blockLo * size; q--) fromEnd[q - blockLo * size] = acc = unionSpans(acc, widened(q));
      }
      // Two blocks; or one the window does not start, which it then ends (the last rows of the raster).
      spans = blockLo !== blockHi ? unionSpans(fromEnd[lo - blockLo * size]!, fromStart[hi - blockHi * size]!) : fromEnd[lo - blockLo * size]!;
    }
    for (const v of spans) data.push(v);
  }
  start[n] = data.length;
  return { start, data: Int32Array.from(data) };
}

/**
 * The runs of columns [lo, hi) of one image row that count: in the license (`inside` spans; `which` 0) and
 * in the histogram's region around it only (`hist` spans, which hold the license's; `which` 1).
 */
function licenseRuns(lo: number, hi: number, inside: RowSpans, hist: RowSpans, row: number, fn: (a: number, b: number, which: 0 | 1) => void): void {
  const { data: id } = inside;
  const i0 = inside.start[row]!;
  const i1 = inside.start[row + 1]!;
  for (let k = i0; k < i1; k += 2) {
    const a = Math.max(lo, id[k]!);
    const b = Math.min(hi, id[k + 1]!);
    if (b > a) fn(a, b, 0);
  }
  if (hist === inside) return;
  const { data: hd } = hist;
  for (let k = hist.start[row]!; k < hist.start[row + 1]!; k += 2) {
    const a = Math.max(lo, hd[k]!);
    const b = Math.min(hi, hd[k + 1]!);
    if (b <= a) continue;
    // [a, b) without the license's spans.
    let x = a;
    for (let j = i0; j < i1 && x < b; j += 2) {
      const s0 = id[j]!;
      const s1 = id[j + 1]!;
      if (s1 <= x || s0 >= b) continue;
      if (s0 > x) fn(x, s0, 1);
      x = Math.max(x, s1);
    }
    if (x < b) fn(x, b, 1);
  }
}

/** Whether rows y0 … y1 − 1 of `spans` cover columns [a, b) wholly (2), not at all (0), or in part (1). */
function spansCover(spans: RowSpans, y0: number, y1: number, a: number, b: number): 0 | 1 | 2 {
  let whole = true;
  let none = true;
  for (let y = y0; y < y1 && (whole || none); y++) {
    let rowWhole = false;
    for (let k = spans.start[y]!; k < spans.start[y + 1]!; k += 2) {
      const s0 = spans.data[k]!;
      const s1 = spans.data[k + 1]!;
      if (s1 <= a || s0 >= b) continue;
      none = false;
      if (s0 <= a && s1 >= b) rowWhole = true;
    }
    if (!rowWhole) whole = false;
  }
  return whole ? 2 : none ? 0 : 1;
}

/** Mark the spans of image row `row` in a 0/1 mask row. */
function markRow(mask: Uint8Array, spans: RowSpans, row: number, offset: number): void {
  for (let k = spans.start[row]!; k < spans.start[row + 1]!; k += 2) mask.fill(1, offset + spans.data[k]!, offset + spans.data[k + 1]!);
}

export async function classifyImagery(image: string | string[], outPath: string, options: ClassifyOptions = {}): Promise<ClassifyReport> {
  const files = typeof image === 'string' ? [image] : image;
  if (files.length === 0) throw new GreenmineError('USAGE', 'classifyImagery: no image given');
  const stack = files.length > 1 ? await BandStack.open(files, options.bands) : null;
  const imagePath = files.length > 1 ? files.join(' + ') : files[0]!;
  const reader = stack ? stack.reference : await RasterReader.open(files[0]!);
  // An internal mask is honoured here (readMaskBlock): the reader's "ignored" warning does not apply.
  const findings: Finding[] = reader.info.findings.filter((f) => !(f.code === 'RASTER_MASK_IGNORED' && reader.mask));
  try {
    const { info } = reader;
    const roles = stack ? stack.roles : bandRoles(reader, options.bands, imagePath);
    const at = (role: BandRole): number => roles.indexOf(role);
    const [iR, iG, iB, iN, iA, iS] = [at('R'), at('G'), at('B'), at('NIR'), at('A'), at('SWIR')];
    if (iR < 0 || iG < 0) {
      throw new GreenmineError('CLASSIFY_NOT_RGB', `${imagePath}: the image has no ${iR < 0 ? 'red' : 'green'} band (${info.bands} band(s): ${roles.join(',')}); a vegetation index needs red and green (and blue or NIR)`, {
        file: imagePath,
      });
    }
    const hasNir = iN >= 0;
    const method: IndexMethod = !options.method || options.method === 'auto' ? (hasNir ? 'ndvi' : 'exg') : options.method;
    if ((method === 'ndvi' || method === 'savi') && !hasNir)
      throw new GreenmineError('CLASSIFY_NO_NIR', `${imagePath}: ${method.toUpperCase()} needs a near-infrared band; this image has ${roles.join(',')} (use exg, vari or gli, or name the bands with --bands)`, { file: imagePath });
    if (method === 'bsi' && (iS < 0 || !hasNir || iB < 0)) throw new GreenmineError('CLASSIFY_NO_NIR', `${imagePath}: the bare-soil index needs SWIR, NIR, red and blue bands; this image has ${roles.join(',')}`, { file: imagePath });
    if ((method === 'exg' || method === 'vari' || method === 'gli') && iB < 0) throw new GreenmineError('CLASSIFY_NOT_RGB', `${imagePath}: ${method.toUpperCase()} needs a blue band; this image has ${roles.join(',')}`, { file: imagePath });
    if (info.dataType.startsWith('float') && options.scale === undefined && !hasNir) {
      throw new GreenmineError('CLASSIFY_NOT_RGB', `${imagePath}: a ${info.dataType} image given as RGB; RGB orthophotos are 8- or 16-bit (give --scale to read floats as reflectance)`, { file: imagePath });
    }
    const scale = options.scale ?? (info.dataType === 'uint8' ? 255 : info.dataType === 'uint16' ? 10000 : 1);
    const shadowLevel = options.shadow ?? (hasNir ? 0.07 : 0.2);
    const blueRatio = options.waterBlueRatio ?? 1.4;
    const [lo, hi] = RANGE[method];
    const binScale = BINS / (hi - lo);
    if (info.crs.epsg === null)
      throw new GreenmineError('CLASSIFY_GRID', `${imagePath}: the image's CRS (${info.crs.name}) has no EPSG code; the classes raster is written with one (reproject: gdalwarp -t_srs EPSG:4549)`, { file: imagePath });
    if (Math.abs(Math.abs(info.transform[1]) - Math.abs(info.transform[5])) > 1e-9 * Math.abs(info.transform[1])) {
      throw new GreenmineError('CLASSIFY_GRID', `${imagePath}: pixels are not square (${info.transform[1]} × ${-info.transform[5]}); resample first (gdalwarp -tr)`, { file: imagePath });
    }
    const pixelM2 = Math.abs(info.transform[1] * info.transform[5]);
    const licenses = options.licenses ?? [];
    const bufferPx = Math.ceil((options.bufferM ?? 0) / Math.abs(info.transform[1]));
    // The license's rows (and the histogram's, with the buffer): made once the first blocks are decoding (below).
    let histRows: RowSpans | null = null;
    let insideRows: RowSpans | null = null;

    const { width, height, blockWidth, blockHeight } = info;
    const bands = stack ? roles.length : info.bands;
    const tile = info.tiled && blockWidth === blockHeight ? blockWidth : 256;
    const hist = new Float64Array(BINS);
    const codeCounts = new Float64Array(256); // per code, inside the license (whole image without one)
    const tilesAcross = Math.ceil(width / tile);
    const nodata = info.nodata;
    const blockBytes = blockWidth * blockHeight * bands * BYTES_PER_SAMPLE[info.dataType];
    // 8-bit RGB with ExG (orthophotos): the table kernel. A single image is classified in WebAssembly where
    // it runs (classify.wat: the index tiles and the block in its memory), else in JavaScript
    // (exgKernel, kernel); separate band files (their rows resampled here) in JavaScript.
    const rgbLut = !stack && info.dataType === 'uint8' && method === 'exg' && !hasNir && iB >= 0 && scale === 255 ? exgTable({ shadow: shadowLevel, lo, hi, binScale }) : null;
    // NDVI of 8- and 16-bit images in integers (nirKernel).
    const nirInt = !stack && method === 'ndvi' && hasNir && (info.dataType === 'uint8' || info.dataType === 'uint16') && Number.isFinite(scale) && scale > 0;
    const nirShadow = nirInt ? nirShadowSum(shadowLevel, scale, iB >= 0 ? 4 : 3, info.dataType === 'uint8' ? 255 : 65535) : 0;
    const norm = info.dataType === 'uint8' || info.dataType === 'uint16' ? Float64Array.from({ length: info.dataType === 'uint8' ? 256 : 65536 }, (_, v) => v / scale) : null;
    // Where the inflate pool runs, pass 2 runs on it (below) and pass 1 needs one band slot: the temporary
    // raster's row is written before the next is classified (15 MiB less at 30 000 px wide).
    const pool = InflatePool.shared();
    const fast = stack ? null : ClassifyKernel.create({ width, tile, blockBytes, blockPixels: blockWidth * blockHeight, table: rgbLut, norm: rgbLut || nirInt ? null : norm, nir: nirInt, slots: pool ? 1 : 2 });
    const band = new Uint8Array(fast ? 0 : width * tile);
    // The JavaScript kernels' masks, only with a license (30 MB at 30 000 pixels wide otherwise spent on ones);
    // the WebAssembly kernel counts by the license's runs instead.
    const histMask = new Uint8Array(licenses.length && !fast ? width * tile : 0);
    const insideMask = new Uint8Array(licenses.length && !fast ? width * tile : 0);
    // Blocks of the image in file order, a window of them decoding ahead on libuv's threads while the kernel
    // runs: about 24 MiB in flight (whole block rows ahead were 92 MiB for a 30 000-pixel-wide orthophoto).
    const ahead = Math.max(4, Math.floor((24 << 20) / blockBytes));
    const across = reader.blocksAcross;
    const totalBlocks = across * reader.blocksDown;
    const inFlight = new Map<number, Promise<RasterBlock>>();
    let nextToStart = 0;
    /** Block (bx, by), starting the decodes of the blocks after it; `last` lets it go (its last row is being classified). */
    const windowBlockAt = (bx: number, by: number, last: boolean): Promise<RasterBlock> => {
      const index = by * across + bx;
      nextToStart = Math.max(nextToStart, index);
      for (; nextToStart < totalBlocks && nextToStart <= index + ahead; nextToStart++) {
        if (inFlight.has(nextToStart)) continue;
        const p = reader.readBlockAll(nextToStart % across, Math.floor(nextToStart / across));
        p.catch(() => undefined);
        inFlight.set(nextToStart, p);
      }
      let p = inFlight.get(index);
      if (!p) {
        p = reader.readBlockAll(bx, by);
        if (!last) inFlight.set(index, p);
      } else if (last) inFlight.delete(index);
      return p;
    };
    // A big DEFLATE image whose bands lie together (a 4-band scene) is inflated by the pool's workers instead,
    // in runs of blocks of about 8 MiB, the same 24 MiB ahead: the main thread then only classifies (zlib's
    // callbacks, a stream per block and the garbage of its buffers were a quarter of its time).
    const runBlocks = Math.max(1, Math.min(across, Math.floor((4 << 20) / blockBytes)));
    const runsPerRow = Math.ceil(across / runBlocks);
    const totalRuns = runsPerRow * reader.blocksDown;
    // A fast kernel's blocks are classified by the workers that inflate them (see workerRules below) and come back
    // as codes, a byte a pixel: 12 MiB of them ahead (a write of the temporary raster's band here then no longer
    // leaves the workers idle).
    const inWorkers = fast !== null && (rgbLut !== null || nirInt) && !reader.mask && reader.poolAll !== null;
    const runsAhead = Math.max(1, Math.ceil(Math.max(4, Math.floor((12 << 20) / (inWorkers ? blockWidth * blockHeight : blockBytes))) / runBlocks));
    const runs = new Map<number, Promise<RasterBlock[]>>();
    let nextRun = 0;
    const readRun = (id: number): Promise<RasterBlock[]> => {
      const first = (id % runsPerRow) * runBlocks;
      const by = Math.floor(id / runsPerRow);
      const last = Math.min(across, first + runBlocks) - 1;
      const p = workerRules ? reader.readBlocksClassifiedPooled(by, first, last, workerRules) : reader.readBlocksAllPooled(by, first, last);
      p.catch(() => undefined);
      return p;
    };
    const pooledBlockAt = async (bx: number, by: number, last: boolean): Promise<RasterBlock> => {
      const id = by * runsPerRow + Math.floor(bx / runBlocks);
      nextRun = Math.max(nextRun, id);
      for (; nextRun < totalRuns && nextRun <= id + runsAhead; nextRun++) if (!runs.has(nextRun)) runs.set(nextRun, readRun(nextRun));
      let p = runs.get(id);
      if (!p) runs.set(id, (p = readRun(id)));
      const first = Math.floor(bx / runBlocks) * runBlocks;
      if (last && bx === Math.min(across, first + runBlocks) - 1) runs.delete(id);
      return (await p)[bx - first]!;
    };
    const blockAt = !stack && reader.poolAll ? pooledBlockAt : windowBlockAt;
    const stackRows = stack ? new Float64Array(width * tile * bands) : new Float64Array(0);
    const maskRow = new Uint8Array(blockWidth);
    const K: Kernel = {
      bands,
      iR,
      iG,
      iB,
      iN,
      iA,
      iS,
      nodata: nodata ?? Number.NaN,
      hasNodata: nodata !== null ? 1 : 0,
      scale,
      shadow: shadowLevel,
      blueRatio,
      method: METHOD_CODE[method],
      lo,
      hi,
      binScale,
      band,
      histMask,
      insideMask,
      everywhere: licenses.length ? 0 : 1,
      hist,
      codeCounts,
      pixelMask: null,
      norm,
    };
    // A fast kernel's rules for whole blocks: with them (no internal mask), the pool's workers classify each
    // block as they inflate it and the blocks come back as codes, a quarter of a 4-band block's bytes (the
    // samples are in the worker's cache then; here they were copied in from memory).
    const workerRules = fast && inWorkers ? blockRules(rgbLut ? 'exg' : 'nir', K, bands, BYTES_PER_SAMPLE[info.dataType]) : null;
    // The license's runs of a band row counted into the slot (one function for every row: no closure per call).
    let countSlot: 0 | 1 = 0;
    let countAt = 0;
    const countRun = (a: number, b: number, which: 0 | 1): void => fast!.count(countSlot, countAt, a, b, which);
    if (licenses.length) {
      // The first blocks start decoding (on the pool or libuv's threads) while the license is rasterised.
      if (!stack) blockAt(0, 0, false).catch(() => undefined);
      histRows = regionRows(reader, licenses, bufferPx);
      insideRows = bufferPx > 0 ? regionRows(reader, licenses, 0) : histRows;
    }
    const temp = tempPathFor(join(dirname(outPath), 'classify-index.tif'));
    const spec = {
      width,
      height,
      tileSize: tile,
      type: 'uint8' as const,
      deflate: true,
      level: 1,
      originX: info.transform[0],
      originY: info.transform[3],
      pixelSize: Math.abs(info.transform[1]),
      epsg: info.crs.epsg,
      geographic: info.crs.geographic,
    };
    try {
      const index = await writeTiledTiff(
        temp,
        // The temporary index raster is written uncompressed: its bins are noise to DEFLATE, and it is read once.
        { ...spec, deflate: false, nodata: String(CODE_NODATA) },
        (tx, _ty, out) => {
          const o = out as Uint8Array;
          const x0 = tx * tile;
          const w = Math.min(tile, width - x0);
          if (w < tile) o.fill(CODE_NODATA);
          for (let r = 0, src = x0, dst = 0; r < tile; r++, src += width, dst += tile) o.set(band.subarray(src, src + w), dst);
        },
        async (ty) => {
          const y0 = ty * tile;
          const rowsHere = Math.min(tile, height - y0);
          const slot = (fast ? ty % fast.slots : 0) as 0 | 1;
          countSlot = slot;
          if (fast) fast.clearSlot(slot, CODE_NODATA, rowsHere);
          else band.fill(CODE_NODATA);
          if (!fast) {
            histMask.fill(0);
            insideMask.fill(0);
            for (let r = 0; r < rowsHere; r++) {
              if (histRows) markRow(histMask, histRows, y0 + r, r * width);
              if (insideRows) markRow(insideMask, insideRows, y0 + r, r * width);
            }
          }
          const firstBy = Math.floor(y0 / blockHeight);
          const lastBy = Math.floor((y0 + rowsHere - 1) / blockHeight);
          if (stack) {
            // Separate band files: their rows sampled onto this image's grid, interleaved, then the same kernel.
            await stack.fill(y0, rowsHere, stackRows);
            for (let r = 0; r < rowsHere; r++) kernel(stackRows, r * width * bands, r * width, width, K);
            return;
          }
          for (let by = firstBy; by <= lastBy; by++) {
            const rFrom = Math.max(y0, by * blockHeight);
            const rTo = Math.min(y0 + rowsHere, (by + 1) * blockHeight, height);
            const lastRows = rTo === Math.min((by + 1) * blockHeight, height);
            for (let bx = 0; bx < across; bx++) {
              const block = await blockAt(bx, by, lastRows);
              const mask = reader.mask ? await reader.readMaskBlock(bx, by) : null;
              const cFrom = bx * blockWidth;
              const cTo = Math.min(width, cFrom + blockWidth);
              if (fast && workerRules) {
                // Codes (see workerRules): a block that is a whole tile of this band goes in as it is; else row by row.
                const codes = block as Uint8Array;
                const rows = rTo - rFrom;
                if (blockWidth === tile && cTo - cFrom === tile && rFrom === y0 && rFrom === by * blockHeight) {
                  fast.placeTile(codes, rows, bx, slot);
                  // A tile wholly inside the license is counted at once; one outside the histogram's area not at all
                  // (the area holds the license); else by the runs of each row.
                  const cover = histRows && insideRows ? spansCover(insideRows, rFrom, rTo, cFrom, cTo) : 2;
                  if (cover === 2) fast.countTile(slot, bx, rows, 0);
                  else if (cover === 1 || spansCover(histRows!, rFrom, rTo, cFrom, cTo) !== 0)
                    for (let y = rFrom; y < rTo; y++) {
                      countAt = y - y0;
                      licenseRuns(cFrom, cTo, insideRows!, histRows!, y, countRun);
                    }
                  continue;
                }
                fast.loadCodes(codes);
                for (let y = rFrom; y < rTo; y++) {
                  const p = (y - by * blockHeight) * blockWidth - cFrom;
                  for (let c = cFrom; c < cTo; ) {
                    const end = Math.min(cTo, (Math.floor(c / tile) + 1) * tile);
                    fast.placeCodes(p + c, end - c, y - y0, c, slot);
                    if (!histRows || !insideRows) fast.count(slot, y - y0, c, end, 0);
                    else {
                      countAt = y - y0;
                      licenseRuns(c, end, insideRows, histRows, y, countRun);
                    }
                    c = end;
                  }
                }
                continue;
              }
              if (fast) {
                // Each row of the block, cut at the tiles' edges (and in runs of at most 512), into the slot's tiles.
                fast.loadBlock(block, mask);
                for (let y = rFrom; y < rTo; y++) {
                  const p = (y - by * blockHeight) * blockWidth - cFrom;
                  for (let c = cFrom; c < cTo; ) {
                    const end = Math.min(cTo, (Math.floor(c / tile) + 1) * tile, c + MAX_SPAN);
                    fast.span(p + c, end - c, y - y0, c, slot, bands, K, mask !== null);
                    if (!histRows || !insideRows) fast.count(slot, y - y0, c, end, 0);
                    else {
                      countAt = y - y0;
                      licenseRuns(c, end, insideRows, histRows, y, countRun);
                    }
                    c = end;
                  }
                }
                continue;
              }
              for (let y = rFrom; y < rTo; y++) {
                if (mask) {
                  // Masked pixels (GDAL internal mask 0): no data, whatever their colour.
                  const mo = (y - by * blockHeight) * blockWidth;
                  for (let x = 0; x < cTo - cFrom; x++) maskRow[x] = mask[mo + x]!;
                  K.pixelMask = maskRow;
                } else K.pixelMask = null;
                if (rgbLut) exgKernel(block as Uint8Array, (y - by * blockHeight) * blockWidth * bands, (y - y0) * width + cFrom, cTo - cFrom, K, rgbLut);
                else if (nirInt) nirKernel(block as Uint8Array | Uint16Array, (y - by * blockHeight) * blockWidth * bands, (y - y0) * width + cFrom, cTo - cFrom, K, nirShadow);
                else kernel(block, (y - by * blockHeight) * blockWidth * bands, (y - y0) * width + cFrom, cTo - cFrom, K);
              }
            }
          }
          fast?.takeCounts(codeCounts, hist, BINS);
        },
        // The kernel's index tiles go to the file as they are.
        fast ? (tx, ty) => fast.tileOf((ty % fast.slots) as 0 | 1, tx) : undefined,
      );

      if (licenses.length) {
        let withData = 0;
        for (let c = 0; c < 256; c++) if (c !== CODE_NODATA) withData += codeCounts[c]!;
        if (withData === 0) throw new GreenmineError('CLASSIFY_NO_OVERLAP', `${imagePath}: the image does not cover the license (no pixel with data inside it)`, { file: imagePath });
      }
      // The threshold: Otsu on the histogram, or fixed.
      const binWidth = (hi - lo) / BINS;
      let thresholdBin: number;
      let thresholdValue: number;
      let separability: number | null = null;
      if (options.threshold === undefined || options.threshold === 'otsu') {
        const o = otsu(hist, lo, hi);
        if (!o) throw new GreenmineError('CLASSIFY_NOTHING_TO_JUDGE', `${imagePath}: no pixel to judge ${licenses.length ? 'inside the license' : 'in the image'} (all no data, water or shadow)`, { file: imagePath });
        thresholdBin = o.bin;
        thresholdValue = o.value;
        separability = o.separability;
        if (o.separability < (options.minSeparability ?? 0.75)) {
          findings.push({
            code: 'CLASSIFY_LOW_SEPARABILITY',
            severity: 'warning',
            message: `${imagePath}: the ${method.toUpperCase()} histogram separates poorly (η = ${o.separability.toFixed(2)}): vegetation and bare ground are not two clear modes; check the classes, or give a fixed --threshold`,
            where: { file: imagePath },
          });
        }
      } else {
        thresholdValue = options.threshold;
        // A bin is vegetation when its lower edge is at or above the value (bins above the threshold's bin).
        thresholdBin = Math.min(BINS - 1, Math.max(-1, Math.floor((options.threshold - lo) * binScale)));
      }
      const lut = classLut(thresholdBin + 1);

      // Pass 2: the index raster through the threshold. It is ours, uncompressed, at the offsets the writer
      // returned, a tile row's tiles one after another: a row is one read into a buffer reused (no reader,
      // no allocation per tile).
      const fd = openSync(temp, 'r');
      const tileBytes = tile * tile;
      const rowBytes = tilesAcross * tileBytes;
      const tilesDown = Math.ceil(height / tile);
      const short = (ty: number): GreenmineError => new GreenmineError('FILE_WRITE', `${temp}: the temporary index raster is short at tile row ${ty} (was the disk full?)`, { file: temp });
      /** Where tile row ty of the index raster starts in the file (its tiles checked to lie together, whole). */
      const rowAt = (ty: number): number => {
        const first = ty * tilesAcross;
        for (let tx = 0; tx < tilesAcross; tx++) {
          if (index.counts[first + tx] !== tileBytes || index.offsets[first + tx] !== index.offsets[first]! + tx * tileBytes) throw short(ty);
        }
        return index.offsets[first]!;
      };
      // With WebAssembly, the next row is read into the kernel's other slot on libuv's threads while this
      // one is mapped in place (sixteen codes at a time) and its class tiles are coded for the writer.
      let nextRow = null as Promise<void> | null;
      const readRow = (ty: number, into: Uint8Array): Promise<void> =>
        new Promise((resolve, reject) => {
          read(fd, into, 0, rowBytes, rowAt(ty), (err, bytes) => (err || bytes !== rowBytes ? reject(short(ty)) : resolve()));
        });
      /** The tiles mapped and coded on this thread. */
      const codeHere = async (): Promise<void> => {
        // Without it, a buffer of ours mapped two bytes at a time (a 128 KB table, in the core's cache: half the lookups).
        const rowBuffer = fast ? new Uint8Array(0) : new Uint8Array(rowBytes);
        const lut2 = fast ? null : new Uint16Array(65536);
        if (lut2) for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) lut2[a | (b << 8)] = lut[a]! | (lut[b]! << 8);
        const rowWords = new Uint16Array(rowBuffer.buffer, rowBuffer.byteOffset, rowBuffer.length >> 1);
        const little = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
        if (fast) nextRow = readRow(0, fast.indexRow(0));
        await writeTiledTiff(
          outPath,
          { ...spec, strategy: 'runs' as const, nodata: '0' },
          (tx, _ty, out) => {
            const o = out as Uint8Array;
            if (lut2 && little && tileBytes % 2 === 0 && o.byteOffset % 2 === 0) {
              const words = new Uint16Array(o.buffer, o.byteOffset, tileBytes >> 1);
              for (let i = 0, j = (tx * tileBytes) >> 1; i < words.length; i++, j++) words[i] = lut2[rowWords[j]!]!;
            } else for (let i = 0, j = tx * tileBytes; i < tileBytes; i++, j++) o[i] = lut[rowBuffer[j]!]!;
          },
          async (ty) => {
            if (!fast) {
              if (readSync(fd, rowBuffer, 0, rowBytes, rowAt(ty)) !== rowBytes) throw short(ty);
              return;
            }
            const slot = (ty % 2) as 0 | 1;
            await nextRow;
            nextRow = ty + 1 < tilesDown ? readRow(ty + 1, fast.indexRow(((ty + 1) % 2) as 0 | 1)) : null;
            // A failed read is awaited (and thrown) at the next row, or in the finally below.
            nextRow?.catch(() => undefined);
            fast.classes(slot, thresholdBin + 1);
          },
          fast ? (tx, ty) => fast.tileOf((ty % 2) as 0 | 1, tx) : undefined,
        );
      };
      // Where the inflate pool runs, its workers map the tiles and code them (a job about 2 MiB of the file,
      // two bands ahead); this thread only writes them. Else here, as follows.
      const coded = new Map<number, Promise<Uint8Array[]>>();
      try {
        if (pool) {
          const perJob = Math.max(1, Math.floor((2 << 20) / tileBytes));
          const codeRow = (ty: number): Promise<Uint8Array[]> => {
            const at = rowAt(ty);
            const parts: Array<Promise<Uint8Array[]>> = [];
            for (let t = 0; t < tilesAcross; t += perJob) {
              parts.push(pool.classTiles({ file: temp, offset: at + t * tileBytes, tiles: Math.min(perJob, tilesAcross - t), tileBytes, firstGreen: thresholdBin + 1 }));
            }
            const row = Promise.all(parts).then(
              (p) => p.flat(),
              (err: unknown) => {
                if (err instanceof GreenmineError) throw err;
                throw short(ty);
              },
            );
            row.catch(() => undefined);
            return row;
          };
          await writeTiledTiff(
            outPath,
            { ...spec, strategy: 'runs' as const, nodata: '0' },
            () => undefined,
            (ty) => {
              for (let k = ty; k < Math.min(tilesDown, ty + 3); k++) if (!coded.has(k)) coded.set(k, codeRow(k));
              const row = coded.get(ty)!;
              coded.delete(ty);
              return row;
            },
          );
        } else await codeHere();
      } finally {
        // No read may be left writing into the kernel's memory, or on a closed descriptor; no job running on the file.
        await nextRow?.catch(() => undefined);
        await Promise.allSettled(coded.values());
        closeSync(fd);
        pool?.release(temp);
      }
      // Areas inside the license, cover, scheme beside the output.
      let green = 0;
      let bare = 0;
      for (let c = 0; c < BINS; c++) {
        if (c > thresholdBin) green += codeCounts[c]!;
        else bare += codeCounts[c]!;
      }
      const areasM2 = { green: green * pixelM2, bare: bare * pixelM2, water: codeCounts[CODE_WATER]! * pixelM2, shadow: codeCounts[CODE_SHADOW]! * pixelM2, nodata: codeCounts[CODE_NODATA]! * pixelM2 };
      let coveredShare = 1;
      if (licenses.length) {
        const licenseM2 = licenses.reduce((s, l) => s + licenseAreaInImage(l, reader), 0);
        const withData = (green + bare + codeCounts[CODE_WATER]! + codeCounts[CODE_SHADOW]!) * pixelM2;
        coveredShare = licenseM2 > 0 ? Math.min(1, withData / licenseM2) : 0;
        if (coveredShare < 0.999) {
          findings.push({ code: 'CLASSIFY_PARTIAL_COVER', severity: 'warning', message: `${imagePath}: the image covers ${(coveredShare * 100).toFixed(1)} % of the license with data; the rest is not judged`, where: { file: imagePath } });
        }
      }
      const schemePath = schemePathFor(outPath);
      writeOutput(schemePath, `${JSON.stringify({ ...CLASSIFY_SCHEME, name: `greenmine classify (${method.toUpperCase()}, threshold ${thresholdValue.toFixed(4)})` }, null, 2)}\n`, [imagePath], 'class scheme');
      const judged = green + bare;
      return {
        image: imagePath,
        out: outPath,
        scheme: schemePath,
        bands: roles,
        method,
        threshold: { value: thresholdValue, source: options.threshold === undefined || options.threshold === 'otsu' ? 'otsu' : 'fixed', binWidth },
        histogram: { min: lo, max: hi, counts: Array.from(hist) },
        separability,
        areasM2,
        greenRatio: judged > 0 ? green / judged : null,
        coveredShare,
        findings,
      };
    } finally {
      rmSync(temp, { force: true });
    }
  } finally {
    if (stack) await stack.close();
    else await reader.close();
  }
}

/** A role from a band file's name (Sentinel-2: T50RQU_…_B04_10m.jp2 → R) or GDAL description, or null. */
function roleOfName(name: string): BandRole | null {
  const s = name.toLowerCase();
  if (/(^|[^a-z0-9])b0?4([^0-9]|$)|red|红/.test(s)) return 'R';
  if (/(^|[^a-z0-9])b0?3([^0-9]|$)|green|绿/.test(s)) return 'G';
  if (/(^|[^a-z0-9])b0?2([^0-9]|$)|blue|蓝/.test(s)) return 'B';
  if (/(^|[^a-z0-9])b0?8a?([^0-9]|$)|nir|近红外/.test(s)) return 'NIR';
  if (/(^|[^a-z0-9])b1[12]([^0-9]|$)|swir|短波红外/.test(s)) return 'SWIR';
  return null;
}

/**
 * Bands as separate files (Sentinel-2's B02/B03/B04/B08 at 10 m, B11 at 20 m): one band each, roles from
 * --bands in file order or from the file names, sampled (nearest) onto the finest grid among them, which the
 * classes are written in. The files must share a CRS and overlap.
 */
class BandStack {
  private constructor(
    readonly readers: RasterReader[],
    readonly roles: BandRole[],
    readonly reference: RasterReader,
    private readonly colMaps: Int32Array[],
    private readonly rowMaps: Int32Array[],
  ) {}

  static async open(files: string[], given: BandRole[] | undefined): Promise<BandStack> {
    const readers: RasterReader[] = [];
    try {
      for (const f of files) readers.push(await RasterReader.open(f));
      if (given && given.length !== files.length) throw new GreenmineError('CLASSIFY_BANDS', `--bands names ${given.length} band(s) for ${files.length} band files`, { file: files[0] });
      const roles = files.map((f, i) => {
        const role = given?.[i] ?? roleOfName(basename(f)) ?? (readers[i]!.info.bandNames[0] ? roleOfName(readers[i]!.info.bandNames[0]!) : null);
        if (!role) throw new GreenmineError('CLASSIFY_BANDS', `${f}: which band is this (red, green, blue, NIR, SWIR)? Its name says nothing (Sentinel-2 names end in B04, B08…); give --bands in file order`, { file: f });
        return role;
      });
      const reference = readers.reduce((best, r) => (Math.abs(r.info.transform[1]) < Math.abs(best.info.transform[1]) ? r : best));
      const ref = reference.info;
      const colMaps: Int32Array[] = [];
      const rowMaps: Int32Array[] = [];
      for (const [i, r] of readers.entries()) {
        if (crsLabel(r.info.crs) !== crsLabel(ref.crs) || r.info.crs.proj4 !== ref.crs.proj4) {
          throw new GreenmineError('CLASSIFY_GRID', `${files[i]}: its CRS (${crsLabel(r.info.crs)}) differs from ${ref.file}'s (${crsLabel(ref.crs)}); band files must share one (gdalwarp -t_srs)`, { file: files[i] });
        }
        const t = r.info.transform;
        const cols = new Int32Array(ref.width);
        const rows = new Int32Array(ref.height);
        let anyCol = false;
        let anyRow = false;
        for (let c = 0; c < ref.width; c++) {
          const col = Math.floor((ref.transform[0] + (c + 0.5) * ref.transform[1] - t[0]) / t[1]);
          cols[c] = col >= 0 && col < r.info.width ? col : -1;
          anyCol ||= cols[c]! >= 0;
        }
        for (let q = 0; q < ref.height; q++) {
          const row = Math.floor((ref.transform[3] + (q + 0.5) * ref.transform[5] - t[3]) / t[5]);
          rows[q] = row >= 0 && row < r.info.height ? row : -1;
          anyRow ||= rows[q]! >= 0;
        }
        if (!anyCol || !anyRow) throw new GreenmineError('CLASSIFY_NO_OVERLAP', `${files[i]}: does not overlap ${ref.file}; the band files must cover the same ground`, { file: files[i] });
        colMaps.push(cols);
        rowMaps.push(rows);
      }
      return new BandStack(readers, roles, reference, colMaps, rowMaps);
    } catch (err) {
      for (const r of readers) await r.close();
      throw err;
    }
  }

  /** Rows y0 … y0 + rows of the reference grid, every band interleaved (NaN where a band has no data or does not reach). */
  async fill(y0: number, rows: number, out: Float64Array): Promise<void> {
    const width = this.reference.info.width;
    const nb = this.readers.length;
    for (const [i, r] of this.readers.entries()) {
      const cols = this.colMaps[i]!;
      const rowMap = this.rowMaps[i]!;
      const { blockWidth, blockHeight, nodata } = r.info;
      let loaded = -1;
      let blocks: RasterBlock[] = [];
      for (let q = 0; q < rows; q++) {
        const sr = rowMap[y0 + q]!;
        const o = q * width * nb + i;
        if (sr < 0) {
          for (let c = 0; c < width; c++) out[o + c * nb] = Number.NaN;
          continue;
        }
        const by = Math.floor(sr / blockHeight);
        if (by !== loaded) {
          blocks = await Promise.all(Array.from({ length: r.blocksAcross }, (_, bx) => r.readBlock(bx, by)));
          loaded = by;
        }
        const within = (sr - by * blockHeight) * blockWidth;
        for (let c = 0; c < width; c++) {
          const sc = cols[c]!;
          if (sc < 0) {
            out[o + c * nb] = Number.NaN;
            continue;
          }
          const bx = (sc / blockWidth) | 0;
          const v = blocks[bx]![within + sc - bx * blockWidth]!;
          out[o + c * nb] = nodata !== null && v === nodata ? Number.NaN : v;
        }
      }
    }
  }

  async close(): Promise<void> {
    for (const r of this.readers) await r.close();
  }
}

/** `classes.tif` → `classes.scheme.json`: where classify writes the scheme and coverage, slopes and the audit look for it. */
export const schemePathFor = schemeSidecar;

/** The license's planar area in the image's CRS (shoelace on the transformed rings). */
function licenseAreaInImage(license: License, reader: RasterReader): number {
  const toImage = createTransform(license.crs, reader.info.crs);
  let area = 0;
  const p: [number, number] = [0, 0];
  for (const block of license.blocks) {
    block.rings.forEach((ring, ri) => {
      let a = 0;
      let px = 0;
      let py = 0;
      for (let i = 0; i < ring.length; i += 2) {
        toImage.point(ring[i]!, ring[i + 1]!, p);
        if (i > 0) a += (px - p[0]) * (py + p[1]);
        px = p[0];
        py = p[1];
      }
      area += (ri === 0 ? 1 : -1) * Math.abs(a / 2);
    });
  }
  return area;
}
