/**
 * Cameras: video coverage of a license on the terrain benchmark's DEM (hills
 * and a terraced pit), 20 cameras on the pit rim and around it, line of sight
 * end to end (decode, license cover, viewsheds, uncovered outlines) against
 * decoding the DEM alone. Then the viewshed itself (rays to the border of
 * the range square, "R2") against the exact per-cell line of sight ("R3":
 * a separate ray to every cell), on the same cameras, with their agreement.
 */
import { statSync } from 'node:fs';
import { type Camera, cameraCoverage, type ViewGrid, type ViewParams, viewshed } from '../src/cameras/index.js';
import { crsFromEpsg } from '../src/crs/index.js';
import { decodeAll } from './decode.js';
import { consume, report, rng, time } from './harness.js';
import { elevation, rasters, squareLicense, X0, Y0 } from './terrain.js';

function makeCameras(size: number, count: number, rangeM: number): Camera[] {
  const random = rng(7);
  const crs = crsFromEpsg(4549);
  return Array.from({ length: count }, (_, k) => {
    // Alternate: on the pit rim looking in, and scattered looking anywhere.
    const rim = k % 2 === 0;
    const a = (2 * Math.PI * k) / count;
    const x = rim ? size / 2 + (size / 6) * Math.cos(a) : size * (0.1 + 0.8 * random());
    const y = rim ? size / 2 + (size / 6) * Math.sin(a) : size * (0.1 + 0.8 * random());
    const headingDeg = rim ? ((Math.atan2(-(size / 2 - x), size / 2 - y) * 180) / Math.PI + 360) % 360 : 360 * random();
    return { id: `cam${k + 1}`, x: X0 + x, y: Y0 - y, crs, axisOrderUnknown: false, heightM: 8 + 10 * random(), headingDeg, hfovDeg: k % 5 === 0 ? 360 : 60 + 60 * random(), rangeM, tiltDeg: null, vfovDeg: null, where: {} };
  });
}

/** The exact line of sight: one ray per cell, to its centre, sampled as the R2 rays are (a step per cell along the major axis). */
function exactViewshed(grid: ViewGrid, view: ViewParams, onVisible: (i: number) => void): void {
  const { dem, width, height, cellXM, cellYM } = grid;
  const oc = Math.floor(view.col),
    or = Math.floor(view.row);
  const zo = dem![or * width + oc]! + view.heightM;
  const rc = Math.ceil(view.rangeM / cellXM);
  const heading = (view.headingDeg * Math.PI) / 180,
    cosHalf = Math.cos((view.hfovDeg * Math.PI) / 360);
  for (let tr = Math.max(0, or - rc); tr <= Math.min(height - 1, or + rc); tr++) {
    for (let tc = Math.max(0, oc - rc); tc <= Math.min(width - 1, oc + rc); tc++) {
      const e = (tc + 0.5 - view.col) * cellXM,
        n = (view.row - tr - 0.5) * cellYM;
      const d = Math.hypot(e, n);
      if (d > view.rangeM || (view.hfovDeg < 360 && d > 0 && (e * Math.sin(heading) + n * Math.cos(heading)) / d < cosHalf - 1e-12)) continue;
      const dc = tc - oc,
        dr = tr - or,
        steps = Math.max(Math.abs(dc), Math.abs(dr));
      let horizon = -Infinity;
      for (let k = 1; k < steps; k++) {
        // The ray's exact point, elevation interpolated between the two cells it passes between (as R2 does).
        const fc = oc + (k * dc) / steps,
          fr = or + (k * dr) / steps;
        const c0 = Math.floor(fc),
          r0 = Math.floor(fr),
          u = fc - c0,
          v = fr - r0;
        const z = u > 0 ? (1 - u) * dem![r0 * width + c0]! + u * dem![r0 * width + c0 + 1]! : v > 0 ? (1 - v) * dem![r0 * width + c0]! + v * dem![(r0 + 1) * width + c0]! : dem![r0 * width + c0]!;
        const g = (z - zo) / Math.hypot((fc + 0.5 - view.col) * cellXM, (view.row - fr - 0.5) * cellYM);
        if (g > horizon) horizon = g;
      }
      if (steps === 0 || (dem![tr * width + tc]! + view.targetHeightM - zo) / d >= horizon - 1e-12) onVisible(tr * width + tc);
    }
  }
}

export async function benchCameras(size: number, rangeM: number): Promise<void> {
  const t0 = performance.now();
  const { dem } = await rasters(size);
  console.log(`\n(DEM ${size} × ${size} float32: ${(statSync(dem).size / 2 ** 20).toFixed(0)} MiB, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const license = squareLicense(size);
  const cameras = makeCameras(size, 20, rangeM);
  let share = 0;
  const e2e = await time(
    'greenmine cameraCoverage (20 cameras, line of sight)',
    async () => {
      const r = await cameraCoverage([license], cameras, { dem });
      share = r.coveredShare;
      consume(r.coveredM2);
    },
    { repeats: 3, warmup: 1 },
  );
  const decode = await time('anchor: decode the DEM alone', () => decodeAll(dem), { repeats: 3, warmup: 0 });
  report(`Video coverage, ${size} × ${size} DEM, 20 cameras of range ${rangeM} m (covered ${(share * 100).toFixed(1)} %)`, e2e, decode, 20, 'cameras');

  // Resolution by range: the same cameras traced on cells a quarter of their range's cell count (maxRangeCells),
  // as a long-range camera on a fine drone DEM is; the covered share against the full-resolution one.
  const maxRangeCells = Math.max(16, Math.round(rangeM / 4));
  let coarseShare = 0;
  const coarse = await time(
    `greenmine cameraCoverage, traced on 4 m cells (maxRangeCells ${maxRangeCells})`,
    async () => {
      const r = await cameraCoverage([license], cameras, { dem, maxRangeCells });
      coarseShare = r.coveredShare;
      consume(r.coveredM2);
    },
    { repeats: 3, warmup: 1 },
  );
  report(`Video coverage traced at the resolution the range needs (covered ${(coarseShare * 100).toFixed(1)} %, full resolution ${(share * 100).toFixed(1)} %)`, coarse, e2e, 20, 'cameras');

  // R2 against the exact line of sight, in memory, on the same terrain and cameras.
  const grid: ViewGrid = { dem: new Float32Array(size * size), width: size, height: size, cellXM: 1, cellYM: 1 };
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) grid.dem![r * size + c] = elevation(c, r, size);
  const views: ViewParams[] = cameras.map((cam) => ({ col: cam.x - X0, row: Y0 - cam.y, heightM: cam.heightM, headingDeg: cam.headingDeg, hfovDeg: cam.hfovDeg, rangeM: cam.rangeM, tiltDeg: null, vfovDeg: null, targetHeightM: 0 }));
  const subset = views.slice(0, size > 1000 ? 2 : 4);
  const a = new Uint8Array(size * size),
    b = new Uint8Array(size * size);
  const r2 = await time(
    'greenmine viewshed (R2: rays to the range border)',
    () => {
      a.fill(0);
      for (const v of subset) viewshed(grid, v, a);
    },
    { repeats: 3, warmup: 1 },
  );
  const r3 = await time(
    'anchor: exact line of sight per cell (R3)',
    () => {
      b.fill(0);
      for (const v of subset) exactViewshed(grid, v, (i) => (b[i] = 1));
    },
    { repeats: 1, warmup: 0 },
  );
  let agree = 0,
    either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] || b[i]) either++;
    if (a[i] && b[i]) agree++;
  }
  report(`Viewshed, ${subset.length} cameras of range ${rangeM} m on ${size} × ${size}`, r2, r3, subset.length, 'cameras');
  console.log(`  agreement with the exact line of sight: ${((agree / Math.max(1, either)) * 100).toFixed(2)} % of the cells either marks visible`);
}
