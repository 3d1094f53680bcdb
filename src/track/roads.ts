/**
 * Haul roads derived from truck tracks (R3.2 when the manifest names none).
 *
 * The rule, in a local metric plane (the Gauss-Krüger zone of the tracks):
 * 1. Each track is walked along its segments in steps of a quarter cell
 *    (segments across a gap longer than `maxGapS` or a jump longer than
 *    `maxJumpM` are not walked: the truck was not seen there; they start a
 *    new pass). A pass counts every cell within 3 m of its path once, so
 *    GNSS noise and the two lanes do not split the road's passes.
 * 2. The counts are smoothed (a 5-cell binomial kernel, ≈ σ 1 cell each way)
 *    and the cells passed at least `minPasses` times are the road surface.
 * 3. The surface is thinned to its centre (Zhang–Suen) and the thin cells are
 *    traced into polylines, broken at junctions; chains shorter than
 *    `minLengthM` are noise and dropped; the rest are simplified
 *    (Douglas–Peucker, half a cell).
 * With 1 m cells and GNSS noise of 1–3 m, the centrelines lie within 2 m of
 * the true one over ≥ 90 % of its length (tests/roads.test.ts).
 */
import { type Crs, createTransform, crsFromEpsg } from '../crs/index.js';
import type { Track } from './model.js';

export interface RoadOptions {
  /** The plane to work in (a projected CRS in metres; default: the 3° Gauss-Krüger zone of the tracks' mean longitude, CGCS2000). */
  crs?: Crs;
  cellM?: number;
  /** Distinct passes a cell needs to be road (default 3). */
  minPasses?: number;
  /** Shortest centreline kept (default 30 m). */
  minLengthM?: number;
  maxGapS?: number;
  maxJumpM?: number;
}

/** Centrelines (WGS 84 lon/lat polylines) of the roads the tracks run along repeatedly. */
export function deriveRoads(tracks: Track[], options: RoadOptions = {}): number[][][] {
  const cellM = options.cellM ?? 1;
  const minPasses = options.minPasses ?? 3;
  const minLengthM = options.minLengthM ?? 30;
  const maxGapS = options.maxGapS ?? 60;
  const maxJumpM = options.maxJumpM ?? 200;
  let sumLon = 0,
    n = 0;
  for (const t of tracks) for (let i = 0; i < t.lon.length; i++) (sumLon += t.lon[i]!), n++;
  if (n < 2) return [];
  const crs = options.crs ?? crsFromEpsg(4513 + Math.round(sumLon / n / 3) - 25);
  const fwd = createTransform(crsFromEpsg(4326), crs);
  const inv = createTransform(crs, crsFromEpsg(4326));
  // Project every fix once.
  const xy = tracks.map((t) => {
    const out = new Float64Array(t.lon.length * 2);
    const p: [number, number] = [0, 0];
    for (let i = 0; i < t.lon.length; i++) {
      fwd.point(t.lon[i]!, t.lat[i]!, p);
      out[2 * i] = p[0];
      out[2 * i + 1] = p[1];
    }
    return out;
  });
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const a of xy)
    for (let i = 0; i < a.length; i += 2) {
      minX = Math.min(minX, a[i]!);
      maxX = Math.max(maxX, a[i]!);
      minY = Math.min(minY, a[i + 1]!);
      maxY = Math.max(maxY, a[i + 1]!);
    }
  const pad = 4;
  const W = Math.ceil((maxX - minX) / cellM) + 2 * pad + 1;
  const H = Math.ceil((maxY - minY) / cellM) + 2 * pad + 1;
  if (W * H > 50_000_000) return []; // Tracks spread over more than 50 km² at 1 m: not one mine's roads.
  const ox = minX - pad * cellM;
  const oy = minY - pad * cellM;
  const passes = countPasses(tracks, xy, { W, H, ox, oy, cellM, maxGapS, maxJumpM });
  const road = threshold(smooth(passes, W, H), minPasses);
  thin(road, W, H);
  const chains = trace(road, W, H);
  const out: number[][][] = [];
  const p: [number, number] = [0, 0];
  for (const chain of chains) {
    if (chain.length < 2) continue;
    let length = 0;
    for (let i = 1; i < chain.length; i++) length += Math.hypot(chain[i]![0] - chain[i - 1]![0], chain[i]![1] - chain[i - 1]![1]) * cellM;
    if (length < minLengthM) continue;
    out.push(
      simplify(chain, 0.5).map(([c, r]) => {
        inv.point(ox + (c + 0.5) * cellM, oy + (r + 0.5) * cellM, p);
        return [p[0], p[1]];
      }),
    );
  }
  return out;
}

function countPasses(tracks: Track[], xy: Float64Array[], g: { W: number; H: number; ox: number; oy: number; cellM: number; maxGapS: number; maxJumpM: number }): Float32Array {
  const counts = new Float32Array(g.W * g.H);
  // The last pass that counted each cell: a pass counts a cell once however long it stays near it.
  const stamp = new Int32Array(g.W * g.H).fill(-1);
  const step = g.cellM / 4;
  // Cells within NEAR_M of the walked path count the pass: GNSS noise spreads a lane over several metres.
  const radius = Math.max(1, Math.round(NEAR_M / g.cellM));
  const disk: number[] = [];
  for (let dr = -radius; dr <= radius; dr++) for (let dc = -radius; dc <= radius; dc++) if (dr * dr + dc * dc <= radius * radius) disk.push(dr * g.W + dc);
  let pass = 0;
  let last = -1;
  const visit = (x: number, y: number): void => {
    const cell = Math.floor((y - g.oy) / g.cellM) * g.W + Math.floor((x - g.ox) / g.cellM);
    if (cell === last) return;
    last = cell;
    for (const d of disk) {
      const i = cell + d;
      if (stamp[i] !== pass) {
        stamp[i] = pass;
        counts[i]!++;
      }
    }
  };
  tracks.forEach((t, k) => {
    const a = xy[k]!;
    for (let i = 0; i < t.lon.length; i++) {
      const x = a[2 * i]!,
        y = a[2 * i + 1]!;
      const px = i > 0 ? a[2 * i - 2]! : x,
        py = i > 0 ? a[2 * i - 1]! : y;
      const len = Math.hypot(x - px, y - py);
      // A new pass at the start of a track and after a gap or a jump (the truck was not seen in between).
      if (i === 0 || t.timeS[i]! - t.timeS[i - 1]! > g.maxGapS || len > g.maxJumpM) {
        pass++;
        last = -1;
        visit(x, y);
        continue;
      }
      const steps = Math.max(1, Math.ceil(len / step));
      for (let s = 1; s <= steps; s++) visit(px + ((x - px) * s) / steps, py + ((y - py) * s) / steps);
    }
  });
  return counts;
}

/** A separable binomial blur [1 4 6 4 1]/16 each way. */
function smooth(a: Float32Array, W: number, H: number): Float32Array {
  const k = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];
  const tmp = new Float32Array(a.length);
  const out = new Float32Array(a.length);
  for (let r = 0; r < H; r++)
    for (let c = 2; c < W - 2; c++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += k[j]! * a[r * W + c + j - 2]!;
      tmp[r * W + c] = s;
    }
  for (let r = 2; r < H - 2; r++)
    for (let c = 0; c < W; c++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += k[j]! * tmp[(r + j - 2) * W + c]!;
      out[r * W + c] = s;
    }
  return out;
}

function threshold(a: Float32Array, min: number): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! >= min ? 1 : 0;
  return out;
}

/** Zhang–Suen thinning in place (the grid's border rows and columns are empty by construction). */
function thin(m: Uint8Array, W: number, H: number): void {
  const del: number[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (let pass = 0; pass < 2; pass++) {
      del.length = 0;
      for (let r = 1; r < H - 1; r++) {
        for (let c = 1; c < W - 1; c++) {
          const i = r * W + c;
          if (!m[i]) continue;
          const p2 = m[i - W]!,
            p3 = m[i - W + 1]!,
            p4 = m[i + 1]!,
            p5 = m[i + W + 1]!,
            p6 = m[i + W]!,
            p7 = m[i + W - 1]!,
            p8 = m[i - 1]!,
            p9 = m[i - W - 1]!;
          const b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          if (b < 2 || b > 6) continue;
          const seq = [p2, p3, p4, p5, p6, p7, p8, p9, p2];
          let transitions = 0;
          for (let j = 0; j < 8; j++) if (seq[j] === 0 && seq[j + 1] === 1) transitions++;
          if (transitions !== 1) continue;
          if (pass === 0 ? p2 * p4 * p6 === 0 && p4 * p6 * p8 === 0 : p2 * p4 * p8 === 0 && p2 * p6 * p8 === 0) del.push(i);
        }
      }
      for (const i of del) m[i] = 0;
      if (del.length) changed = true;
    }
  }
}

/** A pass counts the cells this near its path (m). */
const NEAR_M = 3;

const N8 = [
  [-1, -1],
  [0, -1],
  [1, -1],
  [-1, 0],
  [1, 0],
  [-1, 1],
  [0, 1],
  [1, 1],
] as const;

/**
 * Thin cells into chains of [col, row]: walked from the ends (cells with one neighbour) first,
 * each step to an unvisited neighbour, so a branch ends a chain and the rest is traced as
 * another (short spurs of noise are then dropped by length).
 */
function trace(m: Uint8Array, W: number, H: number): Array<Array<[number, number]>> {
  const degree = (c: number, r: number): number => {
    let d = 0;
    for (const [dc, dr] of N8) if (m[(r + dr) * W + c + dc]) d++;
    return d;
  };
  const used = new Uint8Array(m.length);
  const chains: Array<Array<[number, number]>> = [];
  const follow = (c: number, r: number): Array<[number, number]> => {
    const chain: Array<[number, number]> = [[c, r]];
    used[r * W + c] = 1;
    for (;;) {
      let next: [number, number] | null = null;
      for (const [dc, dr] of N8) {
        const i = (r + dr) * W + c + dc;
        if (m[i] && !used[i]) {
          next = [c + dc, r + dr];
          break;
        }
      }
      if (!next) return chain;
      [c, r] = next;
      used[r * W + c] = 1;
      chain.push([c, r]);
    }
  };
  // Chains from their ends and junctions first, then whatever is left (loops).
  for (const wantEnd of [true, false]) {
    for (let r = 1; r < H - 1; r++) {
      for (let c = 1; c < W - 1; c++) {
        const i = r * W + c;
        if (!m[i] || used[i]) continue;
        const d = degree(c, r);
        if (wantEnd && d !== 1) continue;
        chains.push(follow(c, r));
      }
    }
  }
  return chains;
}

/** Douglas–Peucker on [col, row] points, tolerance in cells. */
function simplify(points: Array<[number, number]>, tol: number): Array<[number, number]> {
  if (points.length < 3) return points;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack: Array<[number, number]> = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = points[a]!;
    const [bx, by] = points[b]!;
    const len = Math.hypot(bx - ax, by - ay) || 1;
    let worst = -1,
      at = -1;
    for (let i = a + 1; i < b; i++) {
      const d = Math.abs((bx - ax) * (ay - points[i]![1]) - (ax - points[i]![0]) * (by - ay)) / len;
      if (d > worst) (worst = d), (at = i);
    }
    if (worst > tol) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return points.filter((_, i) => keep[i]);
}
