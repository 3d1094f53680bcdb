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

function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as { new (n: number): T })(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Runs of the open components of a StreamingLabeler: slots of (row, start,
 * end) linked per label, recycled as components close.
 */
class RunPool {
  private row = new Int32Array(1024);
  private start = new Int32Array(1024);
  private end = new Int32Array(1024);
  private next = new Int32Array(1024);
  private slots = 0;
  private free = -1;
  head = new Int32Array(1024).fill(-1);
  private tail = new Int32Array(1024);

  growLabels(n: number): void {
    if (n <= this.head.length) return;
    const head = new Int32Array(n).fill(-1);
    head.set(this.head);
    this.head = head;
    this.tail = grow(this.tail, n);
  }

  add(label: number, row: number, start: number, end: number): void {
    let k = this.free;
    if (k >= 0) this.free = this.next[k]!;
    else {
      k = this.slots++;
      if (k >= this.row.length) {
        this.row = grow(this.row, k + 1);
        this.start = grow(this.start, k + 1);
        this.end = grow(this.end, k + 1);
        this.next = grow(this.next, k + 1);
      }
    }
    this.row[k] = row;
    this.start[k] = start;
    this.end[k] = end;
    this.next[k] = -1;
    if (this.head[label] === -1) this.head[label] = k;
    else this.next[this.tail[label]!] = k;
    this.tail[label] = k;
  }

  /** Label `gone` joins `keep`: its runs are appended to keep's. */
  join(keep: number, gone: number): void {
    if (this.head[gone] === -1) return;
    if (this.head[keep] === -1) this.head[keep] = this.head[gone]!;
    else this.next[this.tail[keep]!] = this.head[gone]!;
    this.tail[keep] = this.tail[gone]!;
    this.head[gone] = -1;
  }

  /** The runs of a closing component as sorted (row, start, end) triples when `wanted`; its slots go back to the pool. */
  take(root: number, wanted: boolean): Int32Array {
    const head = this.head[root]!;
    if (head === -1) return new Int32Array(0);
    let out = new Int32Array(0);
    if (wanted) {
      let n = 0;
      for (let k = head; k !== -1; k = this.next[k]!) n++;
      const order = new Int32Array(n);
      n = 0;
      for (let k = head; k !== -1; k = this.next[k]!) order[n++] = k;
      const rowOf = this.row,
        startOf = this.start;
      order.sort((a, b) => rowOf[a]! - rowOf[b]! || startOf[a]! - startOf[b]!);
      out = new Int32Array(3 * n);
      for (let i = 0; i < n; i++) {
        const k = order[i]!;
        out[3 * i] = rowOf[k]!;
        out[3 * i + 1] = startOf[k]!;
        out[3 * i + 2] = this.end[k]!;
      }
    }
    this.next[this.tail[root]!] = this.free;
    this.free = head;
    this.head[root] = -1;
    return out;
  }
}

/**
 * Streaming connected-component labelling. Statistics are merged into the
 * root label as components join, so a component's figures are ready the
 * moment it ends. A component that no longer touches the current row is
 * closed at once (handed to `onComponent`, or kept for `finish`, when it
 * passes `keep`) and its provisional labels are recycled. With `keepRuns`
 * each open component also holds its runs (for outlines) in a pool of run
 * slots that are recycled as components close, so memory follows the width
 * of the mask and the components kept, not its height; a `keep` filter
 * (a minimum area…) drops the small ones before any object is made.
 */
export class StreamingLabeler {
  private parent = new Int32Array(1024);
  private next = new Int32Array(1024); // member list of each component (-1 ends it)
  private tail = new Int32Array(1024);
  private first = new Float64Array(1024); // order of first appearance
  private pixels = new Float64Array(1024);
  private weight = new Float64Array(1024);
  private sumX = new Float64Array(1024);
  private sumY = new Float64Array(1024);
  private box = new Int32Array(4 * 1024);
  private chSum: Float64Array[];
  private chMin: Float64Array[];
  private chMax: Float64Array[];
  private labels = 1;
  private free: number[] = [];
  private appearance = 0;
  // Runs of the previous and current rows.
  private prevStart: Int32Array;
  private prevEnd: Int32Array;
  private prevLabel: Int32Array;
  private prevCount = 0;
  private curStart: Int32Array;
  private curEnd: Int32Array;
  private curLabel: Int32Array;
  private seen = new Uint8Array(1024);
  // Runs of the open components (keepRuns), by label.
  private readonly runs = new RunPool();
  private row = -1;
  private closed: Array<Component & { order: number }> = [];

  constructor(
    readonly width: number,
    readonly connectivity: 4 | 8 = 8,
    /** Column of mask index 0, added to the runs' columns. */
    readonly colOffset = 0,
    /** Number of extra per-pixel channels (sum, min, max are kept per component). */
    readonly channelCount = 0,
    /** Keep every run (for outlines); without them memory holds only the open components. */
    readonly keepRuns = true,
    /** Receives each component as it closes; otherwise `finish` returns them. */
    readonly onComponent?: (component: Component) => void,
    /** Components to keep, judged when they close (default all): the others are dropped, runs unread. */
    readonly keep?: (pixels: number, weight: number) => boolean,
  ) {
    this.chSum = Array.from({ length: channelCount }, () => new Float64Array(1024));
    this.chMin = Array.from({ length: channelCount }, () => new Float64Array(1024));
    this.chMax = Array.from({ length: channelCount }, () => new Float64Array(1024));
    const maxRuns = Math.ceil(width / 2) + 1;
    this.prevStart = new Int32Array(maxRuns);
    this.prevEnd = new Int32Array(maxRuns);
    this.prevLabel = new Int32Array(maxRuns);
    this.curStart = new Int32Array(maxRuns);
    this.curEnd = new Int32Array(maxRuns);
    this.curLabel = new Int32Array(maxRuns);
  }

  private find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) {
      p[a] = p[p[a]!]!;
      a = p[a]!;
    }
    return a;
  }

  private newLabel(): number {
    let l = this.free.pop();
    if (l === undefined) {
      l = this.labels++;
      if (l >= this.parent.length) {
        const n = l + 1;
        this.parent = grow(this.parent, n);
        this.next = grow(this.next, this.parent.length);
        this.tail = grow(this.tail, this.parent.length);
        this.first = grow(this.first, this.parent.length);
        this.pixels = grow(this.pixels, this.parent.length);
        this.weight = grow(this.weight, this.parent.length);
        this.sumX = grow(this.sumX, this.parent.length);
        this.sumY = grow(this.sumY, this.parent.length);
        this.box = grow(this.box, 4 * this.parent.length);
        this.runs.growLabels(this.parent.length);
        const seen = new Uint8Array(this.parent.length);
        seen.set(this.seen);
        this.seen = seen;
        for (let ch = 0; ch < this.channelCount; ch++) {
          this.chSum[ch] = grow(this.chSum[ch]!, this.parent.length);
          this.chMin[ch] = grow(this.chMin[ch]!, this.parent.length);
          this.chMax[ch] = grow(this.chMax[ch]!, this.parent.length);
        }
      }
    }
    this.parent[l] = l;
    this.next[l] = -1;
    this.runs.head[l] = -1;
    this.tail[l] = l;
    this.first[l] = this.appearance++;
    this.pixels[l] = 0;
    this.weight[l] = 0;
    this.sumX[l] = 0;
    this.sumY[l] = 0;
    this.box[4 * l] = 0x7fffffff;
    this.box[4 * l + 1] = 0x7fffffff;
    this.box[4 * l + 2] = -0x7fffffff;
    this.box[4 * l + 3] = -0x7fffffff;
    for (let ch = 0; ch < this.channelCount; ch++) {
      this.chSum[ch]![l] = 0;
      this.chMin[ch]![l] = Infinity;
      this.chMax[ch]![l] = -Infinity;
    }
    return l;
  }

  /** Join the components of roots a and b; returns the surviving root (statistics merged into it). */
  private union(a: number, b: number): number {
    const [keep, gone] = this.first[a]! <= this.first[b]! ? [a, b] : [b, a];
    this.parent[gone] = keep;
    this.next[this.tail[keep]!] = gone;
    this.tail[keep] = this.tail[gone]!;
    if (this.keepRuns) this.runs.join(keep, gone);
    this.pixels[keep]! += this.pixels[gone]!;
    this.weight[keep]! += this.weight[gone]!;
    this.sumX[keep]! += this.sumX[gone]!;
    this.sumY[keep]! += this.sumY[gone]!;
    const k = 4 * keep,
      g = 4 * gone,
      box = this.box;
    if (box[g]! < box[k]!) box[k] = box[g]!;
    if (box[g + 1]! < box[k + 1]!) box[k + 1] = box[g + 1]!;
    if (box[g + 2]! > box[k + 2]!) box[k + 2] = box[g + 2]!;
    if (box[g + 3]! > box[k + 3]!) box[k + 3] = box[g + 3]!;
    for (let ch = 0; ch < this.channelCount; ch++) {
      this.chSum[ch]![keep]! += this.chSum[ch]![gone]!;
      if (this.chMin[ch]![gone]! < this.chMin[ch]![keep]!) this.chMin[ch]![keep] = this.chMin[ch]![gone]!;
      if (this.chMax[ch]![gone]! > this.chMax[ch]![keep]!) this.chMax[ch]![keep] = this.chMax[ch]![gone]!;
    }
    return keep;
  }

  // Runs of a mask row, made by pushRow for pushRuns.
  private maskStart = new Int32Array(0);
  private maskEnd = new Int32Array(0);
  private maskWeight = new Float64Array(0);

  /** Feed the next row as a mask (rows must come in order; a gap in the numbering breaks connectivity). */
  pushRow(row: number, mask: Uint8Array, weights?: Float64Array, channels?: ArrayLike<number>[]): void {
    const width = this.width;
    if (this.maskStart.length === 0) {
      this.maskStart = new Int32Array(this.curStart.length);
      this.maskEnd = new Int32Array(this.curStart.length);
      this.maskWeight = new Float64Array(this.curStart.length);
    }
    const starts = this.maskStart,
      ends = this.maskEnd,
      runWeights = this.maskWeight;
    let n = 0;
    for (let c = 0; c < width; ) {
      if (mask[c] === 0) {
        c++;
        continue;
      }
      const start = c;
      let w = 0;
      if (weights) while (c < width && mask[c] !== 0) w += weights[c++]!;
      else while (c < width && mask[c] !== 0) c++;
      starts[n] = start;
      ends[n] = c;
      runWeights[n] = weights ? w : c - start;
      n++;
    }
    this.pushRuns(row, starts, ends, runWeights, n, channels);
  }

  /**
   * Feed the next row as runs: [starts[i], ends[i]) in mask columns, left to right and apart
   * (a gap of at least one column), with their weights (rows in order; a gap in the numbering
   * breaks connectivity). Callers that find runs while reading pixels skip the mask and its scan.
   */
  pushRuns(row: number, starts: Int32Array, ends: Int32Array, runWeights: Float64Array, count: number, channels?: ArrayLike<number>[]): void {
    if (row !== this.row + 1 && this.row >= 0) this.closeAll(this.prevLabel, this.prevCount), (this.prevCount = 0);
    this.row = row;
    const reach = this.connectivity === 8 ? 1 : 0;
    const pS = this.prevStart,
      pE = this.prevEnd,
      pL = this.prevLabel,
      pN = this.prevCount;
    const cS = this.curStart,
      cE = this.curEnd,
      cL = this.curLabel;
    let n = 0;
    let k = 0; // first previous run that may still overlap
    for (let i = 0; i < count; i++) {
      const start = starts[i]!;
      const end = ends[i]!;
      let label = 0;
      while (k < pN && pE[k]! + reach <= start) k++;
      for (let j = k; j < pN && pS[j]! < end + reach; j++) {
        const other = this.find(pL[j]!);
        if (label === 0) label = other;
        else if (other !== label) label = this.union(label, other);
      }
      if (label === 0) label = this.newLabel();
      const runPixels = end - start;
      this.pixels[label]! += runPixels;
      this.weight[label]! += runWeights[i]!;
      this.sumX[label]! += runPixels * (this.colOffset + (start + end) / 2);
      this.sumY[label]! += runPixels * (row + 0.5);
      const b = 4 * label;
      const box = this.box;
      if (this.colOffset + start < box[b]!) box[b] = this.colOffset + start;
      if (row < box[b + 1]!) box[b + 1] = row;
      if (this.colOffset + end > box[b + 2]!) box[b + 2] = this.colOffset + end;
      if (row + 1 > box[b + 3]!) box[b + 3] = row + 1;
      if (channels) {
        for (let ch = 0; ch < this.channelCount; ch++) {
          const values = channels[ch]!;
          let sum = 0,
            min = Infinity,
            max = -Infinity;
          for (let p = start; p < end; p++) {
            const v = values[p]!;
            sum += v;
            if (v < min) min = v;
            if (v > max) max = v;
          }
          this.chSum[ch]![label]! += sum;
          if (min < this.chMin[ch]![label]!) this.chMin[ch]![label] = min;
          if (max > this.chMax[ch]![label]!) this.chMax[ch]![label] = max;
        }
      }
      if (this.keepRuns) this.runs.add(label, row, this.colOffset + start, this.colOffset + end);
      cS[n] = start;
      cE[n] = end;
      cL[n] = label;
      n++;
    }
    // Components of the previous row that reach no run of this row are complete.
    for (let i = 0; i < n; i++) this.seen[this.find(cL[i]!)] = 1;
    for (let j = 0; j < pN; j++) {
      const r = this.find(pL[j]!);
      if (this.seen[r] === 0) {
        this.seen[r] = 2; // closed (once)
        this.close(r);
      }
    }
    for (let i = 0; i < n; i++) this.seen[this.find(cL[i]!)] = 0;
    for (let j = 0; j < pN; j++) this.seen[this.find(pL[j]!)] = 0;
    // Swap the row buffers.
    this.prevStart = cS;
    this.prevEnd = cE;
    this.prevLabel = cL;
    this.curStart = pS;
    this.curEnd = pE;
    this.curLabel = pL;
    this.prevCount = n;
  }

  private componentOf(root: number, runs: Int32Array): Component & { order: number } {
    const px = this.pixels[root]!;
    const channels = Array.from({ length: this.channelCount }, (_, ch) => ({ sum: this.chSum[ch]![root]!, min: this.chMin[ch]![root]!, max: this.chMax[ch]![root]! }));
    const b = 4 * root;
    return {
      id: 0,
      order: this.first[root]!,
      pixels: px,
      weight: this.weight[root]!,
      centroid: [this.sumX[root]! / px, this.sumY[root]! / px],
      bbox: [this.box[b]!, this.box[b + 1]!, this.box[b + 2]!, this.box[b + 3]!],
      runs,
      channels,
    };
  }

  /** Close a complete component: hand it on and recycle its labels. */
  private close(root: number): void {
    const kept = !this.keep || this.keep(this.pixels[root]!, this.weight[root]!);
    const runs = this.keepRuns ? this.runs.take(root, kept) : new Int32Array(0);
    if (kept) {
      const component = this.componentOf(root, runs);
      if (this.onComponent) {
        component.id = ++this.emitted;
        this.onComponent(component);
      } else this.closed.push(component);
    }
    for (let l = root; l !== -1; l = this.next[l]!) this.free.push(l);
  }

  private emitted = 0;

  private closeAll(labels: Int32Array, count: number): void {
    for (let j = 0; j < count; j++) {
      const r = this.find(labels[j]!);
      if (this.seen[r] === 2) continue;
      this.seen[r] = 2;
      this.close(r);
    }
    for (let j = 0; j < count; j++) this.seen[this.find(labels[j]!)] = 0;
  }

  /** The components (those not yet handed to `onComponent`), in order of first appearance. */
  finish(): Component[] {
    this.closeAll(this.prevLabel, this.prevCount);
    this.prevCount = 0;
    const out = this.closed.sort((a, b) => a.order - b.order);
    this.closed = [];
    return out.map(({ order: _order, ...c }, i) => ({ ...c, id: i + 1 }));
  }
}

/**
 * The outline of a component as polygons in pixel coordinates: [shell, …holes][]
 * (closed rings, shells counter-clockwise in x-right/y-up terms, i.e. clockwise on
 * screen; holes the other way). Pixels that touch only at a corner are separate
 * polygons of one component.
 * `minHoleAreaPx` leaves out holes smaller than that many pixels.
 */
export function outlineRuns(runs: Int32Array, options: { minHoleAreaPx?: number } = {}): number[][][][] {
  const rows = indexRuns(runs);
  return assignHoles(chainRings(boundaryEdges(rows)), options.minHoleAreaPx ?? 0);
}

interface IndexedRuns {
  /** Runs (row, start, end) sorted by row then start. */
  r: Int32Array;
  /** Each row present: its number and the range of its runs in `r`. */
  rowValue: number[];
  rowFirst: number[];
  rowEnd: number[];
}

/** Runs by row then start (as components give them; sorted here otherwise), and each row's range of runs. */
function indexRuns(runs: Int32Array): IndexedRuns {
  // Runs by row then start (as components give them; sorted here otherwise), and each row's range of runs.
  let r = runs;
  for (let i = 3; i < r.length; i += 3) {
    if (r[i]! < r[i - 3]! || (r[i] === r[i - 3] && r[i + 1]! < r[i - 2]!)) {
      const order = Array.from({ length: r.length / 3 }, (_, k) => k).sort((p, q) => runs[3 * p]! - runs[3 * q]! || runs[3 * p + 1]! - runs[3 * q + 1]!);
      r = new Int32Array(runs.length);
      order.forEach((k, j) => r.set(runs.subarray(3 * k, 3 * k + 3), 3 * j));
      break;
    }
  }
  const rowValue: number[] = [],
    rowFirst: number[] = [],
    rowEnd: number[] = [];
  for (let i = 0; i < r.length; i += 3) {
    if (rowValue.length === 0 || rowValue[rowValue.length - 1] !== r[i]) {
      if (rowValue.length) rowEnd.push(i);
      rowValue.push(r[i]!);
      rowFirst.push(i);
    }
  }
  rowEnd.push(r.length);
  return { r, rowValue, rowFirst, rowEnd };
}

/**
 * Directed boundary edges (flat x0, y0, x1, y1) with the inside on their right in screen coordinates
 * (y down): top edges run left→right along y = row, bottom edges right→left along y = row + 1, left
 * ends bottom→top, right ends top→bottom.
 */
function boundaryEdges({ r, rowValue, rowFirst, rowEnd }: IndexedRuns): number[] {
  const edges: number[] = [];
  /** The parts of [a, b) that the runs r[from…end) (one row, sorted) leave uncovered, as edges on line y. */
  const uncovered = (from: number, end: number, a: number, b: number, y: number, top: boolean): void => {
    let x = a;
    for (let i = from; i < end && x < b; i += 3) {
      const s0 = r[i + 1]!,
        e0 = r[i + 2]!;
      if (e0 <= x || s0 >= b) continue;
      if (s0 > x) edge(x, Math.min(s0, b), y, top);
      if (e0 > x) x = e0;
    }
    if (x < b) edge(x, b, y, top);
  };
  const edge = (s0: number, e0: number, y: number, top: boolean): void => {
    if (top) edges.push(s0, y, e0, y);
    else edges.push(e0, y, s0, y);
  };
  for (let k = 0; k < rowValue.length; k++) {
    const row = rowValue[k]!;
    const above = k > 0 && rowValue[k - 1] === row - 1 ? k - 1 : -1;
    const below = k + 1 < rowValue.length && rowValue[k + 1] === row + 1 ? k + 1 : -1;
    for (let i = rowFirst[k]!; i < rowEnd[k]!; i += 3) {
      const a = r[i + 1]!,
        b = r[i + 2]!;
      if (above >= 0) uncovered(rowFirst[above]!, rowEnd[above]!, a, b, row, true);
      else edge(a, b, row, true);
      if (below >= 0) uncovered(rowFirst[below]!, rowEnd[below]!, a, b, row + 1, false);
      else edge(a, b, row + 1, false);
      edges.push(a, row + 1, a, row, b, row, b, row + 1);
    }
  }
  return edges;
}

/**
 * Chain edges into rings. At a vertex with two outgoing edges (two pixels touching at a
 * corner) take the right-most turn, which keeps corner-touching pixels apart. Collinear
 * vertices are dropped.
 */
function chainRings(edges: number[]): number[][][] {
  const count = edges.length / 4;
  // Outgoing edges by start vertex: an open-addressing table of vertices (x, y) → first edge, chained.
  const size = 1 << Math.max(4, Math.ceil(Math.log2(2 * count + 1)));
  const mask = size - 1;
  const slotX = new Int32Array(size),
    slotY = new Int32Array(size),
    slotEdge = new Int32Array(size).fill(-1);
  const slotOf = (x: number, y: number): number => {
    let h = (Math.imul(x, 73_856_093) ^ Math.imul(y, 19_349_663)) & mask;
    while (slotEdge[h] !== -1 && (slotX[h] !== x || slotY[h] !== y)) h = (h + 1) & mask;
    return h;
  };
  const nextOut = new Int32Array(count).fill(-1);
  for (let e = count - 1; e >= 0; e--) {
    const h = slotOf(edges[4 * e]!, edges[4 * e + 1]!);
    if (slotEdge[h] === -1) {
      slotX[h] = edges[4 * e]!;
      slotY[h] = edges[4 * e + 1]!;
    } else nextOut[e] = slotEdge[h]!;
    slotEdge[h] = e;
  }
  const used = new Uint8Array(count);
  const rings: number[][][] = [];
  for (let i = 0; i < count; i++) {
    if (used[i]) continue;
    const ring: number[][] = [];
    let current = i;
    while (!used[current]) {
      used[current] = 1;
      const x0 = edges[4 * current]!,
        y0 = edges[4 * current + 1]!,
        x1 = edges[4 * current + 2]!,
        y1 = edges[4 * current + 3]!;
      ring.push([x0, y0]);
      // Right-most turn relative to the incoming direction (screen coordinates): cross > 0 turns right.
      const dx = Math.sign(x1 - x0),
        dy = Math.sign(y1 - y0);
      let best = -1,
        bestScore = -1;
      for (let j = slotEdge[slotOf(x1, y1)]!; j >= 0; j = nextOut[j]!) {
        if (used[j]) continue;
        const cross = dx * Math.sign(edges[4 * j + 3]! - y1) - dy * Math.sign(edges[4 * j + 2]! - x1);
        const score = cross > 0 ? 2 : cross === 0 ? 1 : 0;
        if (score > bestScore) {
          best = j;
          bestScore = score;
        }
      }
      if (best < 0) break;
      current = best;
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
  return rings;
}

/**
 * Shells (positive screen-space shoelace area, clockwise on screen) become polygons; each hole
 * (negative) goes to the shell containing one of its pixel centres; holes smaller than
 * `minHoleAreaPx` are left out (filled).
 */
function assignHoles(rings: number[][][], minHoleAreaPx: number): number[][][][] {
  // Shells have positive screen-space shoelace area (clockwise on screen), holes negative.
  const area2 = (r: number[][]): number => r.slice(1).reduce((s, p, k) => s + (r[k]![0]! * p[1]! - p[0]! * r[k]![1]!), 0);
  const shells = rings.filter((r) => area2(r) > 0);
  // Holes smaller than minHoleAreaPx pixels are left out (filled): specks of another class inside a patch.
  const minHole2 = 2 * minHoleAreaPx;
  const holes = rings.filter((r) => area2(r) < 0 && -area2(r) >= minHole2);
  const polygons: number[][][][] = shells.map((s) => [s]);
  // Shell boxes, and for the shells a hole may lie in, their vertical edges by row: the rings run along
  // pixel edges, so whether a pixel centre is inside is a count of the crossings left of it in its row
  // (a component of speckled pixels has thousands of holes in shells of thousands of vertices).
  const boxes = shells.map((r) => {
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -Infinity,
      y1 = -Infinity;
    for (const [x, y] of r as Array<[number, number]>) {
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    return [x0, y0, x1, y1] as const;
  });
  const crossings = new Map<number, Map<number, number[]>>();
  const crossingsOf = (k: number): Map<number, number[]> => {
    let byRow = crossings.get(k);
    if (byRow) return byRow;
    byRow = new Map();
    const r = shells[k]!;
    for (let i = 0; i + 1 < r.length; i++) {
      const [x, y1] = r[i]! as [number, number];
      const [x2, y2] = r[i + 1]! as [number, number];
      if (x !== x2) continue;
      for (let y = Math.min(y1, y2); y < Math.max(y1, y2); y++) {
        const list = byRow.get(y);
        if (list) list.push(x);
        else byRow.set(y, [x]);
      }
    }
    crossings.set(k, byRow);
    return byRow;
  };
  for (const h of holes) {
    // The centre of a pixel inside the hole: beside the middle of its first horizontal edge, on the
    // hole's interior side (its left walking the ring: holes run the other way round from shells).
    let e = 0;
    while (e + 1 < h.length && h[e]![1] !== h[e + 1]![1]) e++;
    const [ax, ay] = h[e]! as [number, number];
    const [bx] = h[e + 1]! as [number, number];
    const px = Math.min(ax, bx) + 0.5;
    const py = ay - Math.sign(bx - ax) * 0.5;
    let owner = polygons[0];
    for (let k = 0; k < polygons.length; k++) {
      const b = boxes[k]!;
      if (px < b[0] || px > b[2] || py < b[1] || py > b[3]) continue;
      const xs = crossingsOf(k).get(Math.floor(py));
      let left = 0;
      if (xs) for (const x of xs) if (x < px) left++;
      if (left % 2 === 1) {
        owner = polygons[k];
        break;
      }
    }
    owner?.push(h);
  }
  return polygons;
}
