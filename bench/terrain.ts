/**
 * Terrain: a generated float32 DEM (DEFLATE + floating-point predictor,
 * tiled 256², hills plus a terraced pit) with a matching class raster; exposed
 * final slopes end to end (decode, slope, bare mask, components, surface
 * areas) against decoding the DEM alone. Then connected-component labelling
 * with per-component areas on a 10⁸-pixel mask, against a whole-array flood
 * fill in the same process.
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crsFromEpsg } from '../src/crs/index.js';
import type { License } from '../src/license/index.js';
import { StreamingLabeler, writeTiledTiff } from '../src/raster/index.js';
import { exposedSlopes } from '../src/terrain/index.js';
import { decodeAll } from './decode.js';
import { consume, peakRssMiB, report, time } from './harness.js';

export const X0 = 450_000;
export const Y0 = 3_400_000;

function hash(x: number, y: number): number {
  let h = Math.imul(x, 374761393) + Math.imul(y, 668265263);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hills, and a pit with 10 m benches and 60° faces in the middle third. */
export function elevation(x: number, y: number, size: number): number {
  let z = 200 + 60 * Math.sin(x / 900) * Math.cos(y / 700) + 15 * Math.sin(x / 137 + y / 211);
  const d = Math.hypot(x - size / 2, y - size / 2);
  const pitRadius = size / 6;
  if (d < pitRadius) {
    const depth = (pitRadius - d) / 6; // 1 m of depth per 6 m inwards on average
    const bench = Math.floor(depth / 10) * 10 + Math.min(10, Math.max(0, (depth % 10) * 3 - 20)); // flat benches, steep faces
    z -= bench;
  }
  return z;
}

export async function rasters(size: number): Promise<{ dem: string; classes: string }> {
  const dem = join(tmpdir(), `greenmine-bench-dem-${size}.tif`);
  const classes = join(tmpdir(), `greenmine-bench-terrain-classes-${size}.tif`);
  const tile = 256;
  if (!existsSync(dem) || statSync(dem).size === 0) {
    await writeTiledTiff(dem, { width: size, height: size, tileSize: tile, type: 'float32', deflate: true, predictor: 3, level: 1, originX: X0, originY: Y0, pixelSize: 1, epsg: 4549, nodata: '-9999' }, (tx, ty, out) => {
      for (let r = 0; r < tile; r++) for (let c = 0; c < tile; c++) out[r * tile + c] = elevation(tx * tile + c, ty * tile + r, size);
    });
  }
  if (!existsSync(classes) || statSync(classes).size === 0) {
    await writeTiledTiff(classes, { width: size, height: size, tileSize: tile, type: 'uint8', deflate: true, originX: X0, originY: Y0, pixelSize: 1, epsg: 4549, nodata: '0' }, (tx, ty, out) => {
      for (let r = 0; r < tile; r++) {
        for (let c = 0; c < tile; c++) {
          const x = tx * tile + c,
            y = ty * tile + r;
          const inPit = Math.hypot(x - size / 2, y - size / 2) < size / 6;
          // Bare in the pit (with some regrowth), green elsewhere (with some bare scars).
          const h = hash(x >> 4, y >> 4) & 255;
          out[r * tile + c] = inPit ? (h < 40 ? 30 : 60) : h < 12 ? 60 : h < 140 ? 10 : 30;
        }
      }
    });
  }
  return { dem, classes };
}

export function squareLicense(size: number): License {
  const m = size * 0.05;
  const ring = Float64Array.from([X0 + m, Y0 - m, X0 + size - m, Y0 - m, X0 + size - m, Y0 - size + m, X0 + m, Y0 - size + m, X0 + m, Y0 - m]);
  return { id: 'bench', name: null, licenseNo: null, holder: null, blocks: [{ name: null, rings: [ring] }], elevationM: null, statedArea: null, crs: crsFromEpsg(4549), sourceFile: 'bench', attributes: {}, findings: [] };
}

export async function benchTerrain(size: number): Promise<void> {
  const t0 = performance.now();
  const { dem, classes } = await rasters(size);
  console.log(`\n(DEM ${size} × ${size} float32: ${(statSync(dem).size / 2 ** 20).toFixed(0)} MiB, classes ${(statSync(classes).size / 2 ** 20).toFixed(0)} MiB, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const license = squareLicense(size);
  const mpx = (size * size) / 1e6;
  let count = 0;
  const e2e = await time(
    'greenmine exposedSlopes (decode, slope, mask, components)',
    async () => {
      const r = await exposedSlopes(classes, dem, [license]);
      count = r.componentsBeforeAreaFilter;
      consume(r.bareSlopeAreaM2.surface);
    },
    { repeats: size > 5000 ? 1 : 3, warmup: size > 5000 ? 0 : 1 },
  );
  const decode = await time('anchor: decode the DEM alone', () => decodeAll(dem), { repeats: size > 5000 ? 1 : 3, warmup: 0 });
  report(`Exposed final slopes, ${size} × ${size} (${mpx.toFixed(0)} Mpx, ${count} components)`, e2e, decode, Math.round(mpx), 'Mpx');
  if (size <= 5000) {
    // The two-thread split (a worker thread, from the built JavaScript) must give the single-thread answer.
    const [split, single] = [await exposedSlopes(classes, dem, [license], { threads: 2 }), await exposedSlopes(classes, dem, [license], { threads: 1 })];
    if (split.componentsBeforeAreaFilter !== single.componentsBeforeAreaFilter || split.count !== single.count || Math.abs(split.bareSlopeAreaM2.surface - single.bareSlopeAreaM2.surface) > 1e-6 * single.bareSlopeAreaM2.surface) {
      throw new Error(`terrain benchmark: the two-thread result differs from one thread (${split.componentsBeforeAreaFilter} vs ${single.componentsBeforeAreaFilter} components)`);
    }
    console.log('  two-thread split (forced) agrees with one thread');
  }
  console.log(`  peak RSS after the slope pipeline: ${peakRssMiB().toFixed(0)} MiB`);
}

/** Component labelling alone, in its own process (run after the slope pipeline in one process it measured 40 % slower). */
export async function benchLabelling(maskSize: number): Promise<void> {
  // A mask of blotches (about 40 % set), rows generated on the fly.
  const w = maskSize;
  const row = new Uint8Array(w);
  const weights = new Float64Array(w).fill(1);
  const fillRow = (y: number): void => {
    for (let x = 0; x < w; x++) row[x] = (hash(x >> 3, y >> 3) & 255) < 100 || (hash(x, y) & 255) < 8 ? 1 : 0;
  };
  let components = 0;
  const labelling = await time(
    'greenmine StreamingLabeler (8-connected, areas, bounded memory)',
    () => {
      components = 0;
      // Components are handed on as they close; labels are recycled.
      const labeler = new StreamingLabeler(w, 8, 0, 0, false, (c) => {
        components++;
        consume(c.weight);
      });
      for (let y = 0; y < w; y++) {
        fillRow(y);
        labeler.pushRow(y, row, weights);
      }
      labeler.finish();
    },
    { repeats: 1, warmup: 0 },
  );
  const rssAfterOurs = peakRssMiB();
  const generateOnly = await time(
    'anchor: generating the mask rows alone',
    () => {
      for (let y = 0; y < w; y++) {
        fillRow(y);
        consume(row[0]!);
      }
    },
    { repeats: 1, warmup: 0 },
  );
  report(`Component labelling, ${w} × ${w} (${((w * w) / 1e6).toFixed(0)} Mpx, ${components} components)`, labelling, generateOnly, Math.round((w * w) / 1e6), 'Mpx');
  console.log(`  labelling throughput net of mask generation: ${((w * w) / 1e6 / ((labelling.medianMs - generateOnly.medianMs) / 1000)).toFixed(0)} Mpx/s; peak RSS ${rssAfterOurs.toFixed(0)} MiB`);
}
