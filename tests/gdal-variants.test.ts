/**
 * GeoTIFFs as GDAL writes them for the wild-inputs cases (made by
 * fixtures/make_wild_tiffs.py with GDAL 3.6): each is read exactly as GDAL
 * reads it, or refused with the code its EXPECTED.json names.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RasterReader } from '../src/raster/index.js';
import { fixture } from './helpers.js';

const expected = JSON.parse(readFileSync(fixture('wild-tiffs/EXPECTED.json'), 'utf8')) as Record<
  string,
  { refused?: string; message?: string; band1Sha256?: string; nodata?: number; nodataPixels?: number; geotransform?: number[]; overview1?: { width: number; geotransform: number[] }; crsName?: string }
>;

describe('GDAL-written wild TIFFs', () => {
  for (const [name, e] of Object.entries(expected)) {
    if (name === 'gdal') continue;
    it(name, async () => {
      const path = fixture(`wild-tiffs/${name}`);
      if (e.refused) {
        let err: { code?: string; message?: string } | null = null;
        try {
          await RasterReader.open(path);
        } catch (caught) {
          err = caught as { code?: string; message?: string };
        }
        expect(err?.code).toBe(e.refused);
        if (e.message) expect(err?.message).toContain(e.message);
        return;
      }
      const r = await RasterReader.open(path);
      if (e.band1Sha256) {
        // Band 1 as GDAL decodes it (JPEG through libjpeg: YCbCr converted to RGB, chroma upsampled as libjpeg does).
        const { width, height, blockWidth, blockHeight } = r.info;
        const all = new Uint8Array(width * height);
        for (let by = 0; by < r.blocksDown; by++) {
          for (let bx = 0; bx < r.blocksAcross; bx++) {
            const b = await r.readBlock(bx, by);
            for (let y = 0; y < blockHeight && by * blockHeight + y < height; y++) {
              for (let x = 0; x < blockWidth && bx * blockWidth + x < width; x++) all[(by * blockHeight + y) * width + bx * blockWidth + x] = b[y * blockWidth + x]!;
            }
          }
        }
        expect(createHash('sha256').update(all).digest('hex')).toBe(e.band1Sha256);
      }
      if (e.geotransform) expect(r.info.transform).toEqual(e.geotransform);
      if (e.crsName) expect(r.info.crs.name).toBe(e.crsName);
      if (e.nodata !== undefined) {
        expect(r.info.nodata).toBe(e.nodata);
        let count = 0;
        for (let by = 0; by < r.blocksDown; by++) {
          for (let bx = 0; bx < r.blocksAcross; bx++) {
            const block = await r.readBlock(bx, by);
            const rows = Math.min(r.info.blockHeight, r.info.height - by * r.info.blockHeight);
            const cols = Math.min(r.info.blockWidth, r.info.width - bx * r.info.blockWidth);
            for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) if (block[y * r.info.blockWidth + x] === r.info.nodata) count++;
          }
        }
        expect(count).toBe(e.nodataPixels);
      }
      if (e.overview1) {
        const o = await RasterReader.open(path, { overview: 1 });
        expect(o.info.width).toBe(e.overview1.width);
        expect(o.info.transform).toEqual(e.overview1.geotransform);
        await o.close();
      }
      await r.close();
    });
  }
});
