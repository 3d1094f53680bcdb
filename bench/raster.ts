/**
 * Class areas from a large class raster: a generated 20 000 × 20 000 uint8
 * raster (DEFLATE, tiled 256², coherent land-cover patches) and a 200-vertex
 * license covering about 70 % of it. End to end (open, decode, mask, count)
 * against decoding alone, so the cost of masking and counting shows; and, at
 * 4 000 × 4 000, against geoblaze (parse + histogram) in the same process.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crsFromEpsg } from '../src/crs/index.js';
import type { License } from '../src/license/index.js';
import { measureCoverage } from '../src/raster/index.js';
import { writeTiledTiff } from '../src/raster/writer.js';
import { decodeAll } from './decode.js';
import { consume, peakRssMiB, report, rng, time } from './harness.js';

const ORIGIN_X = 450_000;
const ORIGIN_Y = 3_400_000;
const PIXEL_M = 1;
const CLASSES = [10, 10, 20, 30, 30, 50, 60, 60, 80];

function hash(x: number, y: number): number {
  let h = Math.imul(x, 374761393) + Math.imul(y, 668265263);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The class raster of side `size`, generated once into the temp folder. */
export async function classRaster(size: number): Promise<string> {
  const path = join(tmpdir(), `greenmine-bench-classes-v2-${size}.tif`);
  if (existsSync(path) && statSync(path).size > 0) return path;
  const tile = 256;
  await writeTiledTiff(path, { width: size, height: size, tileSize: tile, type: 'uint8', deflate: true, originX: ORIGIN_X, originY: ORIGIN_Y, pixelSize: PIXEL_M, epsg: 4549, nodata: '0' }, (tx, ty, out) => {
    for (let y = 0; y < tile; y++) {
      const gy = ty * tile + y;
      for (let x = 0; x < tile; x++) {
        const gx = tx * tile + x;
        if (gx >= size || gy >= size) continue;
        // Patches of about 60 px with wobbly borders and 8 % speckle, as classified imagery has
        // (DEFLATE then compresses about as much as real class rasters do).
        const h = hash(gx, gy);
        if ((h & 255) < 20) {
          out[y * tile + x] = CLASSES[(h >>> 8) % CLASSES.length]!;
          continue;
        }
        const wobble = (hash(gx >> 2, gy >> 2) & 15) - 8;
        out[y * tile + x] = CLASSES[hash((gx + wobble) >> 6, (gy - wobble) >> 6) % CLASSES.length]!;
      }
    }
  });
  return path;
}

export function licenseCovering(size: number): License {
  const random = rng(200);
  const n = 200;
  const ring = new Float64Array((n + 1) * 2);
  const cx = ORIGIN_X + (size * PIXEL_M) / 2;
  const cy = ORIGIN_Y - (size * PIXEL_M) / 2;
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    const r = size * PIXEL_M * 0.49 * (0.9 + 0.1 * random());
    ring[2 * i] = cx + r * Math.cos(a);
    ring[2 * i + 1] = cy + r * Math.sin(a);
  }
  ring[2 * n] = ring[0]!;
  ring[2 * n + 1] = ring[1]!;
  return { id: 'bench', name: null, licenseNo: null, holder: null, blocks: [{ name: null, rings: [ring] }], elevationM: null, statedArea: null, crs: crsFromEpsg(4549), sourceFile: 'bench', attributes: {}, findings: [] };
}

export async function benchRaster(size: number, geoblazeSize: number): Promise<void> {
  const t0 = performance.now();
  const path = await classRaster(size);
  console.log(`\n(class raster ${size} × ${size}: ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const license = licenseCovering(size);
  const mpx = (size * size) / 1e6;
  const repeats = size > 5000 ? 3 : 5;
  const e2e = await time(
    'greenmine measureCoverage (open, decode, mask, count)',
    async () => {
      const r = await measureCoverage(path, [license], { bufferM: 0 });
      consume(r.areaM2.green);
    },
    { repeats, warmup: 1 },
  );
  // The pipeline never reads blocks wholly outside the license: the anchor decodes the blocks it reads.
  const decode = await time('anchor: decode the blocks the license meets, alone (same reader)', async () => consume(await decodeAll(path, license)), { repeats, warmup: 1 });
  report(`Class areas, ${size} × ${size} (${mpx.toFixed(0)} Mpx)`, e2e, decode, Math.round(mpx), 'Mpx');
  console.log(`  masking and counting add ${(((e2e.medianMs - decode.medianMs) / decode.medianMs) * 100).toFixed(0)} % to decoding the same blocks`);
  const all = await time('decode every block of the raster (same reader)', async () => consume(await decodeAll(path)), { repeats, warmup: 1 });
  console.log(`  (end to end is ${((e2e.medianMs / all.medianMs) * 100).toFixed(0)} % of decoding the whole raster)`);

  const small = await classRaster(geoblazeSize);
  const smallLicense = licenseCovering(geoblazeSize);
  const smallMpx = (geoblazeSize * geoblazeSize) / 1e6;
  // Short runs: more repetitions after a warm-up, so the median is the steady state.
  const ours = await time('greenmine measureCoverage', async () => consume((await measureCoverage(small, [smallLicense], { bufferM: 0 })).areaM2.green), { repeats: 9, warmup: 3 });
  const require = createRequire(import.meta.url);
  const geoblaze = require('geoblaze') as { parse(b: ArrayBuffer): Promise<unknown>; histogram(g: unknown, geom: unknown, o: unknown): Promise<Array<Record<string, number>>> };
  const ring = smallLicense.blocks[0]!.rings[0]!;
  const coordinates = [Array.from({ length: ring.length / 2 }, (_, i) => [ring[2 * i]!, ring[2 * i + 1]!])];
  const anchor = await time(
    'anchor: geoblaze parse + histogram',
    async () => {
      const bytes = readFileSync(small);
      const georaster = await geoblaze.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      const h = await geoblaze.histogram(georaster, { type: 'Polygon', coordinates }, { scaleType: 'nominal' });
      consume(Object.keys(h[0] ?? {}).length);
    },
    { repeats: 2, warmup: 0 },
  );
  report(`Class areas, ${geoblazeSize} × ${geoblazeSize} (${smallMpx.toFixed(0)} Mpx)`, ours, anchor, Math.round(smallMpx), 'Mpx');
  console.log(`  peak RSS of this process: ${peakRssMiB().toFixed(0)} MiB`);
}
