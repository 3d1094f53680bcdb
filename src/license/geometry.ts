/**
 * Planar ring predicates on interleaved coordinates, used by validation. Rings
 * are small (tens to a few thousand vertices), so a sort-and-sweep over edge
 * boxes is enough; no allocation per vertex pair.
 */

/** Twice the signed area (positive counter-clockwise) of a closed ring. */
export function ringArea2(ring: ArrayLike<number>): number {
  let sum = 0;
  const n = ring.length;
  // Shoelace relative to the first vertex, to keep large GK coordinates precise.
  const x0 = ring[0]!;
  const y0 = ring[1]!;
  for (let i = 2; i + 3 < n; i += 2) {
    sum += (ring[i]! - x0) * (ring[i + 3]! - y0) - (ring[i + 2]! - x0) * (ring[i + 1]! - y0);
  }
  return sum;
}

/** 1 inside, 0 on the boundary, -1 outside (crossing-number test). */
export function pointInRing(x: number, y: number, ring: ArrayLike<number>): 1 | 0 | -1 {
  let inside = false;
  for (let i = 0; i + 3 < ring.length; i += 2) {
    const ax = ring[i]!;
    const ay = ring[i + 1]!;
    const bx = ring[i + 2]!;
    const by = ring[i + 3]!;
    // On the segment?
    const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (cross === 0 && x >= Math.min(ax, bx) && x <= Math.max(ax, bx) && y >= Math.min(ay, by) && y <= Math.max(ay, by)) return 0;
    if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
  }
  return inside ? 1 : -1;
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const v = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

function onSegment(ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean {
  return px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by);
}

/** 0 no contact, 1 touch (an endpoint on the other segment, or collinear overlap), 2 proper crossing. */
export function segmentContact(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): 0 | 1 | 2 {
  const o1 = orient(ax, ay, bx, by, cx, cy);
  const o2 = orient(ax, ay, bx, by, dx, dy);
  const o3 = orient(cx, cy, dx, dy, ax, ay);
  const o4 = orient(cx, cy, dx, dy, bx, by);
  if (o1 * o2 < 0 && o3 * o4 < 0) return 2;
  if (o1 === 0 && onSegment(ax, ay, bx, by, cx, cy)) return 1;
  if (o2 === 0 && onSegment(ax, ay, bx, by, dx, dy)) return 1;
  if (o3 === 0 && onSegment(cx, cy, dx, dy, ax, ay)) return 1;
  if (o4 === 0 && onSegment(cx, cy, dx, dy, bx, by)) return 1;
  return 0;
}

/** A ring without consecutive repeated positions (still closed). */
export function dedupe(ring: Float64Array): Float64Array {
  const out: number[] = [ring[0]!, ring[1]!];
  for (let i = 2; i + 1 < ring.length; i += 2) {
    if (ring[i] !== out[out.length - 2] || ring[i + 1] !== out[out.length - 1]) out.push(ring[i]!, ring[i + 1]!);
  }
  return Float64Array.from(out);
}

export interface Intersection {
  ringA: number;
  edgeA: number;
  ringB: number;
  edgeB: number;
  x: number;
  y: number;
  proper: boolean;
}

/**
 * Intersections between edges of a set of rings (deduplicated, closed): a ring
 * crossing or touching itself away from shared vertices, or two rings crossing.
 * A single touch point between different rings is allowed, as in OGC simple features.
 */
export function findIntersections(rings: Float64Array[], limit = 10): Intersection[] {
  let edgeTotal = 0;
  for (const r of rings) edgeTotal += r.length / 2 - 1;
  const ringOf = new Int32Array(edgeTotal);
  const edgeOf = new Int32Array(edgeTotal);
  const minX = new Float64Array(edgeTotal);
  let k = 0;
  rings.forEach((r, ri) => {
    for (let e = 0; e < r.length / 2 - 1; e++) {
      ringOf[k] = ri;
      edgeOf[k] = e;
      minX[k] = Math.min(r[2 * e]!, r[2 * e + 2]!);
      k++;
    }
  });
  const order = Array.from({ length: edgeTotal }, (_, i) => i).sort((a, b) => minX[a]! - minX[b]!);
  const found: Intersection[] = [];
  for (let oi = 0; oi < order.length && found.length < limit; oi++) {
    const i = order[oi]!;
    const r1 = rings[ringOf[i]!]!;
    const e1 = edgeOf[i]!;
    const ax = r1[2 * e1]!,
      ay = r1[2 * e1 + 1]!,
      bx = r1[2 * e1 + 2]!,
      by = r1[2 * e1 + 3]!;
    const maxX1 = Math.max(ax, bx);
    const minY1 = Math.min(ay, by),
      maxY1 = Math.max(ay, by);
    for (let oj = oi + 1; oj < order.length; oj++) {
      const j = order[oj]!;
      if (minX[j]! > maxX1) break;
      const r2 = rings[ringOf[j]!]!;
      const e2 = edgeOf[j]!;
      const cx = r2[2 * e2]!,
        cy = r2[2 * e2 + 1]!,
        dx = r2[2 * e2 + 2]!,
        dy = r2[2 * e2 + 3]!;
      if (Math.max(cy, dy) < minY1 || Math.min(cy, dy) > maxY1) continue;
      const sameRing = ringOf[i] === ringOf[j];
      const edges = r1.length / 2 - 1;
      if (sameRing && (Math.abs(e1 - e2) === 1 || Math.abs(e1 - e2) === edges - 1)) {
        // Adjacent edges share a vertex; they only intersect if they fold back on each other.
        if (orient(ax, ay, bx, by, cx, cy) !== 0 || orient(ax, ay, bx, by, dx, dy) !== 0) continue;
        const shared = e2 === e1 + 1 || (e1 === edges - 1 && e2 === 0) ? [bx, by] : [ax, ay];
        const other1 = shared[0] === ax && shared[1] === ay ? [bx, by] : [ax, ay];
        const other2 = shared[0] === cx && shared[1] === cy ? [dx, dy] : [cx, cy];
        const dot = (other1[0]! - shared[0]!) * (other2[0]! - shared[0]!) + (other1[1]! - shared[1]!) * (other2[1]! - shared[1]!);
        if (dot > 0) found.push({ ringA: ringOf[i]!, edgeA: e1, ringB: ringOf[j]!, edgeB: e2, x: shared[0]!, y: shared[1]!, proper: false });
        continue;
      }
      const contact = segmentContact(ax, ay, bx, by, cx, cy, dx, dy);
      if (contact === 0 || (contact === 1 && !sameRing)) continue;
      const t = contact === 2 ? crossingT(ax, ay, bx, by, cx, cy, dx, dy) : 0;
      found.push({
        ringA: ringOf[i]!,
        edgeA: e1,
        ringB: ringOf[j]!,
        edgeB: e2,
        x: ax + t * (bx - ax),
        y: ay + t * (by - ay),
        proper: contact === 2,
      });
      if (found.length >= limit) break;
    }
  }
  return found;
}

function crossingT(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): number {
  const den = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx);
  return den === 0 ? 0 : ((cx - ax) * (dy - cy) - (cy - ay) * (dx - cx)) / den;
}
