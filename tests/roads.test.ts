/** Haul roads derived from a synthetic truck fleet against the true centreline. */
import { describe, expect, it } from 'vitest';
import { createTransform, crsFromEpsg } from '../src/crs/index.js';
import { deriveRoads, type Track } from '../src/track/index.js';
import { rng } from './helpers.js';

const gk = crsFromEpsg(4549); // CGCS2000 3° zone, CM 120°
const toLonLat = createTransform(gk, crsFromEpsg(4326));
const toGk = createTransform(crsFromEpsg(4326), gk);

/** The true centreline: a bend and a long curve (metres in EPSG:4549). */
const truth: Array<[number, number]> = [];
for (let s = 0; s <= 600; s += 5) truth.push([495000 + s, 3384000 + 80 * Math.sin(s / 150)]);
for (let s = 5; s <= 300; s += 5) truth.push([495600 + 0.6 * s, 3384000 + 80 * Math.sin(4) + 0.8 * s]);

function fleet(trips: number, noiseM: number, seed: number): Track[] {
  const random = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const tracks: Track[] = [];
  // Arc length along the truth.
  const cum = [0];
  for (let i = 1; i < truth.length; i++) cum.push(cum[i - 1]! + Math.hypot(truth[i]![0] - truth[i - 1]![0], truth[i]![1] - truth[i - 1]![1]));
  const at = (s: number): [number, number] => {
    let i = cum.findIndex((c) => c >= s);
    if (i <= 0) i = 1;
    const u = (s - cum[i - 1]!) / (cum[i]! - cum[i - 1]!);
    return [truth[i - 1]![0] + u * (truth[i]![0] - truth[i - 1]![0]), truth[i - 1]![1] + u * (truth[i]![1] - truth[i - 1]![1])];
  };
  for (let k = 0; k < trips; k++) {
    const lon: number[] = [],
      lat: number[] = [],
      time: number[] = [];
    const speed = 6 + 4 * random();
    const lane = (k % 2 ? 1 : -1) * 1.5; // two-way traffic, one lane each side
    const total = cum.at(-1)!;
    for (let tS = 0, s = 0; s <= total; tS += 1, s += speed) {
      const [x, y] = at(k % 2 ? total - s : s);
      const [x2, y2] = at(Math.min(total, (k % 2 ? total - s : s) + 1));
      const len = Math.hypot(x2 - x, y2 - y) || 1;
      const nx = -(y2 - y) / len,
        ny = (x2 - x) / len;
      const [lo, la] = toLonLat.point(x + nx * lane + noiseM * gauss(), y + ny * lane + noiseM * gauss());
      lon.push(lo);
      lat.push(la);
      time.push(1_700_000_000 + k * 3600 + tS);
    }
    tracks.push({ deviceId: `truck${k % 5}`, timeS: Float64Array.from(time), lon: Float64Array.from(lon), lat: Float64Array.from(lat), eleM: null, hdop: null, speedMps: null });
  }
  return tracks;
}

/** Metres from (x, y) to the nearest of the polylines (in EPSG:4549). */
function distanceTo(lines: Array<Array<[number, number]>>, x: number, y: number): number {
  let best = Infinity;
  for (const l of lines)
    for (let i = 1; i < l.length; i++) {
      const [ax, ay] = l[i - 1]!,
        [bx, by] = l[i]!;
      const dx = bx - ax,
        dy = by - ay;
      const u = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
      best = Math.min(best, Math.hypot(ax + u * dx - x, ay + u * dy - y));
    }
  return best;
}

describe('roads derived from truck tracks', () => {
  for (const noiseM of [1, 2.5]) {
    it(`lie within 2 m of the true centreline over ≥ 90 % of its length (GNSS noise σ ${noiseM} m, 20 trips)`, () => {
      const roads = deriveRoads(fleet(20, noiseM, 7), { crs: gk });
      expect(roads.length).toBeGreaterThan(0);
      const derived = roads.map((l) => l.map(([lon, lat]) => toGk.point(lon!, lat!)));
      // Sample the truth every metre.
      let near = 0,
        total = 0;
      for (let i = 1; i < truth.length; i++) {
        const [ax, ay] = truth[i - 1]!,
          [bx, by] = truth[i]!;
        const n = Math.ceil(Math.hypot(bx - ax, by - ay));
        for (let k = 0; k < n; k++) {
          total++;
          if (distanceTo(derived, ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n) <= 2) near++;
        }
      }
      expect(near / total).toBeGreaterThanOrEqual(0.9);
      // And the derived lines stay on the road (no spurs of noise).
      const points = derived.flat();
      const off = points.filter(([x, y]) => distanceTo([truth], x, y) > 3).length;
      expect(off / points.length).toBeLessThan(0.05);
    });
  }

  it('a single trip, or none, makes no road (passes below the minimum)', () => {
    expect(deriveRoads(fleet(1, 1, 3), { crs: gk })).toEqual([]);
    expect(deriveRoads([], { crs: gk })).toEqual([]);
  });
});
