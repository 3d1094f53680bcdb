/**
 * Class areas from a large class raster: a generated 20 000 × 20 000 uint8
 * raster (DEFLATE, tiled 256², coherent land-cover patches with 8 % speckle)
 * and a 200-vertex license covering about 70 % of it.
 *
 * User path first: `greenmine coverage` with its defaults (bare patches
 * ≥ 50 m², the 50 m ring outside the license; outlines only with
 * `--patches`), against the pipeline a user would write in Python
 * (bench/anchors/coverage_patches.py: rasterio windows + geometry_mask +
 * bincount, scipy.ndimage.label with per-label areas), run as a child process
 * when python3 with rasterio and scipy is installed (Debian's packages).
 * Then the inner path: class areas only, against decoding alone, and at
 * 4 000 × 4 000 against geoblaze (parse + histogram) in the same process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_THRESHOLDS } from '../src/audit/options.js';
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

/** The Python pipeline of bench/anchors/coverage_patches.py on the same raster and license, or why it was skipped. */
function pythonAnchor(path: string, license: License, minPatchM2: number): { seconds: number; patches: number; peakRssMiB: number } | string {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import rasterio, scipy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'python3 with rasterio and scipy not installed (Debian: python3-rasterio python3-scipy)';
  const ring = license.blocks[0]!.rings[0]!;
  const geojson = join(tmpdir(), `greenmine-bench-license-${process.pid}.geojson`);
  const coordinates = [Array.from({ length: ring.length / 2 }, (_, i) => [ring[2 * i]!, ring[2 * i + 1]!])];
  writeFileSync(geojson, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates } }] }));
  const script = fileURLToPath(new URL('../../bench/anchors/coverage_patches.py', import.meta.url));
  const run = spawnSync(python, [script, path, geojson, '60', String(minPatchM2)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(geojson, { force: true });
  if (run.status !== 0) return `the Python pipeline failed: ${run.stderr.trim().split('\n').pop()}`;
  return JSON.parse(run.stdout) as { seconds: number; patches: number; peakRssMiB: number };
}

/** `greenmine coverage` as the command runs it by default, against the Python pipeline a user would write. */
export async function benchCoverageUserPath(size: number, withAnchor = true): Promise<{ ms: number; peakMiB: number; patches: number; anchorMs: number | null; anchorPeakMiB: number | null }> {
  const path = await classRaster(size);
  const license = licenseCovering(size);
  const mpx = (size * size) / 1e6;
  const repeats = size > 5000 ? 3 : 5;
  let patches = 0;
  const subject = await time(
    'greenmine measureCoverage, the `coverage` command’s defaults (patches ≥ 50 m², 50 m ring)',
    async () => {
      const r = await measureCoverage(path, [license], { minPatchM2: DEFAULT_THRESHOLDS.minPatchM2, bufferM: DEFAULT_THRESHOLDS.bufferM, outlines: false });
      patches = r.patches ?? 0;
      consume(r.areaM2.green);
    },
    { repeats, warmup: 1 },
  );
  const peakMiB = peakRssMiB();
  const title = `User path: coverage with bare patches, ${size} × ${size} (${mpx.toFixed(0)} Mpx, ${patches} patches)`;
  const anchor = withAnchor ? pythonAnchor(path, license, DEFAULT_THRESHOLDS.minPatchM2) : 'not asked for';
  if (!withAnchor) return { ms: subject.medianMs, peakMiB, patches, anchorMs: null, anchorPeakMiB: null };
  if (typeof anchor === 'string') {
    console.log(`\n${title}\n  ${subject.name}: median ${subject.medianMs.toFixed(0)} ms, ${Math.round((mpx / subject.medianMs) * 1000)} Mpx/s, peak RSS ${peakMiB.toFixed(0)} MiB\n  anchor skipped: ${anchor}`);
    return { ms: subject.medianMs, peakMiB, patches, anchorMs: null, anchorPeakMiB: null };
  }
  if (anchor.patches !== patches) throw new Error(`coverage benchmark: ${patches} patches here, ${anchor.patches} from the Python pipeline`);
  report(title, subject, { name: 'anchor: rasterio + geometry_mask + bincount + ndimage.label (Python)', medianMs: anchor.seconds * 1000, minMs: anchor.seconds * 1000, runs: 1 }, Math.round(mpx), 'Mpx');
  console.log(`  peak RSS: greenmine ${peakMiB.toFixed(0)} MiB, Python ${anchor.peakRssMiB.toFixed(0)} MiB; same patch count (${patches})`);
  return { ms: subject.medianMs, peakMiB, patches, anchorMs: anchor.seconds * 1000, anchorPeakMiB: anchor.peakRssMiB };
}

export async function benchRaster(size: number, geoblazeSize: number): Promise<void> {
  const t0 = performance.now();
  const path = await classRaster(size);
  console.log(`\n(class raster ${size} × ${size}: ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  await benchCoverageUserPath(size);
  const withOutlines = await time(
    'the same with outlines (`coverage --patches out.geojson`)',
    async () => consume((await measureCoverage(path, [licenseCovering(size)], { minPatchM2: DEFAULT_THRESHOLDS.minPatchM2, bufferM: DEFAULT_THRESHOLDS.bufferM })).barePatches.length),
    { repeats: 1, warmup: 0 },
  );
  console.log(`  ${withOutlines.name}: ${withOutlines.medianMs.toFixed(0)} ms, peak RSS so far ${peakRssMiB().toFixed(0)} MiB`);
  console.log('\nInner path (class areas only, no patches):');
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
