/**
 * Connected components of a binary mask streamed row by row (8- or
 * 4-connectivity), with union–find over provisional labels, so a raster of
 * any size is labelled holding two rows and the runs of the components, not
 * the raster. Each component keeps its runs, so it can be outlined as
 * polygons (raster to vector, holes included).
 */

export interface Component {
  /** 1-based, in order of first appearance (top to bottom, left to right). */
  id: number;
  pixels: number;
  /** Σ of the weights given per pixel (e.g. covered area in m²). */
  weight: number;
  /** Mean pixel-centre position (column, row). */
  centroid: [number, number];
  /** [minCol, minRow, maxCol + 1, maxRow + 1] in pixel coordinates. */
  bbox: [number, number, number, number];
  /** Runs as [row, colStart, colEnd) triples. */
  runs: Int32Array;
  /** Per extra channel given to `pushRow`: sum, min and max over the component's pixels. */
  channels: Array<{ sum: number; min: number; max: number }>;
}

export class StreamingLabeler {
  private prevStart: number[] = [];
  private prevEnd: number[] = [];
  private prevLabel: number[] = [];
  private parent: number[] = [0];
  private pixels: number[] = [0];
  private weight: number[] = [0];
  private sumX: number[] = [0];
  private sumY: number[] = [0];
  private box: number[][] = [[0, 0, 0, 0]];
  private runs: number[][] = [[]];
  private chSum: number[][];
  private chMin: number[][];
  private chMax: number[][];
  private row = -1;

  constructor(
    readonly width: number,
    readonly connectivity: 4 | 8 = 8,
    /** Column of mask index 0, added to the runs' columns. */
    readonly colOffset = 0,
    /** Number of extra per-pixel channels (sum, min, max are kept per component). */
    readonly channelCount = 0,
  ) {
    this.chSum = Array.from({ length: channelCount }, () => [0]);
    this.chMin = Array.from({ length: channelCount }, () => [0]);
    this.chMax = Array.from({ length: channelCount }, () => [0]);
  }

  private find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) {
      p[a] = p[p[a]!]!;
      a = p[a]!;
    }
    return a;
  }

  /** Feed the next row (rows must come in order, without gaps in the numbering). */
  pushRow(row: number, mask: Uint8Array, weights?: Float64Array, channels?: ArrayLike<number>[]): void {
    if (row !== this.row + 1 && this.row >= 0) {
      // A gap: nothing connects across it.
      this.prevStart = [];
      this.prevEnd = [];
      this.prevLabel = [];
    }
    this.row = row;
    const starts: number[] = [];
    const ends: number[] = [];
    const labels: number[] = [];
    const reach = this.connectivity === 8 ? 1 : 0;
    let k = 0; // first previous run that may still overlap
    for (let c = 0; c < this.width; ) {
      if (!mask[c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < this.width && mask[c]) c++;
      const end = c;
      let label = 0;
      while (k < this.prevEnd.length && this.prevEnd[k]! + reach <= start) k++;
      for (let j = k; j < this.prevStart.length && this.prevStart[j]! < end + reach; j++) {
        const other = this.find(this.prevLabel[j]!);
        if (label === 0) label = other;
        else if (other !== label) {
          const [lo, hi] = other < label ? [other, label] : [label, other];
          this.parent[hi] = lo;
          label = lo;
        }
      }
      if (label === 0) {
        label = this.parent.length;
        this.parent.push(label);
        this.pixels.push(0);
        this.weight.push(0);
        this.sumX.push(0);
        this.sumY.push(0);
        this.box.push([Infinity, Infinity, -Infinity, -Infinity]);
        this.runs.push([]);
        for (let ch = 0; ch < this.channelCount; ch++) {
          this.chSum[ch]!.push(0);
          this.chMin[ch]!.push(Infinity);
          this.chMax[ch]!.push(-Infinity);
        }
      }
      if (channels) {
        for (let ch = 0; ch < this.channelCount; ch++) {
          const values = channels[ch]!;
          let sum = 0, min = Infinity, max = -Infinity;
          for (let i = start; i < end; i++) {
            const v = values[i]!;
            sum += v;
            if (v < min) min = v;
            if (v > max) max = v;
          }
          this.chSum[ch]![label]! += sum;
          if (min < this.chMin[ch]![label]!) this.chMin[ch]![label] = min;
          if (max > this.chMax[ch]![label]!) this.chMax[ch]![label] = max;
        }
      }
      let w = 0;
      if (weights) for (let i = start; i < end; i++) w += weights[i]!;
      else w = end - start;
      const n = end - start;
      this.pixels[label]! += n;
      this.weight[label]! += w;
      this.sumX[label]! += n * (this.colOffset + (start + end) / 2);
      this.sumY[label]! += n * (row + 0.5);
      const b = this.box[label]!;
      b[0] = Math.min(b[0]!, this.colOffset + start);
      b[1] = Math.min(b[1]!, row);
      b[2] = Math.max(b[2]!, this.colOffset + end);
      b[3] = Math.max(b[3]!, row + 1);
      this.runs[label]!.push(row, this.colOffset + start, this.colOffset + end);
      starts.push(start);
      ends.push(end);
      labels.push(label);
    }
    this.prevStart = starts;
    this.prevEnd = ends;
    this.prevLabel = labels;
  }

  /** The components, provisional labels merged, in order of first appearance. */
  finish(): Component[] {
    const byRoot = new Map<number, number[]>();
    for (let l = 1; l < this.parent.length; l++) {
      const r = this.find(l);
      let list = byRoot.get(r);
      if (!list) byRoot.set(r, (list = []));
      list.push(l);
    }
    const out: Component[] = [];
    for (const [root, members] of [...byRoot].sort((a, b) => a[0] - b[0])) {
      let pixels = 0, weight = 0, sx = 0, sy = 0;
      const channels = Array.from({ length: this.channelCount }, () => ({ sum: 0, min: Infinity, max: -Infinity }));
      const bbox: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
      const runs: number[] = [];
      for (const l of members) {
        pixels += this.pixels[l]!;
        weight += this.weight[l]!;
        sx += this.sumX[l]!;
        sy += this.sumY[l]!;
        const b = this.box[l]!;
        bbox[0] = Math.min(bbox[0], b[0]!);
        bbox[1] = Math.min(bbox[1], b[1]!);
        bbox[2] = Math.max(bbox[2], b[2]!);
        bbox[3] = Math.max(bbox[3], b[3]!);
        runs.push(...this.runs[l]!);
        channels.forEach((c, ch) => {
          c.sum += this.chSum[ch]![l]!;
          c.min = Math.min(c.min, this.chMin[ch]![l]!);
          c.max = Math.max(c.max, this.chMax[ch]![l]!);
        });
      }
      void root;
      // Runs sorted by row then column.
      const triples: Array<[number, number, number]> = [];
      for (let i = 0; i < runs.length; i += 3) triples.push([runs[i]!, runs[i + 1]!, runs[i + 2]!]);
      triples.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      out.push({ id: out.length + 1, pixels, weight, centroid: [sx / pixels, sy / pixels], bbox, runs: Int32Array.from(triples.flat()), channels });
    }
    return out;
  }
}

/**
 * The outline of a component as polygons in pixel coordinates: [shell, …holes][]
 * (closed rings, shells counter-clockwise in x-right/y-up terms, i.e. clockwise on
 * screen; holes the other way). Pixels that touch only at a corner are separate
 * polygons of one component.
 */
export function outlineRuns(runs: Int32Array): number[][][][] {
  // Rows → runs.
  const rows = new Map<number, Array<[number, number]>>();
  for (let i = 0; i < runs.length; i += 3) {
    let list = rows.get(runs[i]!);
    if (!list) rows.set(runs[i]!, (list = []));
    list.push([runs[i + 1]!, runs[i + 2]!]);
  }
  // Directed unit-free boundary edges with the inside on their right in screen coordinates (y down):
  // top edges run left→right along y = row, bottom edges right→left along y = row + 1,
  // left ends bottom→top, right ends top→bottom.
  type Edge = [number, number, number, number];
  const edges: Edge[] = [];
  const uncovered = (segments: Array<[number, number]>, a: number, b: number): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    let x = a;
    for (const [s, e] of segments) {
      if (e <= x || s >= b) continue;
      if (s > x) out.push([x, Math.min(s, b)]);
      x = Math.max(x, e);
      if (x >= b) break;
    }
    if (x < b) out.push([x, b]);
    return out;
  };
  for (const [row, list] of rows) {
    const above = rows.get(row - 1) ?? [];
    const below = rows.get(row + 1) ?? [];
    for (const [a, b] of list) {
      for (const [s, e] of uncovered(above, a, b)) edges.push([s, row, e, row]);
      for (const [s, e] of uncovered(below, a, b)) edges.push([e, row + 1, s, row + 1]);
      edges.push([a, row + 1, a, row]);
      edges.push([b, row, b, row + 1]);
    }
  }
  // Chain edges into rings. At a vertex with two outgoing edges (two pixels touching at a
  // corner) take the right-most turn, which keeps corner-touching pixels apart.
  const key = (x: number, y: number): string => `${x},${y}`;
  const outgoing = new Map<string, number[]>();
  edges.forEach((e, i) => {
    const k = key(e[0], e[1]);
    const list = outgoing.get(k);
    if (list) list.push(i);
    else outgoing.set(k, [i]);
  });
  const used = new Uint8Array(edges.length);
  const rings: number[][][] = [];
  for (let i = 0; i < edges.length; i++) {
    if (used[i]) continue;
    const ring: number[][] = [];
    let current = i;
    while (!used[current]) {
      used[current] = 1;
      const [x0, y0, x1, y1] = edges[current]!;
      ring.push([x0, y0]);
      const candidates = (outgoing.get(key(x1, y1)) ?? []).filter((j) => !used[j]);
      if (candidates.length === 0) break;
      if (candidates.length === 1) current = candidates[0]!;
      else {
        // Right-most turn relative to the incoming direction (screen coordinates).
        const dx = Math.sign(x1 - x0), dy = Math.sign(y1 - y0);
        const score = (j: number): number => {
          const [, , ex, ey] = edges[j]!;
          const ndx = Math.sign(ex - x1), ndy = Math.sign(ey - y1);
          const cross = dx * ndy - dy * ndx; // > 0: right turn on screen (y down)
          return cross > 0 ? 2 : cross === 0 ? 1 : 0;
        };
        current = candidates.sort((p, q) => score(q) - score(p))[0]!;
      }
    }
    // Drop collinear vertices.
    const simplified: number[][] = [];
    for (let k = 0; k < ring.length; k++) {
      const prev = ring[(k + ring.length - 1) % ring.length]!;
      const cur = ring[k]!;
      const next = ring[(k + 1) % ring.length]!;
      if ((cur[0]! - prev[0]!) * (next[1]! - cur[1]!) - (cur[1]! - prev[1]!) * (next[0]! - cur[0]!) !== 0) simplified.push(cur);
    }
    simplified.push(simplified[0]!);
    rings.push(simplified);
  }
  // Shells have positive screen-space shoelace area (clockwise on screen), holes negative.
  const area2 = (r: number[][]): number => r.slice(1).reduce((s, p, k) => s + (r[k]![0]! * p[1]! - p[0]! * r[k]![1]!), 0);
  const shells = rings.filter((r) => area2(r) > 0);
  const holes = rings.filter((r) => area2(r) < 0);
  const polygons: number[][][][] = shells.map((s) => [s]);
  const inside = (x: number, y: number, r: number[][]): boolean => {
    let c = false;
    for (let k = 0; k + 1 < r.length; k++) {
      const [x1, y1] = r[k]! as [number, number];
      const [x2, y2] = r[k + 1]! as [number, number];
      if (y1 > y !== y2 > y && x < x1 + ((y - y1) * (x2 - x1)) / (y2 - y1)) c = !c;
    }
    return c;
  };
  for (const h of holes) {
    // A point just inside the hole: the midpoint of its first edge, nudged to the hole's interior side.
    const [ax, ay] = h[0]! as [number, number];
    const [bx, by] = h[1]! as [number, number];
    const px = (ax + bx) / 2 + (by - ay) * 0.25;
    const py = (ay + by) / 2 - (bx - ax) * 0.25;
    const owner = polygons.find((p) => inside(px, py, p[0]!)) ?? polygons[0];
    owner?.push(h);
  }
  return polygons;
}
