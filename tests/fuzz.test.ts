/**
 * Seeded fuzzing of every reader through the command line: truncations at
 * many offsets, bit flips in the headers, garbage, and the hand-made hostile
 * files of the other suites. The property: the CLI exits 0, or exits 1 or 2
 * with a coded error; never "internal error", never a stack trace. A few of
 * the worst cases also run the built CLI under an address-space limit
 * (prlimit --as), where the process must still answer with a code.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture, rng, run } from './helpers.js';
import { baseTags, craftTiff } from './tiff-craft.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-fuzz-'));
const random = rng(Number(process.env.FUZZ_SEED ?? 20261202));
const LICENSE = fixture('scene-a/license.geojson');

/** The command that reads a file of each kind. */
const COMMANDS: Record<string, (file: string) => string[]> = {
  license: (f) => ['license', f, '--json'],
  track: (f) => ['fence', '--license', LICENSE, '--track', f, '--json'],
  classes: (f) => ['coverage', '--license', LICENSE, '--classes', f, '--json'],
  dem: (f) => ['slope', '--dem', f, '--out', join(dir, `slope-${Math.floor(random() * 1e9)}.tif`)],
  readings: (f) => ['dust', '--readings', f, '--stations', fixture('sensors/stations.csv'), '--json'],
  cameras: (f) => ['cameras', '--license', fixture('cameras/license.geojson'), '--cameras', f, '--cameras-crs', 'EPSG:4549', '--json'],
  manifest: (f) => ['audit', f, '--out', join(dir, 'audit-out')],
};

const SOURCES: Array<[kind: string, path: string]> = [
  ['license', fixture('scene-a/license_corners.txt')],
  ['license', fixture('scene-a/license.geojson')],
  ['license', fixture('scene-a/license.kml')],
  ['license', fixture('scene-a/license.kmz')],
  ['license', fixture('scene-a/license_shp/license.shp')],
  ['track', fixture('scene-a/excavator.csv')],
  ['track', fixture('scene-a/excavator.gpx')],
  ['track', fixture('tracks/excavator.nmea')],
  ['track', fixture('tracks/points.geojson')],
  ['classes', fixture('scene-a/classes.tif')],
  ['classes', fixture('scene-a/variants/classes_lzw_strips.tif')],
  ['dem', fixture('scene-a/variants/dem_lzw_pred3.tif')],
  ['readings', fixture('sensors/readings.csv')],
  ['cameras', fixture('cameras/cameras.csv')],
  ['manifest', fixture('scene-a/mine.json')],
];

function expectCoded(r: { code: number; stdout: string; stderr: string }, label: string): void {
  expect([0, 1, 2], label).toContain(r.code);
  expect(r.stderr, label).not.toContain('internal error');
  expect(r.stderr, label).not.toMatch(/\n\s+at [\w.<>]+ \(/);
  if (r.code === 1) expect(r.stderr, label).toMatch(/^error [A-Z][A-Z0-9_]+:/m);
}

/** A copy of `path` (and, for a shapefile, its siblings) with the main file's bytes replaced. */
function mutant(path: string, bytes: Uint8Array, tag: string): string {
  const sub = join(dir, tag);
  mkdirSync(sub, { recursive: true });
  const name = path.split('/').pop()!;
  const target = join(sub, name);
  if (name.endsWith('.shp'))
    for (const ext of ['.dbf', '.prj', '.cpg', '.shx']) {
      const sibling = path.replace(/\.shp$/, ext);
      if (existsSync(sibling)) copyFileSync(sibling, target.replace(/\.shp$/, ext));
    }
  if (name === 'mine.json') for (const f of ['license_corners.txt', 'classes.tif', 'excavator.gpx']) copyFileSync(fixture(`scene-a/${f}`), join(sub, f));
  writeFileSync(target, bytes);
  return target;
}

describe('fuzz: every reader answers with a code', () => {
  let n = 0;
  for (const [kind, path] of SOURCES) {
    it(`${kind}: ${path.split('/fixtures/')[1]}`, async () => {
      const original = readFileSync(path);
      const cases: Array<[string, Uint8Array]> = [];
      // Truncations at many offsets (dense near the start, where headers are).
      for (const at of [0, 1, 7, 8, 16, 31, 64, 100, 128, 512, 4096]) if (at < original.length) cases.push([`cut${at}`, original.subarray(0, at)]);
      for (let k = 0; k < 6; k++) {
        const at = Math.floor(random() * original.length);
        cases.push([`cutr${at}`, original.subarray(0, at)]);
      }
      // Bit flips in the first 512 bytes, one to four at a time.
      for (let k = 0; k < 12; k++) {
        const b = Buffer.from(original);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f++) {
          const at = Math.floor(random() * Math.min(512, b.length));
          b[at]! ^= 1 << Math.floor(random() * 8);
        }
        cases.push([`flip${k}`, b]);
      }
      // Garbage of the same size, and a run of one byte.
      cases.push(['garbage', Uint8Array.from({ length: Math.min(original.length, 8192) }, () => Math.floor(random() * 256))]);
      cases.push(['zeros', new Uint8Array(Math.min(original.length, 8192))]);
      for (const [tag, bytes] of cases) {
        const file = mutant(path, bytes, `${kind}-${n++}-${tag}`);
        const t0 = Date.now();
        expectCoded(await run(...COMMANDS[kind]!(file)), `${kind} ${tag} of ${path}`);
        if (process.env.FUZZ_LOG) console.log(`FUZZ ${kind} ${tag} ${Date.now() - t0} ms ${file}`);
      }
    }, 120_000);
  }
});

describe('fuzz: hostile files under an address-space limit', () => {
  const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
  const prlimit = spawnSync('prlimit', ['--version']).status === 0;

  it.runIf(prlimit && existsSync(cli))(
    'an IFD loop, a huge declared raster, an LZW of garbage and /dev/zero answer with a code within 4 GiB of address space',
    () => {
      const loop = join(dir, 'loop.tif');
      writeFileSync(loop, craftTiff([{ tags: baseTags(4, 3), blocks: [new Uint8Array(12)] }], { loop: true }));
      const huge = join(dir, 'huge.tif');
      writeFileSync(huge, craftTiff([{ tags: baseTags(4_000_000, 1000), blocks: [new Uint8Array(64)] }]));
      const lzw = join(dir, 'lzw.tif');
      writeFileSync(lzw, craftTiff([{ tags: baseTags(256, 256, [{ tag: 259, type: 3, values: [5] }]), blocks: [Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256))] }]));
      for (const [file, code] of [
        [loop, 'RASTER_DAMAGED'],
        [huge, 'RASTER_TOO_LARGE'],
        [lzw, 'RASTER_'],
        ['/dev/zero', 'FILE_NOT_REGULAR'],
      ] as const) {
        const r = spawnSync('prlimit', [`--as=${4 * 2 ** 30}`, process.execPath, cli, 'coverage', '--license', LICENSE, '--classes', file], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, `${file}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(code);
        expect(r.stderr).not.toContain('internal error');
      }
    },
    120_000,
  );

  it.runIf(prlimit && existsSync(cli))(
    'a raster large enough for the inflate pool is measured under a 4 GiB address-space limit (the SIMD kernel falls back when V8 cannot reserve its memory)',
    async () => {
      const { writeTiledTiff } = await import('../src/raster/index.js');
      const big = join(dir, 'pooled.tif');
      await writeTiledTiff(big, { width: 2100, height: 2100, tileSize: 256, type: 'uint8', deflate: true, originX: 494400, originY: 3384800, pixelSize: 1, epsg: 4549, nodata: '0' }, (_x, _y, out) => {
        for (let i = 0; i < out.length; i++) out[i] = i % 7 ? 10 : 60;
      });
      const args = [cli, 'coverage', '--license', LICENSE, '--classes', big, '--json'];
      const free = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
      const limited = spawnSync('prlimit', [`--as=${4 * 2 ** 30}`, process.execPath, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(free.status, free.stderr).toBe(0);
      expect(limited.status, limited.stderr).toBe(0);
      expect(JSON.parse(limited.stdout).areaM2).toEqual(JSON.parse(free.stdout).areaM2);
    },
    120_000,
  );
});
