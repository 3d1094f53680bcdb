/**
 * npm run bench                      full size
 * BENCH_SIZE=small npm run bench     CI size, so the benchmarks cannot rot
 * npm run bench -- --scaling         cost growth at three sizes per command (bench/scaling.ts);
 *                                    full size writes bench/results/scaling.json
 *
 * Each group runs in its own child process so that its peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchAudit } from './audit.js';
import { benchCameras } from './cameras.js';
import { benchFence } from './fence.js';
import { sink } from './harness.js';
import { benchImagery } from './imagery.js';
import { benchLicenses } from './license.js';
import { benchRaster } from './raster.js';
import { logSlope, measurePoint, type Point, SERIES } from './scaling.js';
import { benchServe } from './serve.js';
import { benchSlope } from './slope.js';
import { benchLabelling, benchTerrain } from './terrain.js';

const small = process.env.BENCH_SIZE === 'small';
const groups: Record<string, () => Promise<void>> = {
  licenses: () => benchLicenses(small ? 1000 : 10_000),
  fence: () => benchFence(small ? 200 : 2000, small ? 100_000 : 1_000_000),
  raster: () => benchRaster(small ? 2000 : 20_000, small ? 1000 : 4000),
  terrain: () => benchTerrain(small ? 1500 : 16_000),
  slope: () => benchSlope(small ? 1500 : 16_000),
  labelling: () => benchLabelling(small ? 2000 : 10_000),
  cameras: () => benchCameras(small ? 500 : 2000, small ? 150 : 600),
  imagery: () => benchImagery(small ? 2048 : Number(process.env.BENCH_IMAGERY_SIZE ?? 16_384)),
  audit: () => benchAudit(small ? 10 : 200),
  serve: () => benchServe(small ? 2000 : 20_000, small ? 10 : 25, Number(process.env.BENCH_SERVE_RATE ?? 4000)),
};

const only = process.argv[2];
if (only === '--point') {
  // One scaling point, in this process: its JSON on the last line.
  const point = await measurePoint(process.argv[3]!, Number(process.argv[4]));
  console.log(JSON.stringify(point));
} else if (only === '--scaling') {
  const points: Point[] = [];
  console.log(`greenmine cost growth — Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${small ? 'small' : 'full'} sizes`);
  let failed = false;
  for (const [series, spec] of Object.entries(SERIES)) {
    console.log(`\n${series}`);
    const mine: Point[] = [];
    for (const size of small ? spec.small : spec.full) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--point', series, String(size)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
      const last = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !last.startsWith('{')) {
        console.log(`  ${size} ${spec.unit}: failed (${child.stderr.trim().split('\n').slice(-3).join(' | ')})`);
        failed = true;
        continue;
      }
      const p = JSON.parse(last) as Point;
      mine.push(p);
      console.log(
        `  ${p.size.toLocaleString('en-US').padStart(10)} ${p.unit.padEnd(8)} ${p.ms.toFixed(1).padStart(10)} ms  ${Math.round(p.throughput).toLocaleString('en-US').padStart(12)} ${p.throughputUnit.padEnd(10)} peak RSS ${p.peakMiB.toFixed(0).padStart(5)} MiB`,
      );
    }
    if (mine.length >= 2) {
      // Rasters are sized by their side: cost follows the pixels, side².
      const x = mine.map((p) => (p.unit === 'px' ? p.size * p.size : p.size));
      console.log(
        `  growth: time ∝ size^${logSlope(
          x,
          mine.map((p) => p.ms),
        ).toFixed(2)}, memory ∝ size^${logSlope(
          x,
          mine.map((p) => p.peakMiB),
        ).toFixed(2)} (1 = linear, 0 = flat${mine[0]!.unit === 'px' ? '; size = pixels' : ''})`,
      );
    }
    points.push(...mine);
  }
  if (!small) {
    const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}scaling.json`, `${JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model ?? null, cores: os.cpus().length, date: new Date().toISOString().slice(0, 10), points }, null, 2)}\n`);
    console.log('\nwritten to bench/results/scaling.json (npm run docs draws docs/performance.md from it)');
  }
  process.exit(failed ? 1 : 0);
} else if (only) {
  const run = groups[only];
  if (!run) {
    console.error(`unknown benchmark group "${only}" (${Object.keys(groups).join(', ')})`);
    process.exit(2);
  }
  await run();
  console.log(`(${only}: sink ${sink.toExponential(3)})`);
} else {
  console.log(`greenmine benchmarks — Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${small ? 'small' : 'full'} size`);
  let failed = false;
  for (const name of Object.keys(groups)) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name], { stdio: 'inherit', env: process.env });
    if (child.status !== 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}
