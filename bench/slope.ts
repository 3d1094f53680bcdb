/**
 * `greenmine slope` as users run it: a slope raster (Horn, degrees, edges
 * computed) written as a tiled DEFLATE float32 GeoTIFF from the benchmark
 * DEM, against `gdaldem slope … -co COMPRESS=DEFLATE -co TILED=YES` on the
 * same DEM when GDAL is installed (Debian's gdal-bin), else the anchor is
 * decoding the DEM alone. Each writer's output is read back and compared.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RasterReader } from '../src/raster/index.js';
import { writeSlopeRaster } from '../src/terrain/index.js';
import { decodeAll } from './decode.js';
import { childRun, consume, peakRssMiB, report, time } from './harness.js';
import { rasters } from './terrain.js';

/** Peak RSS of a finished child process, from GNU time's %M (KiB), or null without /usr/bin/time. */
export async function benchSlope(size: number): Promise<void> {
  const { dem } = await rasters(size);
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-bench-slope-'));
  try {
    const ours = join(dir, 'slope.tif');
    const repeats = size > 5000 ? 1 : 3;
    const subject = await time(
      'greenmine writeSlopeRaster (the `slope` command)',
      async () => {
        rmSync(ours, { force: true });
        const r = await writeSlopeRaster(dem, ours);
        consume(r.width);
      },
      { repeats, warmup: size > 5000 ? 0 : 1 },
    );
    const ourPeak = peakRssMiB();
    const mpx = (size * size) / 1e6;
    const gdal = spawnSync('gdalinfo', ['--version'], { encoding: 'utf8' });
    if (gdal.status === 0) {
      const theirs = join(dir, 'slope_gdal.tif');
      let peak: number | null = null;
      const anchor = await time(
        'anchor: gdaldem slope -compute_edges, DEFLATE, tiled',
        () => {
          rmSync(theirs, { force: true });
          peak = childRun('gdaldem', ['slope', '-q', '-alg', 'Horn', '-compute_edges', dem, theirs, '-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES']).peakMiB;
        },
        { repeats, warmup: 0 },
      );
      report(`Slope raster of a ${size} × ${size} DEM (${mpx.toFixed(0)} Mpx), DEFLATE output`, subject, anchor, Math.round(mpx), 'Mpx');
      console.log(
        `  output ${(statSync(ours).size / 2 ** 20).toFixed(0)} MiB (gdaldem ${(statSync(theirs).size / 2 ** 20).toFixed(0)} MiB); peak RSS greenmine ${ourPeak.toFixed(0)} MiB, gdaldem ${peak === null ? 'unknown' : `${(peak as number).toFixed(0)} MiB`}`,
      );
      // Same slopes: the largest difference over a band of rows in the middle.
      const a = await RasterReader.open(ours);
      const b = await RasterReader.open(theirs);
      try {
        // Both are tiled 256²: compare the blocks of the middle block row.
        const by = Math.floor(a.blocksDown / 2);
        let worst = 0;
        for (let bx = 0; bx < a.blocksAcross; bx++) {
          const [x, y] = [await a.readBlock(bx, by), await b.readBlock(bx, by)];
          for (let i = 0; i < x.length; i++) if (x[i]! > -9999 && y[i]! > -9999) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
        }
        console.log(`  largest slope difference over block row ${by}: ${worst.toExponential(2)}°`);
        if (!(worst < 1e-2)) throw new Error(`slope benchmark: greenmine and gdaldem differ by ${worst}° in block row ${by}`);
      } finally {
        await a.close();
        await b.close();
      }
    } else {
      const decode = await time('anchor: decode the DEM alone (gdaldem not installed: anchor skipped)', () => decodeAll(dem), { repeats, warmup: 0 });
      report(`Slope raster of a ${size} × ${size} DEM (${mpx.toFixed(0)} Mpx), DEFLATE output`, subject, decode, Math.round(mpx), 'Mpx');
      console.log(`  peak RSS greenmine ${ourPeak.toFixed(0)} MiB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
