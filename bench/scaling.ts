/**
 * Cost growth (`npm run bench -- --scaling`): each command's library call at
 * several sizes, each size in its own process so its peak RSS is its own;
 * printed with the slope of log(time) against log(size) (1 = linear) and
 * written to bench/results/scaling.json, from which
 * scripts/performance-plots.mjs draws docs/performance.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findManifests, runBatch } from '../src/audit/index.js';
import { FenceIndex } from '../src/fence/index.js';
import { exposedSlopes } from '../src/terrain/index.js';
import { province } from './audit.js';
import { makeScene } from './fence.js';
import { consume, peakRssMiB, time } from './harness.js';
import { benchCoverageUserPath } from './raster.js';
import { rasters, squareLicense } from './terrain.js';

export interface Point {
  series: string;
  /** The size on the x axis, in `unit`. */
  size: number;
  unit: string;
  ms: number;
  /** Items per second (fixes, Mpx, mines). */
  throughput: number;
  throughputUnit: string;
  peakMiB: number;
}

export const SERIES: Record<string, { unit: string; full: number[]; small: number[] }> = {
  'fence build (licenses)': { unit: 'licenses', full: [200, 2000, 20_000], small: [50, 200, 800] },
  'fence locate (fixes, 2 000 licenses)': { unit: 'fixes', full: [1e5, 1e6, 1e7], small: [1e4, 5e4, 2e5] },
  'coverage with patches (side, px)': { unit: 'px', full: [4000, 20_000, 40_000], small: [500, 1000, 2000] },
  'exposed slopes (side, px)': { unit: 'px', full: [4000, 16_000, 32_000], small: [500, 1000, 1500] },
  'batch of demo audits (mines)': { unit: 'mines', full: [10, 100, 1000], small: [2, 4, 8] },
};

/** One point of a series, measured in this process. */
export async function measurePoint(series: string, size: number): Promise<Point> {
  const base = { series, size, unit: SERIES[series]!.unit };
  if (series.startsWith('fence build')) {
    const scene = makeScene(size, 1000);
    const t = await time('build', () => consume(FenceIndex.build(scene.licenses).data.byteLength), { repeats: 9, warmup: 2 });
    return { ...base, ms: t.medianMs, throughput: (size / t.medianMs) * 1000, throughputUnit: 'licenses/s', peakMiB: peakRssMiB() };
  }
  if (series.startsWith('fence locate')) {
    const scene = makeScene(2000, size);
    const fence = FenceIndex.build(scene.licenses);
    const out = new Int32Array(size);
    const t = await time('locate', () => (fence.locateInto(scene.lon, scene.lat, out), consume(out[size - 1]!)), { repeats: 5, warmup: 1 });
    return { ...base, ms: t.medianMs, throughput: (size / t.medianMs) * 1000, throughputUnit: 'fixes/s', peakMiB: peakRssMiB() };
  }
  if (series.startsWith('coverage')) {
    const r = await benchCoverageUserPath(size, false);
    return { ...base, ms: r.ms, throughput: ((size * size) / 1e6 / r.ms) * 1000, throughputUnit: 'Mpx/s', peakMiB: r.peakMiB };
  }
  if (series.startsWith('exposed slopes')) {
    const { dem, classes } = await rasters(size);
    const license = squareLicense(size);
    const t = await time('slopes', async () => consume((await exposedSlopes(classes, dem, [license])).count), { repeats: size > 5000 ? 1 : 3, warmup: size > 5000 ? 0 : 1 });
    return { ...base, ms: t.medianMs, throughput: ((size * size) / 1e6 / t.medianMs) * 1000, throughputUnit: 'Mpx/s', peakMiB: peakRssMiB() };
  }
  if (series.startsWith('batch')) {
    const dir = province(size);
    try {
      const manifests = findManifests(dir);
      const out = mkdtempSync(join(tmpdir(), 'greenmine-bench-batch-out-'));
      const t = await time(
        'batch',
        async () => {
          const rows = await runBatch(manifests, { out });
          if (rows.some((r) => r.outcome !== 'audited' || Object.values(r.statuses).includes('not-assessed'))) throw new Error('scaling benchmark: a mine was not fully audited');
          consume(rows.length);
        },
        { repeats: 1, warmup: 0 },
      );
      rmSync(out, { recursive: true, force: true });
      return { ...base, ms: t.medianMs, throughput: (size / t.medianMs) * 60_000, throughputUnit: 'mines/min', peakMiB: peakRssMiB() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`unknown scaling series "${series}"`);
}

/** Least-squares slope of log(y) against log(x): 1 is linear growth, 0 flat. */
export function logSlope(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log),
    ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length,
    my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0,
    den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}
