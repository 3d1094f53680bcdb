/**
 * The inflate pool runs only from the built JavaScript (a worker needs a .js
 * file), so these tests load the build in dist/ (made by `npm ci` through
 * `prepare`) and compare it with the in-thread path of the sources: the same
 * answers to the last bit, on every layout, type and predictor, with excluded
 * zones, a buffer ring and holes; and a truncated file named as such.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { crsFromEpsg } from '../src/crs/index.js';
import { classifyImagery } from '../src/imagery/index.js';
import { type License, loadLicenses } from '../src/license/index.js';
import { BlockCounts, countRun } from '../src/raster/counts.js';
import { PolygonCoverage } from '../src/raster/coverage.js';
import { type CoverageReport, measureCoverage, RasterReader } from '../src/raster/index.js';
import { writeTiledTiff } from '../src/raster/writer.js';
import { fixture, rng } from './helpers.js';
import { baseTags, craftTiff } from './tiff-craft.js';

type Built = typeof import('../src/raster/index.js');
const builtUrl = new URL('../dist/src/raster/index.js', import.meta.url);
let built: Built;

beforeAll(async () => {
  expect(existsSync(fileURLToPath(builtUrl)), 'npm ci builds dist/ (prepare)').toBe(true);
  built = (await import(builtUrl.href)) as Built;
  // Every raster through the pool, however small.
  built.RasterReader.POOL_MIN_PIXELS = 0;
});

const licenses = await loadLicenses(fixture('scene-a/license_corners.txt'));
const excluded = await loadLicenses(fixture('scene-a/excluded_zones.geojson'));
const dir = mkdtempSync(join(tmpdir(), 'greenmine-pool-'));

function areas(r: CoverageReport): unknown {
  return { areaM2: r.areaM2, beforeExclusionM2: r.beforeExclusionM2, outside: r.outsideLicense, ratio: r.greenRatio, patches: r.barePatches };
}

describe('class areas through the inflate pool equal the in-thread path exactly', () => {
  const rasters = [
    'scene-a/classes.tif',
    'scene-a/variants/classes_bigtiff.tif',
    'scene-a/variants/classes_cog.tif',
    ...['deflate_strips', 'uint16_pred2', 'tiled512', 'int16_strips', 'float32_pred3', 'sparse16'].map((v) => `raster-variants/classes_${v}.tif`),
  ];
  for (const raster of rasters) {
    it(raster, async () => {
      const path = fixture(raster);
      const reader = await built.RasterReader.open(path);
      expect(reader.pool, 'the raster goes to the pool').not.toBeNull();
      await reader.close();
      for (const options of [{ bufferM: 0 }, { bufferM: 0, exclude: excluded }, { bufferM: 50 }, { bufferM: 30, exclude: excluded, minPatchM2: 5 }, { bufferM: 0, mode: 'centre' as const }]) {
        const pooled = await built.measureCoverage(path, licenses, options);
        const inThread = await measureCoverage(path, licenses, options);
        expect(areas(pooled)).toEqual(areas(inThread));
      }
    });
  }

  it('a license with a hole over small tiles: blocks inside, outside, on the edge and in the hole', async () => {
    // 1024² uint8 in 32² tiles; a square license with a square hole, both a few tiles across.
    const path = join(dir, 'tiles.tif');
    const random = rng(7);
    const codes = [10, 20, 30, 60, 80];
    await writeTiledTiff(path, { width: 1024, height: 1024, tileSize: 32, type: 'uint8', deflate: true, originX: 500000, originY: 3400000, pixelSize: 1, epsg: 4549, nodata: '0' }, (_tx, _ty, out) => {
      for (let i = 0; i < out.length; i++) out[i] = codes[Math.floor(random() * codes.length)]!;
    });
    const ring = (x0: number, y0: number, x1: number, y1: number): Float64Array => Float64Array.from([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0]);
    const license: License = {
      id: 'holed',
      name: null,
      licenseNo: null,
      holder: null,
      elevationM: null,
      statedArea: null,
      crs: crsFromEpsg(4549),
      sourceFile: 'test',
      attributes: {},
      findings: [],
      blocks: [{ name: null, rings: [ring(500050.3, 3399050.7, 500960.2, 3399980.1), ring(500300.5, 3399300.5, 500700.5, 3399700.5)] }],
    };
    const pooled = await built.measureCoverage(path, [license], { bufferM: 0 });
    const inThread = await measureCoverage(path, [license], { bufferM: 0 });
    expect(areas(pooled)).toEqual(areas(inThread));
    // And the area is the license's: the shell minus the hole, in square metres.
    expect(pooled.areaM2.license).toBeCloseTo(909.9 * 929.4 - 400 * 400, 3);
  });

  it('bare patches from the workers’ bits equal the in-thread labelling: tiles without bare codes, runs across words and tiles, a tile width not a multiple of 32', async () => {
    const random = rng(11);
    for (const [tile, width] of [
      [48, 1000],
      [64, 777],
    ] as const) {
      const path = join(dir, `patches-${tile}.tif`);
      await writeTiledTiff(path, { width, height: width, tileSize: tile, type: 'uint8', deflate: true, originX: 500000, originY: 3400000, pixelSize: 0.5, epsg: 4549, nodata: '0' }, (tx, ty, out) => {
        // A third of the tiles hold no bare code (their patch bits are null); the others hold bare bands and specks.
        const noBare = (tx * 7 + ty * 3) % 3 === 0;
        for (let i = 0; i < out.length; i++) {
          const x = i % tile;
          const bare = !noBare && ((x + ty * 5) % 37 < 9 || random() < 0.05);
          out[i] = bare ? 60 : [10, 30, 80][Math.floor(random() * 3)]!;
        }
      });
      const span = width * 0.5;
      const ring = Float64Array.from([500000 + 3.3, 3400000 - 4.1, 500000 + span - 5.2, 3400000 - 2.2, 500000 + span - 3.7, 3400000 - span + 6.1, 500000 + 2.9, 3400000 - span + 3.3, 500000 + 3.3, 3400000 - 4.1]);
      const license: License = { id: 'p', name: null, licenseNo: null, holder: null, elevationM: null, statedArea: null, crs: crsFromEpsg(4549), sourceFile: 'test', attributes: {}, findings: [], blocks: [{ name: null, rings: [ring] }] };
      for (const options of [
        { bufferM: 2, minPatchM2: 0.5 },
        { bufferM: 0, minPatchM2: 3, outlines: false },
      ]) {
        const pooled = await built.measureCoverage(path, [license], options);
        const inThread = await measureCoverage(path, [license], options);
        expect(pooled.patches).toBeGreaterThan(20);
        expect(areas(pooled)).toEqual(areas(inThread));
      }
    }
  });

  it('the slope raster split between two threads equals one thread byte for byte, and gdaldem within 0.01°', async () => {
    const terrain = (await import(new URL('../dist/src/terrain/index.js', import.meta.url).href)) as typeof import('../src/terrain/index.js');
    const one = join(dir, 'slope-1.tif');
    const two = join(dir, 'slope-2.tif');
    await terrain.writeSlopeRaster(fixture('scene-a/dem.tif'), one, { threads: 1 });
    await terrain.writeSlopeRaster(fixture('scene-a/dem.tif'), two, { threads: 2 });
    expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
    const ours = await RasterReader.open(two);
    const ref = await RasterReader.open(fixture('scene-a/gdaldem/slope_horn.tif'));
    expect(ours.info.width).toBeGreaterThan(256);
    let worst = 0;
    for (let by = 0; by < ours.blocksDown; by++) {
      for (let bx = 0; bx < ours.blocksAcross; bx++) {
        const block = await ours.readBlock(bx, by);
        const w = ours.info.blockWidth;
        for (let i = 0; i < block.length; i++) {
          const x = bx * w + (i % w),
            y = by * w + Math.floor(i / w);
          if (x >= ours.info.width || y >= ours.info.height) continue;
          const refBlock = await ref.readBlock(Math.floor(x / ref.info.blockWidth), Math.floor(y / ref.info.blockHeight));
          const e = refBlock[(y % ref.info.blockHeight) * ref.info.blockWidth + (x % ref.info.blockWidth)]!;
          worst = Math.max(worst, Math.abs(block[i]! - e));
        }
      }
    }
    await ours.close();
    await ref.close();
    expect(worst).toBeLessThan(0.01);
  });

  it('decoded blocks equal the in-thread ones byte for byte: float DEM with predictor 3, uint16 with predictor 2, strips, sparse blocks', async () => {
    for (const raster of ['scene-a/dem.tif', 'scene-a/dem_after_soil.tif', 'raster-variants/classes_uint16_pred2.tif', 'raster-variants/classes_deflate_strips.tif', 'raster-variants/classes_sparse16.tif']) {
      const pooled = await built.RasterReader.open(fixture(raster));
      const plain = await RasterReader.open(fixture(raster));
      expect(pooled.pool).not.toBeNull();
      for (let by = 0; by < plain.blocksDown; by++) {
        const rows = await pooled.readBlockRowPooled(by, 0, pooled.blocksAcross - 1);
        for (let bx = 0; bx < plain.blocksAcross; bx++) {
          const a = rows[bx]!,
            b = await plain.readBlock(bx, by);
          expect(a.constructor).toBe(b.constructor);
          expect(Buffer.from(a.buffer, a.byteOffset, b.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `${raster} block ${bx},${by}`).toBe(true);
        }
      }
      await pooled.close();
      await plain.close();
    }
  });

  it('refuses rows outside the raster, and rasters the pool cannot decode', async () => {
    const reader = await built.RasterReader.open(fixture('scene-a/classes.tif'));
    const codeOf = (p: Promise<unknown>): Promise<string | undefined> =>
      p.then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
    expect(await codeOf(reader.readBlockRowPooled(reader.blocksDown, 0, 0))).toBe('RASTER_BAD_BLOCK');
    expect(await codeOf(reader.readBlockRowPooled(0, 0, reader.blocksAcross))).toBe('RASTER_BAD_BLOCK');
    await reader.close();
    const lzw = await built.RasterReader.open(fixture('scene-a/variants/classes_lzw_strips.tif'));
    expect(lzw.pool).toBeNull();
    expect(await codeOf(lzw.readBlockRowPooled(0, 0, 0))).toBe('RASTER_NO_POOL');
    await lzw.close();
  });

  it('a DEFLATE raster with damaged blocks is named as such (a truncated one is refused at open)', async () => {
    const path = join(dir, 'truncated.tif');
    copyFileSync(fixture('scene-a/classes.tif'), path);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const cut = await built.measureCoverage(path, licenses, { bufferM: 0 }).then(
      () => null,
      (e: { code?: string; message: string }) => e,
    );
    expect(cut?.code).toBe('RASTER_DAMAGED');
    // Same length, blocks overwritten with garbage from 60 % on: the worker's inflate fails.
    const damaged = Buffer.from(bytes);
    for (let i = Math.floor(bytes.length * 0.6); i < bytes.length; i++) damaged[i] = (i * 7919) & 0xff;
    writeFileSync(path, damaged);
    const err = await built.measureCoverage(path, licenses, { bufferM: 0 }).then(
      () => null,
      (e: { code?: string; message: string }) => e,
    );
    expect(err?.code).toBe('RASTER_DECODE');
    expect(err?.message).toMatch(/truncated\.tif: cannot read block \d+,\d+ .*truncated or corrupt/);
  });

  it('idle workers do not keep the process alive', () => {
    const script = `import(${JSON.stringify(builtUrl.href)}).then(async (m) => {
      m.RasterReader.POOL_MIN_PIXELS = 0;
      const r = await m.RasterReader.open(${JSON.stringify(fixture('scene-a/classes.tif'))});
      const blocks = await r.readBlockRowPooled(0, 0, r.blocksAcross - 1);
      console.log(blocks.filter(Boolean).length);
      await r.close();
    });`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(0);
    expect(Number(run.stdout.trim())).toBeGreaterThan(0);
  });
});

describe('counting kernels', () => {
  const naive = (a: ArrayLike<number>, from: number, to: number): Map<number, number> => {
    const m = new Map<number, number>();
    for (let i = from; i < to; i++) m.set(a[i]!, (m.get(a[i]!) ?? 0) + 1);
    return m;
  };
  const lanesToMap = (hist: Uint32Array | Float64Array, lanes: number, size: number): Map<number, number> => {
    const m = new Map<number, number>();
    for (let v = 0; v < size; v++) {
      let n = 0;
      for (let l = 0; l < lanes; l++) n += hist[l * size + v]!;
      if (n) m.set(v, n);
    }
    return m;
  };

  it('countRun equals a plain count on any stretch, aligned or not', () => {
    const random = rng(3);
    const data = new Uint8Array(4099).map(() => Math.floor(random() * 7) * 17);
    const words = new Uint32Array(data.buffer, 0, data.length >> 2);
    for (const [from, to] of [
      [0, 4099],
      [1, 2],
      [3, 9],
      [5, 4096],
      [4095, 4099],
      [7, 7],
    ] as const) {
      const hist = new Uint32Array(1024);
      countRun(data, words, from, to, hist);
      expect(lanesToMap(hist, 4, 256)).toEqual(naive(data, from, to));
    }
  });

  it('BlockCounts equals a plain count: pairs of words, a ragged tail, an unaligned view, uint16', () => {
    const random = rng(4);
    const counts = new BlockCounts(true);
    const all: number[] = [];
    for (const length of [65536, 1001, 6, 3]) {
      const block = new Uint8Array(length).map(() => [0, 10, 60, 255][Math.floor(random() * 4)]!);
      counts.count(block);
      all.push(...block);
    }
    const unaligned = new Uint8Array(new ArrayBuffer(103), 3, 100).map(() => 30);
    counts.count(unaligned);
    all.push(...unaligned);
    expect(lanesToMap(counts.take(), 1, 256)).toEqual(naive(all, 0, all.length));

    const wide = new BlockCounts(false);
    const block16 = new Uint16Array(999).map(() => Math.floor(random() * 65536));
    wide.count(block16);
    expect(lanesToMap(wide.take(), 1, 65536)).toEqual(naive(block16, 0, block16.length));
  });

  it('the SIMD kernel equals a plain count: learnt codes, a block with a new code, more than 16 codes, ragged ends', () => {
    const random = rng(6);
    const make = (length: number, codes: number[]): Uint8Array => new Uint8Array(length).map(() => codes[Math.floor(random() * codes.length)]!);
    const blocks = [
      make(65536, [10, 20, 30, 60]), // learnt from here
      make(65536, [10, 60]),
      make(4099, [10, 20, 30, 60]), // a tail after the last vector
      make(65536, [10, 20, 30, 60, 95]), // a code not learnt: counted by the scalar path, then learnt
      make(65536, [10, 95]),
      make(
        70000,
        Array.from({ length: 40 }, (_, i) => i * 5),
      ), // too many codes for the kernel
      make(15, [80]), // shorter than a vector
      make(300_000, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100]), // larger than the kernel's first memory
    ];
    const simd = new BlockCounts(true);
    const scalar = new BlockCounts(true, { simd: false });
    for (const b of blocks) {
      simd.count(b);
      scalar.count(b);
    }
    const all = blocks.flatMap((b) => [...b]);
    const plain = naive(all, 0, all.length);
    expect(lanesToMap(simd.take(), 1, 256)).toEqual(plain);
    expect(lanesToMap(scalar.take(), 1, 256)).toEqual(plain);
  });

  it('a raster whose blocks keep changing codes leaves the kernel aside and still counts right', () => {
    const random = rng(8);
    const counts = new BlockCounts(true);
    const all: number[] = [];
    for (let i = 0; i < 40; i++) {
      const block = new Uint8Array(4096).map(() => (i * 7 + Math.floor(random() * 3)) & 255);
      counts.count(block);
      all.push(...block);
    }
    expect(lanesToMap(counts.take(), 1, 256)).toEqual(naive(all, 0, all.length));
  });

  it('the committed kernel bytes are the assembly of their .wat files', () => {
    const run = spawnSync(process.execPath, ['scripts/assemble-wasm.mjs', '--check'], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
    expect(run.stdout).toContain('up to date');
    expect(run.stdout).not.toContain('not the assembly');
    expect(run.status).toBe(0);
  });

  it('PolygonCoverage.rectangle: inside means coverage 1 at every pixel, outside 0', () => {
    const random = rng(5);
    for (let trial = 0; trial < 20; trial++) {
      // A random star polygon with a hole, in pixel coordinates.
      const n = 5 + Math.floor(random() * 30);
      const shell: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = (2 * Math.PI * i) / n;
        const r = 40 + random() * 60;
        shell.push(100 + r * Math.cos(a), 100 + r * Math.sin(a));
      }
      shell.push(shell[0]!, shell[1]!);
      const hole = [90, 90, 110, 90, 110, 110, 90, 110, 90, 90];
      const polygons = [[Float64Array.from(shell), Float64Array.from(hole)]];
      const dense = new PolygonCoverage(polygons, 'fractional');
      const cov = new Float64Array(dense.width * (dense.rowMax - dense.rowMin));
      dense.rows(dense.rowMin, dense.rowMax, cov);
      const at = (x: number, y: number): number => (x < dense.colMin || x >= dense.colMax || y < dense.rowMin || y >= dense.rowMax ? 0 : cov[(y - dense.rowMin) * dense.width + x - dense.colMin]!);
      const probe = new PolygonCoverage(polygons, 'fractional');
      let inside = 0,
        outside = 0;
      const wrong: number[][] = [];
      for (let y0 = 0; y0 < 200; y0 += 8) {
        for (let x0 = 0; x0 < 200; x0 += 8) {
          const where = probe.rectangle(x0, y0, x0 + 8, y0 + 8);
          if (where === -1) continue;
          where === 1 ? inside++ : outside++;
          for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) if (at(x, y) !== where) wrong.push([x, y, at(x, y), where]);
        }
      }
      expect(wrong).toEqual([]);
      expect(inside).toBeGreaterThan(0);
      expect(outside).toBeGreaterThan(0);
    }
  });
});

describe('whole interleaved blocks through the pool (multispectral imagery)', () => {
  /** A 4-band pixel-interleaved DEFLATE TIFF (tiles of 32², or strips of 5 rows), predictor 1 or horizontal. */
  function scene(bits: 8 | 16, predictor: 1 | 2, tiled: boolean, sparse = false): string {
    const [w, h, bands] = [70, 45, 4];
    const random = rng(bits * 10 + predictor + (tiled ? 100 : 0));
    const max = bits === 8 ? 255 : 4000;
    const pixels = Array.from({ length: w * h * bands }, () => Math.floor(random() * max));
    const [bw, bh] = tiled ? [32, 32] : [w, 5];
    const blocks: Uint8Array[] = [];
    for (let y0 = 0; y0 < h; y0 += bh) {
      for (let x0 = 0; x0 < w; x0 += bw) {
        const rows = tiled ? bh : Math.min(bh, h - y0);
        const samples = new (bits === 8 ? Uint8Array : Uint16Array)(bw * rows * bands);
        for (let r = 0; r < rows; r++) for (let c = 0; c < bw; c++) for (let b = 0; b < bands; b++) samples[(r * bw + c) * bands + b] = y0 + r < h && x0 + c < w ? pixels[((y0 + r) * w + x0 + c) * bands + b]! : 0;
        if (predictor === 2) for (let r = 0; r < rows; r++) for (let i = (r + 1) * bw * bands - 1; i >= r * bw * bands + bands; i--) samples[i] = (samples[i]! - samples[i - bands]!) & (bits === 8 ? 0xff : 0xffff);
        // With `sparse`, the second block is never written (no bytes: its samples are the fill, 0).
        blocks.push(sparse && blocks.length === 1 ? new Uint8Array(0) : deflateSync(new Uint8Array(samples.buffer)));
      }
    }
    const tags = baseTags(w, h, [
      { tag: 258, type: 3, values: [bits, bits, bits, bits] },
      { tag: 259, type: 3, values: [8] },
      { tag: 277, type: 3, values: [bands] },
      { tag: 284, type: 3, values: [1] },
      { tag: 317, type: 3, values: [predictor] },
      { tag: 338, type: 3, values: [0, 0, 0] },
      ...(tiled
        ? [
            { tag: 322, type: 3 as const, values: [bw] },
            { tag: 323, type: 3 as const, values: [bh] },
          ]
        : [{ tag: 278, type: 4 as const, values: [bh] }]),
    ]).filter((t) => !(tiled && t.tag === 278));
    const path = join(dir, `ms-${bits}-${predictor}-${tiled ? 'tiles' : 'strips'}${sparse ? '-sparse' : ''}.tif`);
    writeFileSync(path, craftTiff([{ tags, blocks }]));
    return path;
  }

  it('give the samples the in-thread reader gives, 8- and 16-bit, with and without the horizontal predictor, tiles and strips', async () => {
    for (const bits of [8, 16] as const) {
      for (const predictor of [1, 2] as const) {
        for (const tiled of [true, false]) {
          const path = scene(bits, predictor, tiled);
          const [pooled, inThread] = [await built.RasterReader.open(path), await RasterReader.open(path)];
          expect(pooled.poolAll, path).not.toBeNull();
          for (let by = 0; by < pooled.blocksDown; by++) {
            const row = await pooled.readBlocksAllPooled(by, 0, pooled.blocksAcross - 1);
            for (let bx = 0; bx < pooled.blocksAcross; bx++) expect(Array.from(row[bx]!), `${path} block ${bx},${by}`).toEqual(Array.from(await inThread.readBlockAll(bx, by)));
          }
          await pooled.close();
          await inThread.close();
        }
      }
    }
  });

  it('classify gives the same classes, histogram and areas through the pool (the workers classify the blocks) as in-thread', async () => {
    const builtImagery = (await import(new URL('../dist/src/imagery/index.js', import.meta.url).href)) as typeof import('../src/imagery/index.js');
    // A license over part of the 70 × 45 scene (origin 494 671, 3 384 582; 1 m pixels), with a buffer: its runs and the buffer's counted apart.
    const ring = Float64Array.from([494671 + 6.3, 3384582 - 3.1, 494671 + 52.2, 3384582 - 5.2, 494671 + 47.7, 3384582 - 39.1, 494671 + 4.9, 3384582 - 33.3, 494671 + 6.3, 3384582 - 3.1]);
    const license: License = { id: 'm', name: null, licenseNo: null, holder: null, elevationM: null, statedArea: null, crs: crsFromEpsg(4549), sourceFile: 'test', attributes: {}, findings: [], blocks: [{ name: null, rings: [ring] }] };
    type Options = NonNullable<Parameters<typeof classifyImagery>[2]>;
    const nir: Options = { bands: ['B', 'G', 'R', 'NIR'] };
    let n = 0;
    for (const bits of [8, 16] as const) {
      for (const predictor of [1, 2] as const) {
        for (const tiled of [true, false]) {
          const path = scene(bits, predictor, tiled, tiled && predictor === 1);
          // Licenses that hold whole tiles and leave others wholly outside (counted at once, or not at all).
          const box = (x0: number, y0: number, x1: number, y1: number): License => ({
            ...license,
            blocks: [{ name: null, rings: [Float64Array.from([494671 + x0, 3384582 - y0, 494671 + x1, 3384582 - y0, 494671 + x1, 3384582 - y1, 494671 + x0, 3384582 - y1, 494671 + x0, 3384582 - y0])] }],
          });
          const runs: Options[] = [nir, { ...nir, threshold: 0.1 }, { ...nir, licenses: [license], bufferM: 3 }, { ...nir, licenses: [box(-5, -5, 75, 50)] }, { ...nir, licenses: [box(2.2, 2.7, 20.4, 14.1)], bufferM: 2 }];
          // 8-bit: ExG on the first three bands (the fourth ignored) too.
          if (bits === 8) runs.push({ bands: ['R', 'G', 'B', '-'], method: 'exg' }, { bands: ['R', 'G', 'B', '-'], method: 'exg', licenses: [license], bufferM: 2 });
          for (const options of runs) {
            const a = await builtImagery.classifyImagery(path, join(dir, `ms-pooled-${n}.tif`), options);
            const b = await classifyImagery(path, join(dir, `ms-in-thread-${n++}.tif`), options);
            const what = `${path} ${JSON.stringify({ ...options, licenses: options.licenses?.length })}`;
            expect(readFileSync(a.out).equals(readFileSync(b.out)), what).toBe(true);
            expect(a.histogram, what).toEqual(b.histogram);
            expect(a.areasM2, what).toEqual(b.areasM2);
            expect(a.threshold, what).toEqual(b.threshold);
          }
        }
      }
    }
  });
});

describe("classify's second pass on the pool (index codes to class tiles coded as runs)", () => {
  it("gives each tile as classLut maps it, coded so that zlib inflates it; a file too short is refused with the worker's reason", async () => {
    const { InflatePool } = (await import(new URL('../dist/src/raster/inflate-pool.js', import.meta.url).href)) as typeof import('../src/raster/inflate-pool.js');
    const { classLut } = await import('../src/imagery/classify-kernel.js');
    const pool = InflatePool.shared()!;
    expect(pool, 'the built module has a pool').not.toBeNull();
    // Three 16 × 16 tiles of codes after 100 bytes of something else: every bin, water, shadow, no data, runs and noise.
    const random = rng(99);
    const tileBytes = 256;
    const codes = new Uint8Array(100 + 3 * tileBytes);
    const pick = [...Array.from({ length: 250 }, (_, c) => c), 251, 252, 253];
    for (let i = 100; i < codes.length; i++) codes[i] = i < 100 + tileBytes ? pick[(i - 100) % pick.length]! : i < 100 + 2 * tileBytes ? 251 + ((i >> 5) % 3) : pick[Math.floor(random() * pick.length)]!;
    const file = join(dir, 'pass2-codes.bin');
    writeFileSync(file, codes);
    for (const firstGreen of [0, 1, 137, 250]) {
      const tiles = await pool.classTiles({ file, offset: 100, tiles: 3, tileBytes, firstGreen });
      expect(tiles).toHaveLength(3);
      const lut = classLut(firstGreen);
      tiles.forEach((coded, t) => {
        const want = Array.from(codes.subarray(100 + t * tileBytes, 100 + (t + 1) * tileBytes), (c) => lut[c]!);
        expect(Array.from(inflateSync(coded)), `tile ${t}, first green bin ${firstGreen}`).toEqual(want);
      });
    }
    const cut = await pool.classTiles({ file, offset: 100, tiles: 4, tileBytes, firstGreen: 100 }).then(
      () => null,
      (e: Error) => e,
    );
    expect(cut?.message).toMatch(/the file ends at byte 868/);
    pool.release(file);
  });
});

describe('worker threads under Node options only a process takes', () => {
  it('node --title=… (refused in workers) still reads through the pool and writes a split slope raster', () => {
    const script = join(dir, 'process-options.mjs');
    const out = join(dir, 'slope-process-options.tif');
    writeFileSync(
      script,
      `import { RasterReader } from ${JSON.stringify(new URL('../dist/src/raster/index.js', import.meta.url).href)};
import { writeSlopeRaster } from ${JSON.stringify(new URL('../dist/src/terrain/index.js', import.meta.url).href)};
RasterReader.POOL_MIN_PIXELS = 0;
const r = await RasterReader.open(${JSON.stringify(fixture('scene-a/classes.tif'))});
const row = await r.readBlockRowPooled(0, 0, r.blocksAcross - 1);
await r.close();
await writeSlopeRaster(${JSON.stringify(fixture('scene-a/dem.tif'))}, ${JSON.stringify(out)}, { threads: 2 });
console.log('OK', row.length);
process.exit(0);
`,
    );
    const run = spawnSync(process.execPath, ['--title=greenmine-options-test', script], { encoding: 'utf8' });
    expect(run.stderr).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV');
    expect(run.stdout).toContain('OK');
    expect(run.status).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});

describe('a failing inflate pool (last: it leaves the process without a pool)', () => {
  it('a worker that dies mid-raster fails that raster with RASTER_WORKER naming it; later rasters decode in-thread', async () => {
    const { InflatePool } = (await import(new URL('../dist/src/raster/inflate-pool.js', import.meta.url).href)) as typeof import('../src/raster/inflate-pool.js');
    const pool = InflatePool.shared()!;
    expect(pool).not.toBeNull();
    const path = fixture('scene-a/classes.tif');
    const reader = await built.RasterReader.open(path);
    // Kill the workers as the first block row is sent: its jobs are never answered.
    for (const slot of (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots) void slot.worker.terminate();
    const err = await reader.readBlockRowPooled(0, 0, reader.blocksAcross - 1).then(
      () => null,
      (e: { code?: string; message: string }) => e,
    );
    expect(err?.code).toBe('RASTER_WORKER');
    expect(err?.message).toContain('classes.tif');
    expect(InflatePool.shared()).toBeNull();
    await reader.close();
    const after = await built.measureCoverage(path, licenses, { bufferM: 0 });
    const inThread = await measureCoverage(path, licenses, { bufferM: 0 });
    expect(areas(after)).toEqual(areas(inThread));
  });
});
