import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../src/cli/main.js';
import { GreenmineError } from '../src/errors.js';

/** The benchmarks' seeded generator (mulberry32): every run sees the same data. */
export { rng } from '../bench/harness.js';

export const fixture = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));

export const expected = JSON.parse(readFileSync(fixture('scene-a/EXPECTED.json'), 'utf8')) as {
  license: {
    blocks: number;
    holes: number;
    crs_plain: string;
    crs_prefixed: string;
    planar_area_m2: number;
    ellipsoidal_area_m2: number;
    elevation_m: { min: number; max: number };
    corners: Array<{ x_northing: number; y_easting_prefixed: number; lon: number; lat: number }>;
  };
  proj: Array<Record<string, number | [number, number]>>;
};

/** The GreenmineError code thrown by `fn` (sync or async); fails the test when nothing or something else is thrown. */
export async function errorCode(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GreenmineError);
    return (err as GreenmineError).code;
  }
  throw new Error('expected a GreenmineError, but nothing was thrown');
}

/** Metres between two lon/lat positions (local approximation, fine below a kilometre). */
export function metresBetween(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dLat = (lat2 - lat1) * 110_574;
  const dLon = (lon2 - lon1) * 111_320 * Math.cos((lat1 * Math.PI) / 180);
  return Math.hypot(dLat, dLon);
}

/** Run the CLI in-process: its exit code and what it printed. */
export async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
