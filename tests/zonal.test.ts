/**
 * The class-area loops against brute force on small synthetic rasters: the
 * buffer ring (pixel centres within bufferM of the license, coverage 0) and
 * bare patches (bare pixels with coverage after exclusion ≥ 0.5, 8-connected),
 * with a hole, an excluded zone and a license reaching past the raster.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PixelPolygons, PolygonCoverage, RasterReader, zonalClassAreas } from '../src/raster/index.js';
import { writeTiledTiff } from '../src/raster/writer.js';
import { rng } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'greenmine-zonal-'));
const SIZE = 300;
const CODES = [10, 30, 60, 60, 80];

async function raster(seed: number): Promise<{ path: string; values: Uint8Array }> {
  const random = rng(seed);
  const values = new Uint8Array(SIZE * SIZE);
  // Patches of 6 px with speckle, so components are of every size.
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const patch = Math.floor(x / 6) * 7919 + Math.floor(y / 6) * 104729 + seed;
      values[y * SIZE + x] = random() < 0.1 ? CODES[Math.floor(random() * CODES.length)]! : CODES[patch % CODES.length]!;
    }
  }
  const path = join(dir, `r${seed}.tif`);
  await writeTiledTiff(path, { width: SIZE, height: SIZE, tileSize: 32, type: 'uint8', deflate: true, originX: 0, originY: 0, pixelSize: 1, epsg: 4549 }, (tx, ty, out) => {
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const gx = tx * 32 + x,
          gy = ty * 32 + y;
        out[y * 32 + x] = gx < SIZE && gy < SIZE ? values[gy * SIZE + gx]! : 0;
      }
  });
  return { path, values };
}

function star(cx: number, cy: number, r0: number, r1: number, n: number, random: () => number): Float64Array {
  const ring: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const r = r0 + (r1 - r0) * random();
    ring.push(cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  ring.push(ring[0]!, ring[1]!);
  return Float64Array.from(ring);
}

/** Dense coverage of polygons over the whole raster (row-major SIZE × SIZE). */
function dense(polygons: PixelPolygons): Float64Array {
  const cov = new PolygonCoverage(polygons, 'fractional');
  const band = new Float64Array(cov.width * (cov.rowMax - cov.rowMin));
  cov.rows(cov.rowMin, cov.rowMax, band);
  const out = new Float64Array(SIZE * SIZE);
  for (let y = Math.max(0, cov.rowMin); y < Math.min(SIZE, cov.rowMax); y++) {
    for (let x = Math.max(0, cov.colMin); x < Math.min(SIZE, cov.colMax); x++) out[y * SIZE + x] = band[(y - cov.rowMin) * cov.width + x - cov.colMin]!;
  }
  return out;
}

function distanceToEdges(polygons: PixelPolygons, px: number, py: number): number {
  let best = Infinity;
  for (const rings of polygons)
    for (const r of rings)
      for (let i = 0; i + 3 < r.length; i += 2) {
        const x1 = r[i]!,
          y1 = r[i + 1]!,
          x2 = r[i + 2]!,
          y2 = r[i + 3]!;
        const dx = x2 - x1,
          dy = y2 - y1;
        const len2 = dx * dx + dy * dy;
        const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len2)) : 0;
        best = Math.min(best, Math.hypot(x1 + t * dx - px, y1 + t * dy - py));
      }
  return best;
}

/** 8-connected components of a mask by flood fill: [pixels, weight] per component, sorted. */
function components(mask: Uint8Array, weight: Float64Array): Array<[number, number]> {
  const seen = new Uint8Array(mask.length);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || seen[i]) continue;
    let pixels = 0,
      w = 0;
    const stack = [i];
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      pixels++;
      w += weight[j]!;
      const x = j % SIZE,
        y = Math.floor(j / SIZE);
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx,
            ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= SIZE || ny >= SIZE) continue;
          const k = ny * SIZE + nx;
          if (mask[k] && !seen[k]) {
            seen[k] = 1;
            stack.push(k);
          }
        }
    }
    out.push([pixels, w]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

describe('buffer ring and patches against brute force', () => {
  for (const seed of [1, 2, 3]) {
    it(`scene ${seed}: ring class areas, patch sizes and weights`, async () => {
      const random = rng(100 + seed);
      const { path, values } = await raster(seed);
      // A license reaching past the left edge of the raster, with a hole; an excluded zone across it.
      const zones: PixelPolygons = [[star(120, 150, 60, 140, 12 + seed * 5, random), star(140, 150, 8, 20, 7, random)]];
      const exclude: PixelPolygons = [[star(200, 120, 15, 40, 9, random)]];
      const bufferPx = 7.3 + seed;
      const reader = await RasterReader.open(path);
      const r = await zonalClassAreas(reader, zones, { bufferM: bufferPx, exclude, patchClasses: new Set([60]) });
      await reader.close();

      const cz = dense(zones);
      const ce = dense(exclude);
      const ring = new Map<number, number>();
      const mask = new Uint8Array(SIZE * SIZE);
      const weight = new Float64Array(SIZE * SIZE);
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const i = y * SIZE + x;
          const v = values[i]!;
          if (cz[i] === 0) {
            if (distanceToEdges(zones, x + 0.5, y + 0.5) <= bufferPx) ring.set(v, (ring.get(v) ?? 0) + 1);
            continue;
          }
          const we = Math.max(0, cz[i]! - ce[i]!);
          if (v === 60 && we >= 0.5) {
            mask[i] = 1;
            weight[i] = we;
          }
        }
      }
      const got = new Map([...r.outsideBuffer!.byClassM2].map(([v, m2]) => [v, Math.round(m2)]));
      expect(got).toEqual(ring);
      const mine = r.patches!.map((c) => [c.pixels, c.weight] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const brute = components(mask, weight);
      expect(mine.length).toBe(brute.length);
      mine.forEach(([p, w], k) => {
        expect(p).toBe(brute[k]![0]);
        expect(w).toBeCloseTo(brute[k]![1], 9);
      });
    });
  }
});
