/**
 * Damaged, hostile and unusual GeoTIFFs: each gets a coded error or the
 * answer GDAL gives, never a hang, a crash or a silent wrong measurement.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadLicenses } from '../src/license/index.js';
import { measureCoverage, RasterReader } from '../src/raster/index.js';
import { decodeLzw } from '../src/raster/lzw.js';
import { exposedSlopes } from '../src/terrain/index.js';
import { errorCode, fixture, rng, run } from './helpers.js';
import { baseTags, type CraftIfd, craftTiff, geoKeys } from './tiff-craft.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-hostile-'));
let n = 0;
const file = (ifds: CraftIfd[], options: { loop?: boolean } = {}): string => {
  const p = join(dir, `t${n++}.tif`);
  writeFileSync(p, craftTiff(ifds, options));
  return p;
};
const pixels = (w: number, h: number, v = 10): Uint8Array => new Uint8Array(w * h).fill(v);

describe('hostile TIFF structure', () => {
  it('a well-formed crafted raster opens (the helper is right)', async () => {
    const r = await RasterReader.open(file([{ tags: baseTags(4, 3), blocks: [pixels(4, 3, 7)] }]));
    expect(r.info.width).toBe(4);
    expect(Array.from(await r.readBlock(0, 0))).toEqual(Array(12).fill(7));
    await r.close();
  });

  it('an IFD chain that loops back is refused, not followed forever', async () => {
    const p = file([{ tags: baseTags(4, 3), blocks: [pixels(4, 3)] }], { loop: true });
    expect(await errorCode(() => RasterReader.open(p))).toBe('RASTER_DAMAGED');
    const r = await run('coverage', '--license', fixture('scene-a/license.geojson'), '--classes', p);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('loops back');
  });

  it('sizes a header claims but the file cannot hold are refused before any allocation', async () => {
    const before = process.memoryUsage().rss;
    // A 316-byte-class file declaring 4·10⁶ × 1000 in one strip, and 10⁸ wide.
    expect(await errorCode(() => RasterReader.open(file([{ tags: baseTags(4_000_000, 1000), blocks: [deflateSync(pixels(64, 1))] }])))).toBe('RASTER_TOO_LARGE');
    expect(await errorCode(() => RasterReader.open(file([{ tags: baseTags(100_000_000, 1), blocks: [pixels(8, 1)] }])))).toBe('RASTER_TOO_LARGE');
    // A tag claiming 10⁹ values in a small file.
    const big = craftTiff([{ tags: baseTags(4, 3), blocks: [pixels(4, 3)] }]);
    const p = join(dir, 'count.tif');
    // Patch the StripOffsets count (tag 273) to 10⁹.
    const ifd = big.readUInt32LE(4);
    const entries = big.readUInt16LE(ifd);
    for (let k = 0; k < entries; k++) if (big.readUInt16LE(ifd + 2 + k * 12) === 273) big.writeUInt32LE(1e9, ifd + 2 + k * 12 + 4);
    writeFileSync(p, big);
    expect(await errorCode(() => RasterReader.open(p))).toBe('RASTER_DAMAGED');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it('zero tile width, a missing block and an uncompressed block cut short are RASTER_DAMAGED', async () => {
    const tiled = baseTags(4, 4, [
      { tag: 322, type: 4, values: [0] },
      { tag: 323, type: 4, values: [16] },
    ]);
    expect(await errorCode(() => RasterReader.open(file([{ tags: tiled.filter((t) => t.tag !== 278), blocks: [pixels(16, 16)] }])))).toBe('RASTER_DAMAGED');
    // 3 strips declared (RowsPerStrip 1), one listed.
    expect(await errorCode(() => RasterReader.open(file([{ tags: baseTags(4, 3, [{ tag: 278, type: 4, values: [1] }]), blocks: [pixels(4, 1)] }])))).toBe('RASTER_DAMAGED');
    expect(await errorCode(() => RasterReader.open(file([{ tags: baseTags(4, 3), blocks: [pixels(4, 2)] }])))).toBe('RASTER_DAMAGED');
    // Too short to be a TIFF, and not a TIFF.
    writeFileSync(join(dir, 'eight.tif'), Buffer.from('II*\0\0\0\0\0', 'latin1'));
    expect(await errorCode(() => RasterReader.open(join(dir, 'eight.tif')))).toMatch(/RASTER_(DAMAGED|UNREADABLE)/);
  });

  it('predictors GDAL refuses are refused', async () => {
    const deflated = [deflateSync(pixels(4, 3))];
    const p9 = file([
      {
        tags: baseTags(4, 3, [
          { tag: 259, type: 3, values: [8] },
          { tag: 317, type: 3, values: [9] },
        ]),
        blocks: deflated,
      },
    ]);
    expect(await errorCode(() => RasterReader.open(p9))).toBe('RASTER_BAD_PREDICTOR');
    const p3 = file([
      {
        tags: baseTags(4, 3, [
          { tag: 259, type: 3, values: [8] },
          { tag: 317, type: 3, values: [3] },
        ]),
        blocks: deflated,
      },
    ]);
    expect(await errorCode(() => RasterReader.open(p3))).toBe('RASTER_BAD_PREDICTOR');
  });

  it('NaN or infinite pixel size or tie point is refused (a DEM with one no longer passes R2.2)', async () => {
    const nanScale = file([{ tags: baseTags(4, 3, [{ tag: 33550, type: 12, values: [NaN, 1, 0] }]), blocks: [pixels(4, 3)] }]);
    expect(await errorCode(() => RasterReader.open(nanScale))).toBe('RASTER_BAD_GEOREF');
    const infTie = file([{ tags: baseTags(4, 3, [{ tag: 33922, type: 12, values: [0, 0, 0, Infinity, 3384582, 0] }]), blocks: [pixels(4, 3)] }]);
    expect(await errorCode(() => RasterReader.open(infTie))).toBe('RASTER_BAD_GEOREF');
    const f32 = (w: number, h: number): Uint8Array => new Uint8Array(new Float32Array(w * h).fill(100).buffer);
    const dem = file([
      {
        tags: baseTags(4, 3, [
          { tag: 258, type: 3, values: [32] },
          { tag: 339, type: 3, values: [3] },
          { tag: 33550, type: 12, values: [Infinity, Infinity, 0] },
        ]),
        blocks: [f32(4, 3)],
      },
    ]);
    const licenses = await loadLicenses(fixture('scene-a/license.geojson'));
    expect(await errorCode(() => exposedSlopes(fixture('scene-a/classes.tif'), dem, licenses))).toBe('RASTER_BAD_GEOREF');
  });

  it('sample types greenmine does not read are named as what they are', async () => {
    const typed = (bits: number, format: number): Promise<string> =>
      errorCode(() =>
        RasterReader.open(
          file([
            {
              tags: baseTags(4, 3, [
                { tag: 258, type: 3, values: [bits] },
                { tag: 339, type: 3, values: [format] },
              ]),
              blocks: [new Uint8Array(Math.ceil((4 * 3 * bits) / 8))],
            },
          ]),
        ),
      );
    const message = async (bits: number, format: number): Promise<string> => {
      try {
        await RasterReader.open(
          file([
            {
              tags: baseTags(4, 3, [
                { tag: 258, type: 3, values: [bits] },
                { tag: 339, type: 3, values: [format] },
              ]),
              blocks: [new Uint8Array(Math.ceil((4 * 3 * bits) / 8))],
            },
          ]),
        );
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(await typed(16, 3)).toBe('RASTER_UNSUPPORTED_TYPE');
    expect(await message(16, 3)).toContain('half precision');
    expect(await message(12, 1)).toContain('NBITS');
    expect(await message(8, 4)).toContain('void');
    expect(await message(64, 6)).toContain('complex');
    expect(await message(64, 6)).not.toContain('unsigned');
  });

  it('old-style JPEG is refused with the conversion to use; a JPEG tile that is not a JPEG is RASTER_DECODE', async () => {
    const old = file([{ tags: baseTags(4, 3, [{ tag: 259, type: 3, values: [6] }]), blocks: [new Uint8Array([0xff, 0xd8, 0xff, 0xd9])] }]);
    expect(await errorCode(() => RasterReader.open(old))).toBe('RASTER_JPEG_UNSUPPORTED');
    const r = await run('coverage', '--license', fixture('scene-a/license.geojson'), '--classes', old);
    expect(r.stderr).toContain('COMPRESS=JPEG');
    const empty = file([{ tags: baseTags(4, 3, [{ tag: 259, type: 3, values: [7] }]), blocks: [new Uint8Array([0xff, 0xd8, 0xff, 0xd9])] }]);
    const reader = await RasterReader.open(empty);
    expect(await errorCode(() => reader.readBlock(0, 0))).toBe('RASTER_DECODE');
  });
});

describe('LZW', () => {
  it('garbage LZW blocks are a coded error, never a crash, and output never exceeds the block', async () => {
    const random = rng(3);
    let errors = 0;
    for (let k = 0; k < 200; k++) {
      const bytes = new Uint8Array(64 + Math.floor(random() * 4000));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      try {
        expect(decodeLzw(bytes, 4096).length).toBeLessThanOrEqual(4096);
      } catch (err) {
        expect((err as Error).name).toBe('Error');
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
    const p = file([{ tags: baseTags(64, 64, [{ tag: 259, type: 3, values: [5] }]), blocks: [Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff)] }]);
    const licenses = await loadLicenses(fixture('scene-a/license.geojson'));
    const code = await errorCode(() => measureCoverage(p, licenses));
    expect(['RASTER_DECODE', 'RASTER_NO_OVERLAP']).toContain(code);
  });

  it('decodes what libtiff writes (GDAL LZW fixtures equal their DEFLATE originals)', async () => {
    const a = await RasterReader.open(fixture('scene-a/variants/classes_lzw_strips.tif'));
    const b = await RasterReader.open(fixture('scene-a/classes.tif'));
    const rowsA: number[] = [];
    const rowsB: number[] = [];
    for (let by = 0; by < a.blocksDown; by++) rowsA.push(...(await a.readBlock(0, by)).subarray(0, a.info.blockWidth * a.blockRows(by)));
    // Compare pixel by pixel through the block grids.
    const pixelB = async (x: number, y: number): Promise<number> => (await b.readBlock(Math.floor(x / b.info.blockWidth), Math.floor(y / b.info.blockHeight)))[(y % b.info.blockHeight) * b.info.blockWidth + (x % b.info.blockWidth)]!;
    for (const [x, y] of [
      [0, 0],
      [100, 200],
      [1199, 999],
      [600, 500],
      [37, 911],
    ] as const) {
      rowsB.push(await pixelB(x, y));
      expect(rowsA[y * a.info.width + x]).toBe(rowsB.at(-1));
    }
    await a.close();
    await b.close();
  });
});

describe('values as GDAL reads them', () => {
  it('a float32 nodata written as text (-3.4e+38) matches the pixels that hold it', async () => {
    const nodata = Math.fround(-3.4e38);
    const data = new Float32Array(12).fill(5);
    data[0] = nodata;
    data[5] = nodata;
    const p = file([
      {
        tags: baseTags(4, 3, [
          { tag: 258, type: 3, values: [32] },
          { tag: 339, type: 3, values: [3] },
          { tag: 42113, type: 2, values: '-3.4e+38\0' },
        ]),
        blocks: [new Uint8Array(data.buffer)],
      },
    ]);
    const r = await RasterReader.open(p);
    expect(r.info.nodata).toBe(nodata);
    const block = await r.readBlock(0, 0);
    expect(Array.from(block).filter((v) => v === r.info.nodata)).toHaveLength(2);
    await r.close();
  });

  it('an integer nodata that no pixel can hold is reported', async () => {
    const p = file([{ tags: baseTags(4, 3, [{ tag: 42113, type: 2, values: '-9999\0' }]), blocks: [pixels(4, 3)] }]);
    const r = await RasterReader.open(p);
    expect(r.info.findings.map((f) => f.code)).toContain('RASTER_NODATA_UNREPRESENTABLE');
    await r.close();
  });

  it('PixelIsPoint with overviews: the overview origin is the full-resolution corner (as GDAL)', async () => {
    const tie = [0, 0, 0, 500000, 3384000, 0];
    const base = baseTags(8, 8, [{ tag: 33922, type: 12, values: tie }, { tag: 33550, type: 12, values: [10, 10, 0] }, geoKeys(4549, true)]);
    const overview = [
      { tag: 254, type: 4 as const, values: [1] },
      { tag: 256, type: 4 as const, values: [4] },
      { tag: 257, type: 4 as const, values: [4] },
      { tag: 258, type: 3 as const, values: [8] },
      { tag: 259, type: 3 as const, values: [1] },
      { tag: 262, type: 3 as const, values: [1] },
      { tag: 277, type: 3 as const, values: [1] },
      { tag: 278, type: 4 as const, values: [4] },
      { tag: 339, type: 3 as const, values: [1] },
    ];
    const p = file([
      { tags: base, blocks: [pixels(8, 8)] },
      { tags: overview, blocks: [pixels(4, 4)] },
    ]);
    const full = await RasterReader.open(p);
    const ov = await RasterReader.open(p, { overview: 1 });
    // GDAL: the corner is half a full-resolution pixel up and left of the tie point, at every level.
    expect(full.info.transform).toEqual([499995, 10, 0, 3384005, 0, -10]);
    expect(ov.info.transform).toEqual([499995, 20, 0, 3384005, 0, -20]);
    await full.close();
    await ov.close();
  });
});

describe('rasters in CRSs that distort areas', () => {
  it('a Web Mercator raster is refused for measurement with the warp to use; UTM south is read', async () => {
    const merc = file([{ tags: baseTags(4, 3, [geoKeys(3857)], 13358338, 3503549), blocks: [pixels(4, 3)] }]);
    expect(await errorCode(() => RasterReader.open(merc))).toBe('RASTER_CRS_UNSUPPORTED');
    const r = await run('coverage', '--license', fixture('scene-a/license.geojson'), '--classes', merc);
    expect(r.stderr).toContain('gdalwarp -t_srs');
    const south = await RasterReader.open(file([{ tags: baseTags(4, 3, [geoKeys(32750)], 500000, 8000000), blocks: [pixels(4, 3)] }]));
    expect(south.info.crs.name).toBe('WGS 84 / UTM zone 50S');
    await south.close();
  });
});
