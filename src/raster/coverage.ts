/**
 * Per-pixel coverage of polygons, row band by row band.
 *
 * Fractional mode is exact area coverage (the exactextract idea, computed the
 * way font rasterisers do): each edge, clipped to a row, deposits its signed
 * area into the cells it crosses and the "cover" into the cell to its right;
 * a running sum along the row then gives every cell's covered fraction, so
 * interior cells come out as 1 with no per-pixel point-in-polygon test. Work
 * is proportional to the perimeter plus the pixels of the polygon's box.
 * Centre mode counts a pixel when its centre is inside (even-odd scanline);
 * all-touched counts every pixel the polygon covers any part of.
 *
 * Coordinates are pixel coordinates: pixel (col, row) spans [col, col+1] × [row, row+1].
 */
export type CoverageMode = 'fractional' | 'centre' | 'all-touched';

/** Polygons as shells with holes: polygons[k][0] is a shell, polygons[k][1…] its holes; rings are closed flat [x0, y0, …]. */
export type PixelPolygons = Float64Array[][];

export class PolygonCoverage {
  readonly colMin: number;
  readonly colMax: number;
  readonly rowMin: number;
  readonly rowMax: number;
  readonly width: number;
  private readonly edges: Float64Array; // x0, y0, x1, y1, sign per edge (sign orients shells +, holes −)
  /**
   * After `rows`: for each row of the band, the columns (relative to colMin) outside which
   * coverage is 0: [rowFrom[i], rowTo[i]). Readers can skip everything else.
   */
  rowFrom = new Int32Array(0);
  rowTo = new Int32Array(0);
  private readonly crossings: Float64Array;

  constructor(
    polygons: PixelPolygons,
    readonly mode: CoverageMode,
  ) {
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    let n = 0;
    for (const rings of polygons) for (const r of rings) n += r.length / 2 - 1;
    const edges = new Float64Array(n * 5);
    let k = 0;
    for (const rings of polygons) {
      rings.forEach((r, ri) => {
        let area2 = 0;
        for (let i = 0; i + 3 < r.length; i += 2) area2 += r[i]! * r[i + 3]! - r[i + 2]! * r[i + 1]!;
        // In x-right/y-down pixel space a negative shoelace ring accumulates +1 inside.
        const sign = ri === 0 ? (area2 < 0 ? 1 : -1) : area2 < 0 ? -1 : 1;
        for (let i = 0; i + 3 < r.length; i += 2) {
          edges[k++] = r[i]!;
          edges[k++] = r[i + 1]!;
          edges[k++] = r[i + 2]!;
          edges[k++] = r[i + 3]!;
          edges[k++] = sign;
          minX = Math.min(minX, r[i]!);
          maxX = Math.max(maxX, r[i]!);
          minY = Math.min(minY, r[i + 1]!);
          maxY = Math.max(maxY, r[i + 1]!);
        }
      });
    }
    this.edges = edges;
    this.crossings = new Float64Array(n + 1);
    if (n === 0) {
      this.colMin = this.colMax = this.rowMin = this.rowMax = this.width = 0;
      return;
    }
    this.colMin = Math.floor(minX);
    this.colMax = Math.max(Math.ceil(maxX), this.colMin + 1);
    this.rowMin = Math.floor(minY);
    this.rowMax = Math.max(Math.ceil(maxY), this.rowMin + 1);
    this.width = this.colMax - this.colMin;
  }

  /**
   * Coverage of rows [row0, row1) over columns [colMin, colMax) into `out`
   * (row-major, stride `width`); `out` must hold (row1 − row0) × width values.
   * Rows outside the polygon's box come out as 0.
   */
  rows(row0: number, row1: number, out: Float64Array): void {
    const w = this.width;
    const count = row1 - row0;
    if (this.rowFrom.length < count) {
      this.rowFrom = new Int32Array(count);
      this.rowTo = new Int32Array(count);
    }
    this.rowFrom.fill(w, 0, Math.max(0, count));
    this.rowTo.fill(0, 0, Math.max(0, count));
    if (count <= 0 || w === 0) return;
    if (this.mode === 'centre') {
      out.fill(0, 0, count * w);
      this.centreRows(row0, row1, out);
      this.rowFrom.fill(0, 0, count);
      this.rowTo.fill(w, 0, count);
    } else {
      this.deposit(row0, row1);
      this.prefix(row1 - row0, out);
    }
    if (this.mode === 'all-touched') {
      for (let r = 0; r < count; r++) for (let i = r * w + this.rowFrom[r]!; i < r * w + this.rowTo[r]!; i++) out[i] = out[i]! > 1e-12 ? 1 : 0;
    }
  }

  /** Row stride of `acc` (width + 2). */
  get stride(): number {
    return this.width + 2;
  }

  /**
   * Fractional mode, first half: deposit every edge's area and cover into `acc`
   * (row-major, stride `stride`) for rows [row0, row1), and set rowFrom/rowTo.
   * The running sum of `acc` along a row is the coverage; whoever reads `acc`
   * must leave it zeroed (as `prefix` does) for the next call.
   */
  deposit(row0: number, row1: number): void {
    const w = this.width;
    const stride = w + 2;
    const count = row1 - row0;
    if (this.rowFrom.length < count) {
      this.rowFrom = new Int32Array(count);
      this.rowTo = new Int32Array(count);
    }
    this.rowFrom.fill(w, 0, count);
    this.rowTo.fill(0, 0, count);
    if (this.acc.length < count * stride) this.acc = new Float64Array(count * stride);
    if (this.rowHead.length < count) this.rowHead = new Int32Array(count);
    this.rowHead.fill(-1, 0, count);
    this.touchCount = 0;
    const acc = this.acc;
    const e = this.edges;
    const x0 = this.colMin;
    for (let k = 0; k < e.length; k += 5) {
      let ax = e[k]! - x0,
        ay = e[k + 1]!,
        bx = e[k + 2]! - x0,
        by = e[k + 3]!;
      if (ay === by) continue;
      let dir = e[k + 4]!;
      if (ay > by) {
        [ax, ay, bx, by] = [bx, by, ax, ay];
        dir = -dir;
      }
      const yStart = Math.max(Math.floor(ay), row0);
      const yEnd = Math.min(Math.ceil(by), row1);
      if (yStart >= yEnd) continue;
      const dxdy = (bx - ax) / (by - ay);
      const rowFrom = this.rowFrom;
      const rowTo = this.rowTo;
      for (let y = yStart; y < yEnd; y++) {
        const line = (y - row0) * stride;
        const top = Math.max(y, ay);
        const bottom = Math.min(y + 1, by);
        const dy = bottom - top;
        // x at the top and bottom of this row's piece, computed afresh for every row so that
        // the result does not depend on where a band of rows starts.
        const x = top === ay ? ax : ax + (top - ay) * dxdy;
        const xNext = bottom === by ? bx : ax + (bottom - ay) * dxdy;
        const d = dy * dir;
        const xa = Math.min(x, xNext);
        const xb = Math.max(x, xNext);
        const xaFloor = Math.floor(xa);
        const xbCeil = Math.ceil(xb);
        const ri = y - row0;
        if (xaFloor < rowFrom[ri]!) rowFrom[ri] = xaFloor;
        if (xbCeil + 1 > rowTo[ri]!) rowTo[ri] = xbCeil + 1;
        this.touch(ri, xaFloor, xbCeil + 1);
        if (xbCeil <= xaFloor + 1) {
          // The piece stays in one cell: split its cover by the mean x.
          const xm = 0.5 * (x + xNext) - xaFloor;
          acc[line + xaFloor]! += d - d * xm;
          acc[line + xaFloor + 1]! += d * xm;
        } else {
          const s = 1 / (xb - xa);
          const xaf = xa - xaFloor;
          const a0 = 0.5 * s * (1 - xaf) * (1 - xaf);
          const xbf = xb - xbCeil + 1;
          const am = 0.5 * s * xbf * xbf;
          acc[line + xaFloor]! += d * a0;
          if (xbCeil === xaFloor + 2) {
            acc[line + xaFloor + 1]! += d * (1 - a0 - am);
          } else {
            const a1 = s * (1.5 - xaf);
            acc[line + xaFloor + 1]! += d * (a1 - a0);
            for (let xi = xaFloor + 2; xi < xbCeil - 1; xi++) acc[line + xi]! += d * s;
            const a2 = a1 + (xbCeil - xaFloor - 3) * s;
            acc[line + xbCeil - 1]! += d * (1 - a2 - am);
          }
          acc[line + xbCeil]! += d * am;
        }
      }
    }
    for (let r = 0; r < count; r++) {
      if (this.rowTo[r]! > w) this.rowTo[r] = w + 2;
      if (this.rowFrom[r]! >= this.rowTo[r]!) {
        this.rowFrom[r] = 0;
        this.rowTo[r] = 0;
      }
    }
  }

  /**
   * Fractional mode, second half: running sums of `acc` into `out` (stride
   * `width`), zeroing `acc` behind them. Coverage is 0 outside [rowFrom, rowTo)
   * (a closed ring's deposits over a row sum to 0).
   */
  private prefix(count: number, out: Float64Array): void {
    for (let r = 0; r < count; r++) this.prefixRow(r, out, r * this.width);
  }

  /** The running sum of band row `r` into out[offset…offset+width), zeroing `acc` behind it; sets rowTo[r] ≤ width. */
  prefixRow(r: number, out: Float64Array, offset: number): void {
    const w = this.width;
    const acc = this.acc;
    const line = r * (w + 2);
    const from = this.rowFrom[r]!;
    const end = this.rowTo[r]!;
    const to = Math.min(w, end);
    out.fill(0, offset, offset + w);
    let sum = 0;
    for (let c = from; c < end; c++) {
      sum += acc[line + c]!;
      acc[line + c] = 0;
      if (c < to) out[offset + c] = sum < 1e-12 ? 0 : sum > 1 - 1e-12 ? 1 : sum;
    }
    this.rowTo[r] = to;
  }

  /**
   * The cells each band row's deposits touched, as half-open column intervals
   * [start, end) (relative to colMin), in a linked list per row: between them the
   * running sum is constant, so readers can treat those stretches as runs.
   */
  rowHead: Int32Array = new Int32Array(0);
  touchStart: Int32Array = new Int32Array(1024);
  touchEnd: Int32Array = new Int32Array(1024);
  touchNext: Int32Array = new Int32Array(1024);
  touchCount = 0;

  private touch(ri: number, start: number, end: number): void {
    const head = this.rowHead[ri]!;
    // Pieces of one edge in one row come in order: extend the last interval when they meet.
    if (head >= 0 && this.touchEnd[head]! >= start && this.touchStart[head]! <= end) {
      if (start < this.touchStart[head]!) this.touchStart[head] = start;
      if (end > this.touchEnd[head]!) this.touchEnd[head] = end;
      return;
    }
    const k = this.touchCount++;
    if (k >= this.touchStart.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.touchStart = grow(this.touchStart);
      this.touchEnd = grow(this.touchEnd);
      this.touchNext = grow(this.touchNext);
    }
    this.touchStart[k] = start;
    this.touchEnd[k] = end;
    this.touchNext[k] = head;
    this.rowHead[ri] = k;
  }

  private intervalScratch = new Float64Array(64);

  /**
   * The touched intervals of band row `ri`, sorted and merged, as [start0, end0, start1, end1, …]
   * in a scratch array; returns the number of intervals.
   */
  rowIntervals(ri: number): { list: Float64Array; count: number } {
    let n = 0;
    for (let k = this.rowHead[ri]!; k >= 0; k = this.touchNext[k]!) n++;
    if (this.intervalScratch.length < 2 * n) this.intervalScratch = new Float64Array(4 * n);
    const list = this.intervalScratch;
    let i = 0;
    for (let k = this.rowHead[ri]!; k >= 0; k = this.touchNext[k]!) {
      // Insertion sort by start (rows cross few edges).
      const s0 = this.touchStart[k]!,
        e0 = this.touchEnd[k]!;
      let j = i;
      while (j > 0 && list[2 * (j - 1)]! > s0) {
        list[2 * j] = list[2 * (j - 1)]!;
        list[2 * j + 1] = list[2 * (j - 1) + 1]!;
        j--;
      }
      list[2 * j] = s0;
      list[2 * j + 1] = e0;
      i++;
    }
    // Merge overlapping or adjacent intervals.
    let m = 0;
    for (let k = 0; k < n; k++) {
      if (m > 0 && list[2 * k]! <= list[2 * (m - 1) + 1]!) {
        if (list[2 * k + 1]! > list[2 * (m - 1) + 1]!) list[2 * (m - 1) + 1] = list[2 * k + 1]!;
      } else {
        list[2 * m] = list[2 * k]!;
        list[2 * m + 1] = list[2 * k + 1]!;
        m++;
      }
    }
    return { list, count: m };
  }

  /**
   * Where the rectangle [x0, x1] × [y0, y1] (pixel coordinates) lies: 1 wholly
   * inside (coverage 1 everywhere, fractional mode's rule for a full pixel), 0
   * wholly outside, −1 on the boundary. Inside or outside when no edge's box
   * meets it, by the crossings of a ray from its centre, counted as the
   * deposit's running sum counts them. Conservative: an edge whose box only
   * grazes a corner makes it a boundary rectangle.
   */
  rectangle(x0: number, y0: number, x1: number, y1: number): -1 | 0 | 1 {
    const e = this.edges;
    const cx = (x0 + x1) / 2,
      cy = (y0 + y1) / 2;
    let winding = 0;
    for (let k = 0; k < e.length; k += 5) {
      const ax = e[k]!,
        ay = e[k + 1]!,
        bx = e[k + 2]!,
        by = e[k + 3]!;
      if (Math.max(ax, bx) >= x0 && Math.min(ax, bx) <= x1 && Math.max(ay, by) >= y0 && Math.min(ay, by) <= y1) return -1;
      if (ay > cy !== by > cy && ax + ((cy - ay) * (bx - ax)) / (by - ay) < cx) winding += ay < by ? e[k + 4]! : -e[k + 4]!;
    }
    return winding >= 1 - 1e-12 ? 1 : winding <= 1e-12 ? 0 : -1;
  }

  /** The deposit buffer (see `deposit`). */
  acc = new Float64Array(0);

  private centreRows(row0: number, row1: number, out: Float64Array): void {
    const e = this.edges;
    const xs = this.crossings;
    const w = this.width;
    for (let row = row0; row < row1; row++) {
      const y = row + 0.5;
      let n = 0;
      for (let k = 0; k < e.length; k += 5) {
        const ay = e[k + 1]!,
          by = e[k + 3]!;
        if (ay > y !== by > y) xs[n++] = e[k]! + ((y - ay) * (e[k + 2]! - e[k]!)) / (by - ay) - this.colMin;
      }
      const sorted = xs.subarray(0, n).sort();
      const o = (row - row0) * w;
      for (let i = 0; i + 1 < n; i += 2) {
        const from = Math.max(0, Math.ceil(sorted[i]! - 0.5));
        const to = Math.min(w, Math.ceil(sorted[i + 1]! - 0.5));
        for (let c = from; c < to; c++) out[o + c] = 1;
      }
    }
  }
}
