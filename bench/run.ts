/**
 * npm run bench                      full size
 * BENCH_SIZE=small npm run bench     CI size, so the benchmarks cannot rot
 *
 * Each group runs in its own child process so that its peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchAudit } from './audit.js';
import { benchCameras } from './cameras.js';
import { benchFence } from './fence.js';
import { sink } from './harness.js';
import { benchLicenses } from './license.js';
import { benchRaster } from './raster.js';
import { benchLabelling, benchTerrain } from './terrain.js';

const small = process.env.BENCH_SIZE === 'small';
const groups: Record<string, () => Promise<void>> = {
  licenses: () => benchLicenses(small ? 1000 : 10_000),
  fence: () => benchFence(small ? 200 : 2000, small ? 100_000 : 1_000_000),
  raster: () => benchRaster(small ? 2000 : 20_000, small ? 1000 : 4000),
  terrain: () => benchTerrain(small ? 1500 : 16_000),
  labelling: () => benchLabelling(small ? 2000 : 10_000),
  cameras: () => benchCameras(small ? 500 : 2000, small ? 150 : 600),
  audit: () => benchAudit(small ? 10 : 200),
};

const only = process.argv[2];
if (only) {
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
