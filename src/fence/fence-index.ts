/**
 * FenceIndex: which license contains a position, and how far it is from the
 * nearest licensed boundary, for millions of fixes per second.
 *
 * Built once from any number of licenses:
 * - a Flatbush index over the blocks' lon/lat boxes (expanded by the search
 *   radius): its extent sets the grid, and it answers box queries
 *   (`containingInto`); in front of it, for the hot path, a uniform grid of
 *   cells listing the blocks whose box meets each cell, so that most fixes
 *   (far from every license) are answered by one array read (measured: the
 *   grid beats a Flatbush search per fix, which allocates its result array);
 * - for each block, a local metric frame: the second-order Taylor expansion of
 *   the block's Gauss-Krüger zone projection (the 3° zone nearest its centre)
 *   at the block's centre, so a fix is projected with a dozen flops instead of
 *   a proj4 call. The third-order remainder is about (size/R)² relative, so
 *   distances agree with the exact GK plane to well under a millimetre for
 *   blocks of a few kilometres (the first-order expansion alone was off by
 *   about 1e-4 relative);
 * - for each block, its edges in horizontal bands: a point-in-polygon test
 *   reads only the edges of the fix's band, a distance query only the bands
 *   within the search radius.
 * Everything lives in typed arrays of one ArrayBuffer (`data`), which a worker
 * thread loads with `FenceIndex.from(data)` without rebuilding.
 */
import Flatbush from 'flatbush';
import { createTransform, crsFromEpsg } from '../crs/index.js';
import { GreenmineError } from '../errors.js';
import { gkZoneFor } from '../license/area.js';
import type { License } from '../license/model.js';

export interface FenceBuildOptions {
  /** Distances are computed up to this far from a boundary; farther is reported as ±Infinity. Default 100 m. */
  searchRadiusM?: number;
  /** Grid cells per block, on average (default 16). */
  cellsPerBlock?: number;
}

const MAGIC = 0x464e4345; // "FNCE"
const VERSION = 3;
const METRES_PER_DEG_LAT = 110_574;
const BOUNDARY_EPS_M = 1e-6;

/** Result codes of `classify`. */
export const OUTSIDE = -1;

interface Arrays {
  header: Float64Array; // see HEADER_* below
  blockLicense: Int32Array;
  blockAffine: Float64Array; // lon0, lat0, then x and y each as a·dl + b·dp + c·dl² + d·dl·dp + e·dp² (12 per block)
  blockBox: Float64Array; // minLon, minLat, maxLon, maxLat (expanded by the radius)
  blockBand: Float64Array; // minY, bandHeight, bandCount per block
  blockBandStart: Int32Array; // first band of each block, nBlocks + 1
  blockEdgeStart: Int32Array; // nBlocks + 1
  edges: Float64Array; // x1, y1, x2, y2 per edge, block-local metres
  bandItemStart: Int32Array; // nBands + 1
  bandX: Float64Array; // minX, maxX of each band's edges (2 per band)
  bandItems: Int32Array;
  licenseBlockStart: Int32Array; // nLicenses + 1
  cellStart: Int32Array; // nCells + 1
  cellItems: Int32Array;
  flatbush: Uint8Array;
  ids: Uint8Array; // JSON of license ids
}

// header fields
const H_MAGIC = 0,
  H_VERSION = 1,
  H_LICENSES = 2,
  H_BLOCKS = 3,
  H_EDGES = 4,
  H_BANDS = 5,
  H_BAND_ITEMS = 6,
  H_COLS = 7,
  H_ROWS = 8;
const H_MIN_LON = 9,
  H_MIN_LAT = 10,
  H_CELL_LON = 11,
  H_CELL_LAT = 12,
  H_RADIUS = 13,
  H_CELL_ITEMS = 14,
  H_FLATBUSH_BYTES = 15,
  H_IDS_BYTES = 16;
const HEADER_LENGTH = 17;
const AFFINE = 12;

function layout(h: Float64Array): Array<[keyof Arrays, 'f64' | 'i32' | 'u8', number]> {
  const blocks = h[H_BLOCKS]!;
  return [
    ['blockLicense', 'i32', blocks],
    ['blockAffine', 'f64', blocks * AFFINE],
    ['blockBox', 'f64', blocks * 4],
    ['blockBand', 'f64', blocks * 3],
    ['blockBandStart', 'i32', blocks + 1],
    ['blockEdgeStart', 'i32', blocks + 1],
    ['edges', 'f64', h[H_EDGES]! * 4],
    ['bandItemStart', 'i32', h[H_BANDS]! + 1],
    ['bandX', 'f64', h[H_BANDS]! * 2],
    ['bandItems', 'i32', h[H_BAND_ITEMS]!],
    ['licenseBlockStart', 'i32', h[H_LICENSES]! + 1],
    ['cellStart', 'i32', h[H_COLS]! * h[H_ROWS]! + 1],
    ['cellItems', 'i32', h[H_CELL_ITEMS]!],
    ['flatbush', 'u8', h[H_FLATBUSH_BYTES]!],
    ['ids', 'u8', h[H_IDS_BYTES]!],
  ];
}

function pack(header: Float64Array, parts: Omit<Arrays, 'header'>): { buffer: ArrayBuffer; arrays: Arrays } {
  const spec = layout(header);
  let bytes = HEADER_LENGTH * 8;
  for (const [, type, length] of spec) bytes = Math.ceil(bytes / 8) * 8 + length * (type === 'f64' ? 8 : type === 'i32' ? 4 : 1);
  const buffer = new ArrayBuffer(Math.ceil(bytes / 8) * 8);
  const arrays = unpack(buffer, header);
  for (const [name] of spec) (arrays[name] as Uint8Array).set(parts[name as keyof typeof parts] as unknown as ArrayLike<number>);
  return { buffer, arrays };
}

function unpack(buffer: ArrayBuffer, header?: Float64Array): Arrays {
  const h = new Float64Array(buffer, 0, HEADER_LENGTH);
  if (header) h.set(header);
  if (h[H_MAGIC] !== MAGIC || h[H_VERSION] !== VERSION) {
    throw new GreenmineError('FENCE_BAD_DATA', `not a greenmine fence index (magic ${h[H_MAGIC]}, version ${h[H_VERSION]}; expected version ${VERSION})`);
  }
  const out: Partial<Arrays> = { header: h };
  let offset = HEADER_LENGTH * 8;
  for (const [name, type, length] of layout(h)) {
    offset = Math.ceil(offset / 8) * 8;
    const Ctor = type === 'f64' ? Float64Array : type === 'i32' ? Int32Array : Uint8Array;
    if (offset + length * Ctor.BYTES_PER_ELEMENT > buffer.byteLength) throw new GreenmineError('FENCE_BAD_DATA', 'fence index data is truncated');
    (out as Record<string, unknown>)[name] = new Ctor(buffer, offset, length);
    offset += length * Ctor.BYTES_PER_ELEMENT;
  }
  return out as Arrays;
}

/** What projecting the blocks gives: per block its license, local frame, padded box, bands and edges. */
interface ProjectedBlocks {
  nBlocks: number;
  blockLicense: Int32Array;
  affine: Float64Array;
  boxes: Float64Array;
  /** Per block: minY, band height, band count. */
  band: Float64Array;
  bandStart: Int32Array;
  edgeStart: Int32Array;
  /** Edges in each block's local metres: x1, y1, x2, y2. */
  edges: Float64Array;
  licenseBlockStart: Int32Array;
  /** Per block, edges per band (for the CSR fill). */
  bandCounts: Int32Array[];
}

/**
 * Phase 1: each block into its local frame (a second-order Taylor expansion
 * of its Gauss-Krüger zone's projection at the block centre, by central
 * differences), its box padded by the search radius, its edges in local
 * metres, and how many edges fall in each of its horizontal bands.
 */
function projectBlocks(licenses: License[], radiusM: number): ProjectedBlocks {
  const geographic = crsFromEpsg(4490);
  // Sizes first, so every array is allocated once.
  let nBlocks = 0;
  let edgeCapacity = 0;
  for (const license of licenses) {
    for (const block of license.blocks) {
      nBlocks++;
      for (const r of block.rings) edgeCapacity += r.length / 2 - 1;
    }
  }
  const out: ProjectedBlocks = {
    nBlocks,
    blockLicense: new Int32Array(nBlocks),
    affine: new Float64Array(nBlocks * AFFINE),
    boxes: new Float64Array(nBlocks * 4),
    band: new Float64Array(nBlocks * 3),
    bandStart: new Int32Array(nBlocks + 1),
    edgeStart: new Int32Array(nBlocks + 1),
    edges: new Float64Array(edgeCapacity * 4),
    licenseBlockStart: new Int32Array(licenses.length + 1),
    bandCounts: [],
  };
  let nEdges = 0;
  let b = 0;
  const gkCache = new Map<number, ReturnType<typeof createTransform>>();
  licenses.forEach((license, li) => {
    const identity = license.crs.geographic && (license.crs.datum === 'WGS84' || license.crs.datum === 'CGCS2000');
    const toGeo = identity ? null : createTransform(license.crs, geographic);
    for (const block of license.blocks) {
      const rings = toGeo
        ? block.rings.map((r) => {
            const o = new Float64Array(r.length);
            toGeo.flatInto(r, o);
            return o;
          })
        : block.rings;
      const frame = blockFrame(rings, geographic, gkCache);
      out.blockLicense[b] = li;
      out.affine.set(frame.affine, b * AFFINE);
      const padLat = radiusM / METRES_PER_DEG_LAT + 1e-9;
      const padLon = padLat / Math.cos((Math.max(Math.abs(frame.minLat), Math.abs(frame.maxLat)) * Math.PI) / 180);
      out.boxes.set([frame.minLon - padLon, frame.minLat - padLat, frame.maxLon + padLon, frame.maxLat + padLat], 4 * b);
      const first = nEdges;
      nEdges = localEdges(rings, frame.affine, out.edges, nEdges);
      out.edgeStart[b + 1] = nEdges;
      out.bandCounts.push(bandBlock(out, b, first, nEdges));
      b++;
    }
    out.licenseBlockStart[li + 1] = b;
  });
  out.edges = out.edges.subarray(0, nEdges * 4);
  return out;
}

/** A block's lon/lat box and its local frame: [lon0, lat0, ax, bx, cx, dx, ex, ay, by, cy, dy, ey]. */
function blockFrame(rings: ArrayLike<number>[], geographic: ReturnType<typeof crsFromEpsg>, gkCache: Map<number, ReturnType<typeof createTransform>>): { minLon: number; minLat: number; maxLon: number; maxLat: number; affine: number[] } {
  let minLon = Infinity,
    minLat = Infinity,
    maxLon = -Infinity,
    maxLat = -Infinity;
  for (const r of rings) {
    for (let i = 0; i < r.length; i += 2) {
      const lon = r[i]!,
        lat = r[i + 1]!;
      if (lon < minLon) minLon = lon;
      if (lon > maxLon) maxLon = lon;
      if (lat < minLat) minLat = lat;
      if (lat > maxLat) maxLat = lat;
    }
  }
  const lon0 = (minLon + maxLon) / 2;
  const lat0 = (minLat + maxLat) / 2;
  const zone = gkZoneFor(lon0, 'CGCS2000');
  let gk = gkCache.get(zone.epsg!);
  if (!gk) gkCache.set(zone.epsg!, (gk = createTransform(geographic, zone)));
  const h = 0.01;
  const f = (i: number, j: number): [number, number] => gk!.point(lon0 + i * h, lat0 + j * h);
  const [x00, y00] = f(0, 0);
  const [xe, ye] = f(1, 0),
    [xw, yw] = f(-1, 0),
    [xn, yn] = f(0, 1),
    [xs, ys] = f(0, -1);
  const [xne, yne] = f(1, 1),
    [xse, yse] = f(1, -1),
    [xnw, ynw] = f(-1, 1),
    [xsw, ysw] = f(-1, -1);
  const ax = (xe - xw) / (2 * h),
    bx = (xn - xs) / (2 * h),
    cx = (xe - 2 * x00 + xw) / (2 * h * h),
    dx = (xne - xse - xnw + xsw) / (4 * h * h),
    ex = (xn - 2 * x00 + xs) / (2 * h * h);
  const ay = (ye - yw) / (2 * h),
    by = (yn - ys) / (2 * h),
    cy = (ye - 2 * y00 + yw) / (2 * h * h),
    dy = (yne - yse - ynw + ysw) / (4 * h * h),
    ey = (yn - 2 * y00 + ys) / (2 * h * h);
  return { minLon, minLat, maxLon, maxLat, affine: [lon0, lat0, ax, bx, cx, dx, ex, ay, by, cy, dy, ey] };
}

/** The rings' edges in the local frame, appended to `edges` from edge `n` on (repeated vertices skipped); returns the new count. */
function localEdges(rings: ArrayLike<number>[], a: number[], edges: Float64Array, n: number): number {
  const [lon0, lat0, ax, bx, cx, dx, ex, ay, by, cy, dy, ey] = a as [number, number, number, number, number, number, number, number, number, number, number, number];
  for (const r of rings) {
    let px = 0,
      py = 0;
    for (let i = 0; i < r.length; i += 2) {
      const dl = r[i]! - lon0,
        dp = r[i + 1]! - lat0;
      const ll = dl * dl,
        lp = dl * dp,
        pp = dp * dp;
      const x = ax * dl + bx * dp + cx * ll + dx * lp + ex * pp;
      const y = ay * dl + by * dp + cy * ll + dy * lp + ey * pp;
      if (i > 0 && (x !== px || y !== py)) {
        const o = 4 * n++;
        edges[o] = px;
        edges[o + 1] = py;
        edges[o + 2] = x;
        edges[o + 3] = y;
      }
      px = x;
      py = y;
    }
  }
  return n;
}

/** The bands of block `b` (about two edges each, at most 512) over its edges first…end: sets its band parameters and returns the edges per band. */
function bandBlock(out: ProjectedBlocks, b: number, first: number, end: number): Int32Array {
  const { edges } = out;
  let minY = Infinity,
    maxY = -Infinity;
  for (let e = first; e < end; e++) {
    const y1 = edges[4 * e + 1]!,
      y2 = edges[4 * e + 3]!;
    minY = Math.min(minY, y1, y2);
    maxY = Math.max(maxY, y1, y2);
  }
  const nBands = Math.max(1, Math.min(512, Math.ceil((end - first) / 2)));
  const height = Math.max((maxY - minY) / nBands, 1e-9);
  out.band[3 * b] = minY;
  out.band[3 * b + 1] = height;
  out.band[3 * b + 2] = nBands;
  out.bandStart[b + 1] = out.bandStart[b]! + nBands;
  const counts = new Int32Array(nBands);
  for (let e = first; e < end; e++) {
    const [b0, b1] = bandSpan(edges, e, minY, height, nBands);
    for (let k = b0; k <= b1; k++) counts[k]!++;
  }
  return counts;
}

/** The first and last band edge `e` meets. */
function bandSpan(edges: Float64Array, e: number, minY: number, height: number, nBands: number): [number, number] {
  const y1 = edges[4 * e + 1]!,
    y2 = edges[4 * e + 3]!;
  return [Math.max(0, Math.min(nBands - 1, Math.floor((Math.min(y1, y2) - minY) / height))), Math.max(0, Math.min(nBands - 1, Math.floor((Math.max(y1, y2) - minY) / height)))];
}

/** Phase 2: each band's edges (CSR) and its x-range. */
function fillBands(blocks: ProjectedBlocks): { bandItemStart: Int32Array; bandItems: Int32Array; bandX: Float64Array } {
  const { nBlocks, band, bandStart, edgeStart, edges, bandCounts } = blocks;
  const nBandsTotal = bandStart[nBlocks]!;
  const bandItemStart = new Int32Array(nBandsTotal + 1);
  for (let k = 0, g = 0; k < nBlocks; k++) for (const c of bandCounts[k]!) (bandItemStart[g + 1] = bandItemStart[g]! + c), g++;
  const bandItems = new Int32Array(bandItemStart[nBandsTotal]!);
  const bandX = new Float64Array(nBandsTotal * 2);
  for (let k = 0; k < nBandsTotal; k++) {
    bandX[2 * k] = Infinity;
    bandX[2 * k + 1] = -Infinity;
  }
  const cursor = bandItemStart.slice(0, nBandsTotal);
  for (let k = 0; k < nBlocks; k++) {
    const minY = band[3 * k]!,
      height = band[3 * k + 1]!,
      nBands = band[3 * k + 2]!,
      first = bandStart[k]!;
    for (let e = edgeStart[k]!; e < edgeStart[k + 1]!; e++) {
      const [b0, b1] = bandSpan(edges, e, minY, height, nBands);
      const x1 = edges[4 * e]!,
        x2 = edges[4 * e + 2]!;
      for (let q = b0; q <= b1; q++) {
        const g = first + q;
        bandItems[cursor[g]!++] = e;
        bandX[2 * g] = Math.min(bandX[2 * g]!, x1, x2);
        bandX[2 * g + 1] = Math.max(bandX[2 * g + 1]!, x1, x2);
      }
    }
  }
  return { bandItemStart, bandItems, bandX };
}

/** Phase 3: a grid over the union of the blocks' boxes; each cell lists (CSR, sorted) the blocks whose box meets it. */
function gridBlocks(
  flatbush: Flatbush,
  boxes: Float64Array,
  nBlocks: number,
  cellsPerBlock: number,
): { cols: number; rows: number; minLon: number; minLat: number; cellLon: number; cellLat: number; cellStart: Int32Array; cellItems: Int32Array } {
  const minLon = flatbush.minX,
    minLat = flatbush.minY,
    maxLon = flatbush.maxX,
    maxLat = flatbush.maxY;
  const targetCells = Math.min(4_000_000, Math.max(64, nBlocks * cellsPerBlock));
  const aspect = (maxLon - minLon) / Math.max(maxLat - minLat, 1e-9);
  const cols = Math.max(1, Math.min(4096, Math.round(Math.sqrt(targetCells * aspect))));
  const rows = Math.max(1, Math.min(4096, Math.round(targetCells / cols)));
  const cellLon = (maxLon - minLon) / cols || 1e-9;
  const cellLat = (maxLat - minLat) / rows || 1e-9;
  const cellStart = new Int32Array(cols * rows + 1);
  const span = (b: number): [number, number, number, number] => [
    Math.max(0, Math.min(cols - 1, Math.floor((boxes[4 * b]! - minLon) / cellLon))),
    Math.max(0, Math.min(rows - 1, Math.floor((boxes[4 * b + 1]! - minLat) / cellLat))),
    Math.max(0, Math.min(cols - 1, Math.floor((boxes[4 * b + 2]! - minLon) / cellLon))),
    Math.max(0, Math.min(rows - 1, Math.floor((boxes[4 * b + 3]! - minLat) / cellLat))),
  ];
  for (let b = 0; b < nBlocks; b++) {
    const [c0, r0, c1, r1] = span(b);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cellStart[r * cols + c + 1]!++;
  }
  for (let i = 1; i < cellStart.length; i++) cellStart[i]! += cellStart[i - 1]!;
  const cellItems = new Int32Array(cellStart[cellStart.length - 1]!);
  const fill = cellStart.slice(0, cols * rows);
  for (let b = 0; b < nBlocks; b++) {
    const [c0, r0, c1, r1] = span(b);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cellItems[fill[r * cols + c]!++] = b;
  }
  for (let cell = 0; cell < cols * rows; cell++) cellItems.subarray(cellStart[cell]!, cellStart[cell + 1]!).sort();
  return { cols, rows, minLon, minLat, cellLon, cellLat, cellStart, cellItems };
}

export class FenceIndex {
  /** The license ids, by license index (the order given to `build`). */
  readonly licenseIds: string[];
  readonly searchRadiusM: number;
  /** Serialised index: hand it to a worker and load it with `FenceIndex.from`. */
  readonly data: ArrayBuffer;
  private readonly a: Arrays;
  private readonly blocks: Flatbush;
  // Scratch results of the last query (no allocation per query).
  private qLicense = OUTSIDE;
  private qDistance = Infinity;
  private qNearestLicense = OUTSIDE;
  /** The edge (global index) nearest the last queried position among those measured, or -1. */
  private qEdge = -1;
  private nearEdge = -1;

  private constructor(data: ArrayBuffer, arrays: Arrays) {
    this.data = data;
    this.a = arrays;
    this.searchRadiusM = arrays.header[H_RADIUS]!;
    this.licenseIds = JSON.parse(new TextDecoder().decode(arrays.ids)) as string[];
    this.blocks = Flatbush.from(arrays.flatbush.buffer.slice(arrays.flatbush.byteOffset, arrays.flatbush.byteOffset + arrays.flatbush.byteLength) as ArrayBuffer);
  }

  static from(data: ArrayBuffer): FenceIndex {
    return new FenceIndex(data, unpack(data));
  }

  /**
   * Build the index in four named phases: project each block into its local
   * frame and band its edges (`projectBlocks`), list each band's edges
   * (`fillBands`), grid the blocks' boxes (`gridBlocks`), and pack everything
   * into one ArrayBuffer.
   */
  static build(licenses: License[], options: FenceBuildOptions = {}): FenceIndex {
    const radiusM = options.searchRadiusM ?? 100;
    if (!(radiusM >= 0) || !Number.isFinite(radiusM)) throw new GreenmineError('FENCE_BAD_OPTION', `searchRadiusM must be a finite number ≥ 0, got ${radiusM}`);
    if (licenses.length === 0) throw new GreenmineError('FENCE_NO_LICENSES', 'a fence needs at least one license');
    const blocks = projectBlocks(licenses, radiusM);
    const bands = fillBands(blocks);
    const flatbush = new Flatbush(blocks.nBlocks);
    for (let b = 0; b < blocks.nBlocks; b++) flatbush.add(blocks.boxes[4 * b]!, blocks.boxes[4 * b + 1]!, blocks.boxes[4 * b + 2]!, blocks.boxes[4 * b + 3]!);
    flatbush.finish();
    const grid = gridBlocks(flatbush, blocks.boxes, blocks.nBlocks, options.cellsPerBlock ?? 16);

    const header = new Float64Array(HEADER_LENGTH);
    header[H_MAGIC] = MAGIC;
    header[H_VERSION] = VERSION;
    header[H_LICENSES] = licenses.length;
    header[H_BLOCKS] = blocks.nBlocks;
    header[H_EDGES] = blocks.edges.length / 4;
    header[H_BANDS] = bands.bandX.length / 2;
    header[H_BAND_ITEMS] = bands.bandItems.length;
    header[H_COLS] = grid.cols;
    header[H_ROWS] = grid.rows;
    header[H_MIN_LON] = grid.minLon;
    header[H_MIN_LAT] = grid.minLat;
    header[H_CELL_LON] = grid.cellLon;
    header[H_CELL_LAT] = grid.cellLat;
    header[H_RADIUS] = radiusM;
    header[H_CELL_ITEMS] = grid.cellItems.length;
    const flatbushBytes = new Uint8Array(flatbush.data as ArrayBuffer);
    const ids = new TextEncoder().encode(JSON.stringify(licenses.map((l) => l.id)));
    header[H_FLATBUSH_BYTES] = flatbushBytes.length;
    header[H_IDS_BYTES] = ids.length;
    const { buffer, arrays } = pack(header, {
      blockLicense: blocks.blockLicense,
      blockAffine: blocks.affine,
      blockBox: blocks.boxes,
      blockBand: blocks.band,
      blockBandStart: blocks.bandStart,
      blockEdgeStart: blocks.edgeStart,
      edges: blocks.edges,
      bandItemStart: bands.bandItemStart,
      bandX: bands.bandX,
      bandItems: bands.bandItems,
      licenseBlockStart: blocks.licenseBlockStart,
      cellStart: grid.cellStart,
      cellItems: grid.cellItems,
      flatbush: flatbushBytes,
      ids,
    });
    return new FenceIndex(buffer, arrays);
  }

  get licenseCount(): number {
    return this.licenseIds.length;
  }

  /**
   * Query one position: sets the containing license (lowest index when
   * licenses overlap), the signed distance and the nearest license.
   * `distance`: 0 none, 1 within the search radius.
   */
  private query(lon: number, lat: number, wantDistance: boolean): void {
    const a = this.a;
    const h = a.header;
    this.qLicense = OUTSIDE;
    this.qNearestLicense = OUTSIDE;
    this.qEdge = -1;
    let edgeIn = -1,
      edgeOut = -1;
    let inside = false;
    let bestOut = Infinity;
    let bestIn = Infinity;
    const c = Math.floor((lon - h[H_MIN_LON]!) / h[H_CELL_LON]!);
    const r = Math.floor((lat - h[H_MIN_LAT]!) / h[H_CELL_LAT]!);
    const cols = h[H_COLS]!;
    if (c < 0 || r < 0 || c >= cols || r >= h[H_ROWS]!) {
      this.qDistance = Infinity;
      return;
    }
    const cell = r * cols + c;
    const { cellStart, cellItems, blockBox, blockAffine, blockBand, blockBandStart, bandItemStart, bandItems, edges, blockLicense } = a;
    const radius = this.searchRadiusM;
    for (let k = cellStart[cell]!, end = cellStart[cell + 1]!; k < end; k++) {
      const b = cellItems[k]!;
      if (lon < blockBox[4 * b]! || lat < blockBox[4 * b + 1]! || lon > blockBox[4 * b + 2]! || lat > blockBox[4 * b + 3]!) continue;
      // toBlock, written out: this is the hot path, and the call through fields measured 5 % slower.
      const o = AFFINE * b;
      const dl = lon - blockAffine[o]!;
      const dp = lat - blockAffine[o + 1]!;
      const ll = dl * dl,
        lp = dl * dp,
        pp = dp * dp;
      const x = blockAffine[o + 2]! * dl + blockAffine[o + 3]! * dp + blockAffine[o + 4]! * ll + blockAffine[o + 5]! * lp + blockAffine[o + 6]! * pp;
      const y = blockAffine[o + 7]! * dl + blockAffine[o + 8]! * dp + blockAffine[o + 9]! * ll + blockAffine[o + 10]! * lp + blockAffine[o + 11]! * pp;
      const minY = blockBand[3 * b]!;
      const height = blockBand[3 * b + 1]!;
      const nBands = blockBand[3 * b + 2]!;
      const firstBand = blockBandStart[b]!;
      // Point in polygon: crossings of a ray to +x with the edges of the point's band
      // (an edge through the point's y is always listed in its band), and whether the point lies on one.
      let crossings = false;
      let onEdge = false;
      const bandIndex = Math.floor((y - minY) / height);
      if (bandIndex >= 0 && bandIndex < nBands) {
        const band = firstBand + bandIndex;
        for (let e = bandItemStart[band]!, eEnd = bandItemStart[band + 1]!; e < eEnd; e++) {
          const i = 4 * bandItems[e]!;
          const y1 = edges[i + 1]!,
            y2 = edges[i + 3]!;
          if (y1 > y !== y2 > y) {
            const x1 = edges[i]!,
              x2 = edges[i + 2]!;
            const xCross = x1 + ((y - y1) * (x2 - x1)) / (y2 - y1);
            if (x < xCross) crossings = !crossings;
            if (Math.abs(x - xCross) <= BOUNDARY_EPS_M) onEdge = true;
          } else if (y1 === y && y2 === y) {
            const x1 = edges[i]!,
              x2 = edges[i + 2]!;
            if (x >= Math.min(x1, x2) - BOUNDARY_EPS_M && x <= Math.max(x1, x2) + BOUNDARY_EPS_M) onEdge = true;
          }
        }
      }
      let d = onEdge ? 0 : Infinity;
      this.nearEdge = -1;
      if (wantDistance && !onEdge) d = this.bandDistance(b, x, y, radius);
      else if (!onEdge && !crossings) {
        // One rule for every API: a point within BOUNDARY_EPS_M of an edge is on the boundary (inside),
        // also where the band test cannot see it (a vertex at the block's top or bottom, a nearly level edge).
        d = this.bandDistance(b, x, y, BOUNDARY_EPS_M * (1 + 1e-9));
      }
      const onBoundary = d <= BOUNDARY_EPS_M;
      if (crossings || onBoundary) {
        if (!inside) this.qLicense = blockLicense[b]!;
        inside = true;
        if (d < bestIn) {
          bestIn = d;
          edgeIn = this.nearEdge;
        }
      } else if (d < bestOut) {
        bestOut = d;
        edgeOut = this.nearEdge;
        this.qNearestLicense = blockLicense[b]!;
      }
      if (!wantDistance && inside) break;
    }
    if (inside) {
      this.qNearestLicense = this.qLicense;
      this.qDistance = bestIn <= BOUNDARY_EPS_M ? 0 : -bestIn;
      this.qEdge = edgeIn;
    } else {
      this.qDistance = bestOut;
      this.qEdge = edgeOut;
    }
  }

  /** The index of the license containing the position (boundary included), or -1. */
  locate(lon: number, lat: number): number {
    this.query(lon, lat, false);
    return this.qLicense;
  }

  /**
   * Signed distance in metres to the nearest licensed boundary: negative inside,
   * 0 on it, positive outside; ±Infinity when farther than the search radius.
   */
  signedDistanceM(lon: number, lat: number): number {
    this.query(lon, lat, true);
    return this.qDistance;
  }

  /**
   * Locate and measure in one query: `out` receives [license index, signed distance m, nearest
   * license index] from `offset` on and, when it has a fourth slot, the index of the edge that
   * distance was measured to (-1 when none: beyond the search radius, or exactly on a boundary).
   */
  query3(lon: number, lat: number, out: Float64Array, offset = 0): Float64Array {
    this.query(lon, lat, true);
    out[offset] = this.qLicense;
    out[offset + 1] = this.qDistance;
    out[offset + 2] = this.qNearestLicense;
    if (out.length > offset + 3) out[offset + 3] = this.qEdge;
    return out;
  }

  /**
   * Batch: for every fix, the containing license index (-1 outside) into
   * `outLicense` and, when given, the signed distance into `outDistanceM`.
   * Nothing is allocated per fix.
   */
  locateInto(lon: ArrayLike<number>, lat: ArrayLike<number>, outLicense: Int32Array, outDistanceM?: Float64Array, outNearest?: Int32Array, outEdge?: Int32Array): void {
    const n = lon.length;
    if (lat.length !== n || outLicense.length < n || (outDistanceM && outDistanceM.length < n) || (outNearest && outNearest.length < n)) {
      throw new GreenmineError('FENCE_BAD_ARRAYS', `locateInto: ${n} longitudes need as many latitudes (${lat.length}) and output slots`);
    }
    const want = outDistanceM !== undefined;
    for (let i = 0; i < n; i++) {
      this.query(lon[i]!, lat[i]!, want);
      outLicense[i] = this.qLicense;
      if (want) outDistanceM![i] = this.qDistance;
      if (outNearest) outNearest[i] = this.qNearestLicense;
      if (outEdge) outEdge[i] = this.qEdge;
    }
  }

  /** Every license containing the position (overlapping licenses), into `out`; returns the count. */
  containingInto(lon: number, lat: number, out: Int32Array): number {
    const found = this.blocks.search(lon, lat, lon, lat);
    let n = 0;
    for (const b of found.sort((p, q) => p - q)) {
      const li = this.a.blockLicense[b]!;
      if (n > 0 && out[n - 1] === li) continue;
      if (this.exactBlockDistance(b, lon, lat) <= 0 && n < out.length) out[n++] = li;
    }
    return n;
  }

  /** Exact signed distance to one license's boundary in metres, whatever the distance (scans its edges). */
  distanceToLicenseM(licenseIndex: number, lon: number, lat: number): number {
    const { licenseBlockStart } = this.a;
    if (!(licenseIndex >= 0 && licenseIndex < this.licenseCount)) throw new GreenmineError('FENCE_BAD_LICENSE', `no license ${licenseIndex} in this fence`);
    let inside = false;
    let bestIn = Infinity;
    let bestOut = Infinity;
    for (let b = licenseBlockStart[licenseIndex]!; b < licenseBlockStart[licenseIndex + 1]!; b++) {
      const d = this.exactBlockDistance(b, lon, lat);
      if (d <= 0) {
        inside = true;
        bestIn = Math.min(bestIn, -d);
      } else bestOut = Math.min(bestOut, d);
    }
    return inside ? (bestIn === 0 ? 0 : -bestIn) : bestOut;
  }

  /**
   * For a position outside every block of license `licenseIndex` (as `query` finds far fixes):
   * its exact distance to the license in metres, and in `witness` the boundary point it is
   * measured to (see `witnessDistanceM`).
   */
  outsideDistanceM(licenseIndex: number, lon: number, lat: number, witness?: Float64Array): number {
    const { licenseBlockStart } = this.a;
    let best = Infinity;
    for (let b = licenseBlockStart[licenseIndex]!; b < licenseBlockStart[licenseIndex + 1]!; b++) {
      this.toBlock(b, lon, lat);
      const d = this.bandDistance(b, this.localX, this.localY, best);
      if (d < best) {
        best = d;
        if (witness) {
          witness[0] = b;
          witness[1] = this.nearX;
          witness[2] = this.nearY;
        }
      }
    }
    return best;
  }

  /**
   * Metres from a position to a boundary point `witness` ([block, x, y] in that block's
   * frame, as `outsideDistanceM` gives): an upper bound of the position's distance
   * to that license, cheap enough to try before measuring.
   */
  witnessDistanceM(witness: Float64Array, lon: number, lat: number): number {
    this.toBlock(witness[0]!, lon, lat);
    const dx = this.localX - witness[1]!,
      dy = this.localY - witness[2]!;
    return Math.sqrt(dx * dx + dy * dy);
  }

  /** The nearest boundary point found by the last bandDistance improvement, and toBlock's result. */
  private nearX = NaN;
  private nearY = NaN;
  private localX = NaN;
  private localY = NaN;

  /** Project lon/lat into block b's frame (its second-order GK expansion) into localX/localY. */
  private toBlock(b: number, lon: number, lat: number): void {
    const blockAffine = this.a.blockAffine;
    const o = AFFINE * b;
    const dl = lon - blockAffine[o]!;
    const dp = lat - blockAffine[o + 1]!;
    const ll = dl * dl,
      lp = dl * dp,
      pp = dp * dp;
    this.localX = blockAffine[o + 2]! * dl + blockAffine[o + 3]! * dp + blockAffine[o + 4]! * ll + blockAffine[o + 5]! * lp + blockAffine[o + 6]! * pp;
    this.localY = blockAffine[o + 7]! * dl + blockAffine[o + 8]! * dp + blockAffine[o + 9]! * ll + blockAffine[o + 10]! * lp + blockAffine[o + 11]! * pp;
  }

  /**
   * Distance from block-local (x, y) to block b's boundary if below `limitM`, else Infinity
   * (the nearest boundary point found is left in nearX/nearY):
   * bands outward from the point's band, stopping once a band is farther than the best
   * distance so far; edges whose box is farther are skipped unmeasured.
   */
  private bandDistance(b: number, x: number, y: number, limitM: number): number {
    const { blockBand, blockBandStart, bandItemStart, bandItems, bandX, edges } = this.a;
    const minY = blockBand[3 * b]!;
    const height = blockBand[3 * b + 1]!;
    const nBands = blockBand[3 * b + 2]!;
    const firstBand = blockBandStart[b]!;
    let best = limitM;
    let best2 = limitM * limitM;
    const pb = Math.floor((y - minY) / height);
    for (let dir = 0; dir < 2; dir++) {
      let k = dir === 0 ? Math.max(pb, 0) : Math.min(pb, nBands) - 1;
      for (; k >= 0 && k < nBands; k += dir === 0 ? 1 : -1) {
        const gap = dir === 0 ? (k > pb ? minY + k * height - y : 0) : y - (minY + (k + 1) * height);
        if (gap > best) break;
        const band = firstBand + k;
        // The band's edges all lie within its x-range: skip the band when that is too far.
        const gapX = x < bandX[2 * band]! ? bandX[2 * band]! - x : x > bandX[2 * band + 1]! ? x - bandX[2 * band + 1]! : 0;
        if (gapX * gapX + gap * gap >= best2) continue;
        for (let e = bandItemStart[band]!, eEnd = bandItemStart[band + 1]!; e < eEnd; e++) {
          const i = 4 * bandItems[e]!;
          const x1 = edges[i]!,
            y1 = edges[i + 1]!,
            x2 = edges[i + 2]!,
            y2 = edges[i + 3]!;
          if ((x1 < x - best && x2 < x - best) || (x1 > x + best && x2 > x + best) || (y1 < y - best && y2 < y - best) || (y1 > y + best && y2 > y + best)) continue;
          const dx = x2 - x1,
            dy = y2 - y1;
          let t = ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy);
          t = t < 0 ? 0 : Math.min(t, 1);
          const ex = x1 + t * dx - x,
            ey = y1 + t * dy - y;
          const d2 = ex * ex + ey * ey;
          if (d2 < best2) {
            best2 = d2;
            best = Math.sqrt(d2);
            this.nearX = x + ex;
            this.nearY = y + ey;
            this.nearEdge = i >> 2;
          }
        }
      }
    }
    return best2 < limitM * limitM ? best : Infinity;
  }

  private exactBlockDistance(b: number, lon: number, lat: number): number {
    const { blockBand, blockBandStart, bandItemStart, bandItems, edges } = this.a;
    this.toBlock(b, lon, lat);
    const x = this.localX,
      y = this.localY;
    // Inside? Crossings with the edges of the point's band.
    let crossings = false;
    const k = Math.floor((y - blockBand[3 * b]!) / blockBand[3 * b + 1]!);
    if (k >= 0 && k < blockBand[3 * b + 2]!) {
      const band = blockBandStart[b]! + k;
      for (let e = bandItemStart[band]!, eEnd = bandItemStart[band + 1]!; e < eEnd; e++) {
        const i = 4 * bandItems[e]!;
        const x1 = edges[i]!,
          y1 = edges[i + 1]!,
          x2 = edges[i + 2]!,
          y2 = edges[i + 3]!;
        if (y1 > y !== y2 > y && x < x1 + ((y - y1) * (x2 - x1)) / (y2 - y1)) crossings = !crossings;
      }
    }
    const d = this.bandDistance(b, x, y, Infinity);
    return d <= BOUNDARY_EPS_M ? 0 : crossings ? -d : d;
  }
}
