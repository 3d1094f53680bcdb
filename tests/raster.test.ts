import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import geodesic from 'geographiclib-geodesic';
import { describe, expect, it } from 'vitest';
import { crsFromEpsg } from '../src/crs/index.js';
import { type License, loadLicenses } from '../src/license/index.js';
import { adler32, deflateRuns, deflateRunsInWebAssembly, deflateRunsScalar } from '../src/raster/deflate-runs.js';
import { BlockCache, type CoverageReport, ellipsoidBandAreaM2, measureCoverage, PolygonCoverage, parseScheme, RasterReader, schemeFromGroups, WORLDCOVER } from '../src/raster/index.js';
import { writeTiledTiff } from '../src/raster/writer.js';
import { errorCode, fixture, rng, run } from './helpers.js';

const reference = JSON.parse(readFileSync(fixture('scene-a/EXPECTED.json'), 'utf8')).coverage as {
  license_area_m2: number;
  green_m2: number;
  bare_m2: number;
  nongreenable_m2: number;
  nodata_m2: number;
  green_ratio: number;
  with_excluded_zones: { green_m2: number; bare_m2: number; green_ratio: number };
  centre_rule: { green_m2: number; bare_m2: number };
};

const licenses = await loadLicenses(fixture('scene-a/license_corners.txt'));
const excluded = await loadLicenses(fixture('scene-a/excluded_zones.geojson'));
const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('green coverage against the reference', () => {
  it('fractional: areas to 0.1 %, ratio to 0.001', async () => {
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0 });
    expect(r.mode).toBe('fractional');
    expect(r.crs).toBe('EPSG:4549');
    expect(relative(r.areaM2.license, reference.license_area_m2)).toBeLessThan(1e-3);
    expect(relative(r.areaM2.green, reference.green_m2)).toBeLessThan(1e-3);
    expect(relative(r.areaM2.bare, reference.bare_m2)).toBeLessThan(1e-3);
    expect(relative(r.areaM2.nongreenable, reference.nongreenable_m2)).toBeLessThan(1e-3);
    expect(r.areaM2.nodata).toBeCloseTo(reference.nodata_m2, 6);
    expect(Math.abs(r.greenRatio! - reference.green_ratio)).toBeLessThan(0.001);
    expect(r).not.toHaveProperty('pass'); // engines measure; the check decides (R1.1)
    expect(r.findings).toEqual([]);
  });

  it('with the excluded zones subtracted', async () => {
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { exclude: excluded, bufferM: 0 });
    const ref = reference.with_excluded_zones;
    expect(relative(r.areaM2.green, ref.green_m2)).toBeLessThan(1e-3);
    expect(relative(r.areaM2.bare, ref.bare_m2)).toBeLessThan(1e-3);
    expect(Math.abs(r.greenRatio! - ref.green_ratio)).toBeLessThan(0.001);
    expect(r.areaM2.excluded).toBeGreaterThan(0);
    expect(relative(r.beforeExclusionM2.green, reference.green_m2)).toBeLessThan(1e-3);
  });

  it('centre mode gives the exact pixel counts', async () => {
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { mode: 'centre', bufferM: 0 });
    expect(r.areaM2.green).toBe(reference.centre_rule.green_m2);
    expect(r.areaM2.bare).toBe(reference.centre_rule.bare_m2);
  });

  it('all-touched counts at least as much as fractional, which counts at least as much as centre minus the boundary', async () => {
    const all = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { mode: 'all-touched', bufferM: 0 });
    const frac = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0 });
    expect(all.areaM2.license).toBeGreaterThan(frac.areaM2.license);
    expect(all.areaM2.license - frac.areaM2.license).toBeLessThan(6000); // about one pixel along the 3.6 km perimeter
  });

  it('every GDAL variant gives results identical to the original', async () => {
    const base = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { exclude: excluded });
    const variants = ['classes_bigtiff.tif', 'classes_cog.tif', 'classes_lzw_strips.tif', 'classes_packbits_tiled128.tif', 'classes_raw.tif'].map((v) => `scene-a/variants/${v}`);
    // And ours (fixtures/make_raster_variants.sh): other codecs, tile sizes, sample types, two bands.
    for (const v of ['deflate_strips', 'uint16_pred2', 'zstd_pred2', 'lerc', 'tiled512', '2band_pixel', '2band_band', 'cog_zstd', 'sparse16']) variants.push(`raster-variants/classes_${v}.tif`);
    for (const v of variants) {
      const r = await measureCoverage(fixture(v), licenses, { exclude: excluded });
      expect({ ...r, file: '' }, v).toEqual({ ...base, file: '' });
    }
    // Signed and float copies are summed pixel by pixel (uint8/uint16 as integer counts): equal to rounding.
    for (const v of ['int16_strips', 'float32_pred3']) {
      const r = await measureCoverage(fixture(`raster-variants/classes_${v}.tif`), licenses, { exclude: excluded });
      for (const [k, m2] of Object.entries(base.areaM2)) if (typeof m2 === 'number') expect(Math.abs((r.areaM2 as unknown as Record<string, number>)[k]! - m2), `${v} ${k}`).toBeLessThan(1e-9 * base.areaM2.license);
      expect(r.patches).toBe(base.patches);
      expect(r.greenRatio! - base.greenRatio!).toBeCloseTo(0, 12);
    }
  });

  it('the DEM variant (LZW, floating-point predictor, strips) decodes to the same values', async () => {
    const a = await RasterReader.open(fixture('scene-a/dem.tif'));
    const b = await RasterReader.open(fixture('scene-a/variants/dem_lzw_pred3.tif'));
    expect(a.info.nodata).toBe(-9999);
    expect(b.info.nodata).toBe(-9999);
    const full = async (r: RasterReader): Promise<Float32Array> => {
      const out = new Float32Array(r.info.width * r.info.height);
      for (let by = 0; by < r.blocksDown; by++) {
        for (let bx = 0; bx < r.blocksAcross; bx++) {
          const block = await r.readBlock(bx, by);
          for (let y = 0; y < r.blockRows(by); y++) {
            for (let x = 0; x < r.info.blockWidth && bx * r.info.blockWidth + x < r.info.width; x++) {
              out[(by * r.info.blockHeight + y) * r.info.width + bx * r.info.blockWidth + x] = block[y * r.info.blockWidth + x]!;
            }
          }
        }
      }
      return out;
    };
    expect(await full(b)).toEqual(await full(a));
  });

  it('reports bare and built-up ground outside the license within the buffer', async () => {
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 50 });
    expect(r.outsideLicense!.bufferM).toBe(50);
    expect(r.outsideLicense!.bareM2).toBeGreaterThan(0);
    const wider = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 100 });
    expect(wider.outsideLicense!.bareM2 + wider.outsideLicense!.nongreenableM2).toBeGreaterThanOrEqual(r.outsideLicense!.bareM2 + r.outsideLicense!.nongreenableM2);
  });
});

function starRing(random: () => number, cx: number, cy: number, n: number, r: number, clockwise: boolean): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = ((clockwise ? -1 : 1) * 2 * Math.PI * i) / n;
    const rr = r * (0.3 + 0.7 * random());
    out.push(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
  }
  out.push(out[0]!, out[1]!);
  return Float64Array.from(out);
}

function areaOf(r: Float64Array): number {
  let a = 0;
  for (let i = 0; i + 3 < r.length; i += 2) a += r[i]! * r[i + 3]! - r[i + 2]! * r[i + 1]!;
  return Math.abs(a / 2);
}

describe('coverage fractions (property tests)', () => {
  const random = rng(77);
  for (let trial = 0; trial < 12; trial++) {
    const cx = 20 + random() * 10,
      cy = 20 + random() * 10;
    const shell = starRing(random, cx, cy, 5 + Math.floor(random() * 60), 8 + random() * 10, random() < 0.5);
    const hole = starRing(random, cx, cy, 7, 2, random() < 0.5);
    it(`trial ${trial}: fractions sum to the area; polygon + complement = 1 per pixel; any band split gives the same`, () => {
      const cov = new PolygonCoverage([[shell, hole]], 'fractional');
      const h = cov.rowMax - cov.rowMin;
      const out = new Float64Array(h * cov.width);
      cov.rows(cov.rowMin, cov.rowMax, out);
      const sum = out.reduce((s, v) => s + v, 0);
      expect(Math.abs(sum - (areaOf(shell) - areaOf(hole))) / sum).toBeLessThan(1e-9);
      // Complement inside a box that contains the polygon: box with the polygon as a hole (and the hole as an island).
      const x0 = cov.colMin - 2,
        y0 = cov.rowMin - 2,
        x1 = cov.colMax + 2,
        y1 = cov.rowMax + 2;
      const box = Float64Array.from([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0]);
      const complement = new PolygonCoverage([[box, shell], [hole]], 'fractional');
      const cout = new Float64Array((y1 - y0) * complement.width);
      complement.rows(y0, y1, cout);
      for (let r = cov.rowMin; r < cov.rowMax; r++) {
        for (let c = cov.colMin; c < cov.colMax; c++) {
          const total = out[(r - cov.rowMin) * cov.width + (c - cov.colMin)]! + cout[(r - y0) * complement.width + (c - complement.colMin)]!;
          expect(Math.abs(total - 1)).toBeLessThan(1e-9);
        }
      }
      // Splitting the rows into bands of any size changes nothing.
      for (const band of [1, 3, 7, 64]) {
        const split = new Float64Array(h * cov.width);
        const part = new Float64Array(band * cov.width);
        for (let r = cov.rowMin; r < cov.rowMax; r += band) {
          const rb = Math.min(cov.rowMax, r + band);
          cov.rows(r, rb, part);
          split.set(part.subarray(0, (rb - r) * cov.width), (r - cov.rowMin) * cov.width);
        }
        expect(split).toEqual(out);
      }
    });
  }

  it('a polygon aligned with pixel edges gives exact integer counts in every mode', () => {
    const ring = Float64Array.from([2, 3, 12, 3, 12, 8, 7, 8, 7, 13, 2, 13, 2, 3]); // an L of 10×5 + 5×5 = 75 pixels
    for (const mode of ['fractional', 'centre', 'all-touched'] as const) {
      const cov = new PolygonCoverage([[ring]], mode);
      const out = new Float64Array((cov.rowMax - cov.rowMin) * cov.width);
      cov.rows(cov.rowMin, cov.rowMax, out);
      expect(
        out.reduce((s, v) => s + v, 0),
        mode,
      ).toBe(75);
      expect(out.every((v) => v === 0 || v === 1)).toBe(true);
    }
  });

  it('pixel areas of a geographic raster come from the ellipsoid', () => {
    const g = new geodesic.Geodesic.Geodesic(6378137, 1 / 298.257222101);
    const p = g.Polygon(false);
    for (const [lat, lon] of [
      [30, 120],
      [30, 120.001],
      [30.001, 120.001],
      [30.001, 120],
    ] as const)
      p.AddPoint(lat, lon);
    const expected = Math.abs(p.Compute(false, true).area!);
    const fromBands = ellipsoidBandAreaM2(30, 30.001) * (0.001 / 360);
    expect(relative(fromBands, expected)).toBeLessThan(1e-6);
  });
});

describe('class schemes', () => {
  it('reads a JSON scheme and refuses bad codes, groups and overlaps', async () => {
    const s = parseScheme('{"name":"zj","classes":{"1":{"name":"veg net","group":"green"},"2":{"name":"rock","group":"bare"}}}', 'zj.json');
    expect(s.classes.get(1)!.group).toBe('green');
    expect(await errorCode(() => parseScheme('{"classes":{"x1":{"group":"green"}}}', 's.json'))).toBe('SCHEME_BAD_CODE');
    expect(await errorCode(() => parseScheme('{"classes":{"70000":{"group":"green"}}}', 's.json'))).toBe('SCHEME_BAD_CODE');
    expect(await errorCode(() => parseScheme('{"classes":{"1":{"group":"purple"}}}', 's.json'))).toBe('SCHEME_BAD_GROUP');
    expect(await errorCode(() => parseScheme('{', 's.json'))).toBe('SCHEME_SYNTAX');
    expect(await errorCode(() => schemeFromGroups(WORLDCOVER, { green: [10, 60], bare: [60] }))).toBe('SCHEME_OVERLAP');
  });

  it('overriding groups changes the ratio', async () => {
    const scheme = schemeFromGroups(WORLDCOVER, { green: [10, 20, 30, 60] });
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { scheme, bufferM: 0 });
    expect(r.greenRatio).toBe(1);
    expect(r).not.toHaveProperty('pass');
  });

  it('codes the scheme does not know are reported', async () => {
    const scheme = parseScheme('{"classes":{"10":{"group":"green"},"60":{"group":"bare"}}}', 'small.json');
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { scheme, bufferM: 0 });
    expect(Object.keys(r.unknownClasses).sort()).toEqual(['20', '30', '50', '80']);
    expect(r.findings.map((f) => f.code)).toContain('RASTER_UNKNOWN_CLASS');
  });
});

describe('bad raster input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-raster-'));
  const small = async (name: string, epsg: number | null, originX = 494671, originY = 3384582): Promise<string> => {
    const path = join(dir, name);
    await writeTiledTiff(path, { width: 300, height: 300, tileSize: 128, type: 'uint8', deflate: true, originX, originY, pixelSize: 4, epsg, nodata: '0' }, (tx, _ty, out) => out.fill(tx === 0 ? 60 : 10));
    return path;
  };

  it('a raster without a CRS is an error unless one is given', async () => {
    const path = await small('nocrs.tif', null);
    expect(await errorCode(() => measureCoverage(path, licenses))).toBe('RASTER_NO_CRS');
    const r = await measureCoverage(path, licenses, { crs: 'EPSG:4549', bufferM: 0 });
    expect(r.areaM2.green + r.areaM2.bare).toBeGreaterThan(0);
  });

  it('a license that does not overlap is an error; one partly outside is a warning with the missing area', async () => {
    const far = await small('far.tif', 4549, 400000, 3000000);
    expect(await errorCode(() => measureCoverage(far, licenses))).toBe('RASTER_NO_OVERLAP');
    const partial = await small('partial.tif', 4549, 495000, 3384300); // 1.2 km square that cuts through the license
    const r = await measureCoverage(partial, licenses, { bufferM: 0 });
    const warning = r.findings.find((f) => f.code === 'RASTER_LICENSE_PARTLY_OUTSIDE');
    expect(warning?.severity).toBe('warning');
    expect(r.areaM2.license).toBeLessThan(729028);
    expect(Math.abs(r.areaM2.license + Number(/([\d.]+) m²/.exec(warning!.message)![1]) - 729028.77)).toBeLessThan(1);
  });

  it('a big-endian TIFF is refused by name (geotiff misreads them), and a block outside the raster too', async () => {
    const be = fixture('raster-variants/classes_big_endian.tif');
    expect(await errorCode(() => RasterReader.open(be))).toBe('RASTER_BIG_ENDIAN');
    const { code, stderr: err } = await run('coverage', '--license', fixture('scene-a/license_corners.txt'), '--classes', be);
    expect(code).toBe(1);
    expect(err).toContain('ENDIANNESS=LITTLE');
    const reader = await RasterReader.open(fixture('scene-a/classes.tif'));
    expect(await errorCode(() => reader.readBlock(reader.blocksAcross, 0))).toBe('RASTER_BAD_BLOCK');
    expect(await errorCode(() => reader.readBlock(0, -1))).toBe('RASTER_BAD_BLOCK');
    await reader.close();
  });

  it('a truncated TIFF gives a clear error', async () => {
    const path = join(dir, 'truncated.tif');
    copyFileSync(fixture('scene-a/classes.tif'), path);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const code = await errorCode(() => measureCoverage(path, licenses));
    expect(code).toBe('RASTER_DAMAGED');
    expect(await errorCode(() => measureCoverage(join(dir, 'missing.tif'), licenses))).toBe('FILE_NOT_FOUND');
  });

  it('a geographic raster is measured on the ellipsoid', async () => {
    // The reference license over a lon/lat raster of 1e-5° pixels.
    const path = join(dir, 'geographic.tif');
    await writeTiledTiff(path, { width: 1400, height: 1000, tileSize: 256, type: 'uint8', deflate: true, originX: 119.944, originY: 30.582, pixelSize: 0.00001, epsg: 4490, geographic: true, nodata: '0' }, (_tx, _ty, out) => out.fill(30));
    const r = await measureCoverage(path, licenses, { bufferM: 0 });
    expect(r.crs).toBe('EPSG:4490');
    expect(relative(r.areaM2.green, 729028.37)).toBeLessThan(1e-3);
  });
});

describe('greenmine coverage', () => {
  it('--json prints the report', async () => {
    const r = await run('coverage', '--license', fixture('scene-a/license_corners.txt'), '--classes', fixture('scene-a/classes.tif'), '--exclude', fixture('scene-a/excluded_zones.geojson'), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CoverageReport;
    expect(report).toMatchObject({ mode: 'fractional', crs: 'EPSG:4549', pixelSizeM: [1, 1], target: 1, pass: false });
    expect(Math.abs(report.greenRatio! - reference.with_excluded_zones.green_ratio)).toBeLessThan(0.001);
    expect(report.areaM2.byClass['60']).toBeCloseTo(report.areaM2.bare, 6);
    expect(report.outsideLicense!.bufferM).toBe(50);
  });
  it('exits 2 on bad usage and 1 on bad data', async () => {
    expect((await run('coverage', '--license', fixture('scene-a/license_corners.txt'))).code).toBe(2);
    expect((await run('coverage', '--license', 'a', '--classes', 'b', '--mode', 'half')).code).toBe(2);
    expect((await run('coverage', '--license', 'a', '--classes', 'b', '--green', 'ten')).code).toBe(2);
    expect((await run('coverage', '--license', fixture('scene-a/license_corners.txt'), '--classes', fixture('scene-a/classes.tif'), '--max-patches', '1.5')).code).toBe(2);
    const missing = await run('coverage', '--license', fixture('scene-a/license_corners.txt'), '--classes', fixture('scene-a/none.tif'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('FILE_NOT_FOUND');
  });
});

void crsFromEpsg;
void ({} as License);

describe('bare patches', () => {
  it('labels the bare patches inside the license outside the excluded zones, with outlines', async () => {
    const r = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { exclude: excluded, bufferM: 0, minPatchM2: 50 });
    expect(r.patches).toBe(3);
    expect(r.barePatches.map((p) => Math.round(p.areaM2)).sort()).toEqual([208, 210, 212]);
    for (const p of r.barePatches) {
      expect(p.centroid[0]).toBeGreaterThan(119.94);
      expect(p.centroid[1]).toBeGreaterThan(30.57);
      expect(p.outline[0]![0]!.length).toBeGreaterThan(4);
    }
    // The class sums do not change when patches are asked for (another code path).
    const plain = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { exclude: excluded, bufferM: 0 });
    expect(relative(r.areaM2.bare, plain.areaM2.bare)).toBeLessThan(1e-12);
    expect(relative(r.areaM2.green, plain.areaM2.green)).toBeLessThan(1e-12);
    expect(plain.patches).toBeNull();
    const all = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { exclude: excluded, bufferM: 0, minPatchM2: 0 });
    expect(all.patches!).toBeGreaterThan(3);
  });

  it('lists the largest maxPatches and counts them all, with a warning', async () => {
    const all = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0, minPatchM2: 0 });
    expect(all.findings.map((f) => f.code)).not.toContain('PATCHES_TRUNCATED');
    const two = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0, minPatchM2: 0, maxPatches: 2 });
    expect(two.patches).toBe(all.patches);
    expect(two.barePatches).toHaveLength(2);
    const largest = all.barePatches
      .map((p) => p.areaM2)
      .sort((a, b) => b - a)
      .slice(0, 2);
    expect(two.barePatches.map((p) => p.areaM2).sort((a, b) => b - a)).toEqual(largest);
    expect(two.barePatches.map((p) => p.id)).toEqual([1, 2]);
    expect(two.findings.find((f) => f.code === 'PATCHES_TRUNCATED')?.message).toContain(`${all.patches} bare patches`);
    expect(await errorCode(() => measureCoverage(fixture('scene-a/classes.tif'), licenses, { minPatchM2: 0, maxPatches: -1 }))).toBe('RASTER_BAD_OPTION');
  });
});

describe('reprojection of the license into the raster CRS', () => {
  it('a GK license over a UTM raster: the measured area equals the license area in the UTM plane', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-utm-'));
    const path = join(dir, 'utm.tif');
    // EPSG:32650 around the license (about 119.95°E, 30.58°N), 2 m pixels, all grass.
    await writeTiledTiff(path, { width: 800, height: 600, tileSize: 256, type: 'uint8', deflate: true, originX: 782200, originY: 3387100, pixelSize: 2, epsg: 32650, nodata: '0' }, (_tx, _ty, out) => out.fill(30));
    const r = await measureCoverage(path, licenses, { bufferM: 0 });
    const { createTransform } = await import('../src/crs/index.js');
    const toUtm = createTransform(licenses[0]!.crs, crsFromEpsg(32650));
    let expected = 0;
    for (const block of licenses[0]!.blocks) {
      block.rings.forEach((ring, ri) => {
        const out = new Float64Array(ring.length);
        toUtm.flatInto(ring, out);
        let a = 0;
        for (let i = 0; i + 3 < out.length; i += 2) a += out[i]! * out[i + 3]! - out[i + 2]! * out[i + 1]!;
        expected += (ri === 0 ? 1 : -1) * Math.abs(a / 2);
      });
    }
    expect(r.findings.map((f) => f.code)).not.toContain('RASTER_LICENSE_PARTLY_OUTSIDE');
    expect(relative(r.areaM2.green, expected)).toBeLessThan(1e-6);
  });
});

describe('greenable zones', () => {
  const zoneFile = (name: string, ring: number[][]): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'gm-zones-')), name);
    writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name }, geometry: { type: 'Polygon', coordinates: [ring] } }] }));
    return file;
  };

  it('are clipped to the license: a zone drawn past the boundary measures only the part inside', async () => {
    const { licenseArea } = await import('../src/license/index.js');
    const [w, s, e, n] = licenseArea(licenses[0]!).bboxLonLat;
    // A zone around the whole license: clipped, it is the license (its excluded areas stay out).
    const around = await loadLicenses(
      zoneFile('around.geojson', [
        [w - 0.001, s - 0.001],
        [e + 0.001, s - 0.001],
        [e + 0.001, n + 0.001],
        [w - 0.001, n + 0.001],
        [w - 0.001, s - 0.001],
      ]),
    );
    const whole = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0 });
    const clipped = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0, greenable: around });
    expect(relative(clipped.areaM2.license, whole.areaM2.license)).toBeLessThan(1e-9);
    expect(relative(clipped.areaM2.green, whole.areaM2.green)).toBeLessThan(1e-9);
    expect(clipped.findings.map((f) => f.code)).toContain('ZONE_OUTSIDE_LICENSE');
    // The western half of that zone: less than the zone itself measured as a license, more than nothing.
    const mid = (w + e) / 2;
    const west = await loadLicenses(
      zoneFile('west.geojson', [
        [w - 0.001, s - 0.001],
        [mid, s - 0.001],
        [mid, n + 0.001],
        [w - 0.001, n + 0.001],
        [w - 0.001, s - 0.001],
      ]),
    );
    const westIn = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0, greenable: west });
    const westAll = await measureCoverage(fixture('scene-a/classes.tif'), west, { bufferM: 0 });
    expect(westIn.areaM2.license).toBeLessThan(whole.areaM2.license);
    expect(westIn.areaM2.license).toBeLessThan(westAll.areaM2.license * 0.9);
    expect(westIn.areaM2.license).toBeGreaterThan(whole.areaM2.license * 0.2);
    // A zone inside the license is measured as it is, without a finding.
    const inner = await loadLicenses(fixture('scene-a/platforms.geojson'));
    const asZones = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0, greenable: inner });
    const asLicenses = await measureCoverage(fixture('scene-a/classes.tif'), inner, { bufferM: 0 });
    expect(relative(asZones.areaM2.license, asLicenses.areaM2.license)).toBeLessThan(1e-9);
    expect(asZones.findings.map((f) => f.code)).not.toContain('ZONE_OUTSIDE_LICENSE');
  });

  it('a zone inside the license around one of its excluded areas leaves the excluded area out', async () => {
    const license = licenses[0]!;
    const block = license.blocks.find((b) => b.rings.length > 1)!;
    const hole = block.rings[1]!;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i + 1 < hole.length; i += 2) [x0, y0, x1, y1] = [Math.min(x0, hole[i]!), Math.min(y0, hole[i + 1]!), Math.max(x1, hole[i]!), Math.max(y1, hole[i + 1]!)];
    const { createTransform } = await import('../src/crs/index.js');
    const toLonLat = createTransform(license.crs, crsFromEpsg(4326));
    const m = 5; // metres around the excluded area: still inside the block
    const corners = [
      [x0 - m, y0 - m],
      [x1 + m, y0 - m],
      [x1 + m, y1 + m],
      [x0 - m, y1 + m],
      [x0 - m, y0 - m],
    ].map(([x, y]) => toLonLat.point(x!, y!));
    const zone = await loadLicenses(zoneFile('around-hole.geojson', corners));
    const within = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { bufferM: 0, greenable: zone });
    const alone = await measureCoverage(fixture('scene-a/classes.tif'), zone, { bufferM: 0 });
    const holeOnly = await loadLicenses(
      zoneFile(
        'hole.geojson',
        Array.from({ length: hole.length / 2 }, (_, k) => toLonLat.point(hole[2 * k]!, hole[2 * k + 1]!)),
      ),
    );
    const holeM2 = (await measureCoverage(fixture('scene-a/classes.tif'), holeOnly, { bufferM: 0 })).areaM2.license;
    expect(holeM2).toBeGreaterThan(100);
    expect(relative(within.areaM2.license, alone.areaM2.license - holeM2)).toBeLessThan(1e-6);
    // The excluded area is not the license: the zone reaches outside it there.
    expect(within.findings.map((f) => f.code)).toContain('ZONE_OUTSIDE_LICENSE');
  });
});

describe('COG overviews', () => {
  it('reads an overview for a quick look, georeferenced from the full image', async () => {
    const full = await RasterReader.open(fixture('scene-a/variants/classes_cog.tif'));
    const quick = await RasterReader.open(fixture('scene-a/variants/classes_cog.tif'), { overview: 1 });
    expect(full.info.overviews).toBe(2);
    expect(quick.info.width).toBe(Math.ceil(full.info.width / 2));
    expect(quick.info.transform[1]).toBeCloseTo(full.info.transform[1] * (full.info.width / quick.info.width), 9);
    const a = await measureCoverage(fixture('scene-a/variants/classes_cog.tif'), licenses, { bufferM: 0 });
    const b = await measureCoverage(fixture('scene-a/variants/classes_cog.tif'), licenses, { bufferM: 0, overview: 1 });
    expect(relative(b.areaM2.license, a.areaM2.license)).toBeLessThan(1e-3);
    // (The COG's overviews were resampled with GDAL's default for COGs, so class codes blend at patch borders.)
    expect(relative(b.areaM2.green + b.areaM2.bare + b.areaM2.nongreenable + b.areaM2.other + b.areaM2.nodata, a.areaM2.license)).toBeLessThan(1e-3);
    expect(await errorCode(() => RasterReader.open(fixture('scene-a/classes.tif'), { overview: 1 }))).toBe('RASTER_NO_OVERVIEW');
  });
});

describe('the test-fixture writer', () => {
  it('writes float32 with the floating-point predictor that geotiff and GDAL read back exactly', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'greenmine-pred3-')), 'pred3.tif');
    const value = (x: number, y: number): number => Math.fround(100 + Math.sin(x / 7) * 20 + y * 0.37);
    await writeTiledTiff(path, { width: 200, height: 150, tileSize: 64, type: 'float32', deflate: true, predictor: 3, originX: 495000, originY: 3384300, pixelSize: 1, epsg: 4549, nodata: '-9999' }, (tx, ty, out) => {
      for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) out[r * 64 + c] = value(tx * 64 + c, ty * 64 + r);
    });
    const reader = await RasterReader.open(path);
    expect(reader.info.nodata).toBe(-9999);
    for (let by = 0; by < reader.blocksDown; by++) {
      for (let bx = 0; bx < reader.blocksAcross; bx++) {
        const block = await reader.readBlock(bx, by);
        for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) expect(block[r * 64 + c]).toBe(value(bx * 64 + c, by * 64 + r));
      }
    }
  });
});

describe('DEFLATE of class tiles (deflateRuns)', () => {
  it('inflates back to the bytes by zlib, the same bytes from WebAssembly and JavaScript; random bytes are stored', () => {
    const random = rng(5);
    const cases: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(7), Uint8Array.of(1, 1), Uint8Array.of(2, 2, 2), new Uint8Array(65536).fill(3)];
    // Runs of every length from 1 to 600 (a run of 258 is the longest match: longer ones take two), odd sizes.
    for (let length = 1; length <= 600; length += 1) {
      const a = new Uint8Array(length + 5);
      a.fill(1, 2, 2 + length);
      cases.push(a);
    }
    // Class tiles: runs of random length between codes 0–4, sizes that are not multiples of 8 or 16.
    for (const size of [17, 255, 4097, 65536, 65537, 262144]) {
      const a = new Uint8Array(size);
      for (let i = 0; i < size; ) {
        const run = 1 + Math.floor(random() * (random() < 0.3 ? 4 : 400));
        a.fill(Math.floor(random() * 5), i, i + run);
        i += run;
      }
      cases.push(a);
    }
    const noise = new Uint8Array(70000).map(() => Math.floor(random() * 256));
    cases.push(noise);
    expect(deflateRunsInWebAssembly()).toBe(true);
    for (const [i, data] of cases.entries()) {
      const coded = deflateRuns(data);
      expect(Buffer.from(coded).equals(Buffer.from(deflateRunsScalar(data))), `case ${i}: WebAssembly and JavaScript alike`).toBe(true);
      expect(inflateSync(coded).equals(Buffer.from(data)), `case ${i}: inflates back (zlib checks the Adler-32)`).toBe(true);
    }
    // The coding would grow random bytes: stored, a little over their size.
    expect(deflateRuns(noise).length).toBeLessThan(noise.length + 64);
    expect(deflateRuns(cases[4]!).length).toBeLessThan(200);
    expect(adler32(Uint8Array.of(...Buffer.from('Wikipedia')))).toBe(0x11e60398);
  });

  it("a uint8 raster written with the 'runs' strategy reads back exactly; other types are refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-runs-'));
    const value = (x: number, y: number): number => (Math.sin(x / 9) + Math.cos(y / 13) > 0.3 ? 1 : (x * 7 + y * 3) % 11 === 0 ? 3 : 2);
    const spec = { width: 300, height: 130, tileSize: 64, type: 'uint8' as const, deflate: true, strategy: 'runs' as const, originX: 495000, originY: 3384300, pixelSize: 1, epsg: 4549, nodata: '0' };
    await writeTiledTiff(join(dir, 'classes.tif'), spec, (tx, ty, out) => {
      for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) out[r * 64 + c] = value(tx * 64 + c, ty * 64 + r);
    });
    const reader = await RasterReader.open(join(dir, 'classes.tif'));
    for (let by = 0; by < reader.blocksDown; by++) {
      for (let bx = 0; bx < reader.blocksAcross; bx++) {
        const block = await reader.readBlock(bx, by);
        for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) if (by * 64 + r < 130 && bx * 64 + c < 300) expect(block[r * 64 + c]).toBe(value(bx * 64 + c, by * 64 + r));
      }
    }
    await reader.close();
    await expect(writeTiledTiff(join(dir, 'float.tif'), { ...spec, type: 'float32' as never }, () => undefined)).rejects.toThrow(/'runs' strategy is for uint8/);
    // A producer that codes a row's tiles itself (classify's second pass on the pool): written as given.
    const tile = (tx: number, ty: number): Uint8Array => {
      const t = new Uint8Array(64 * 64);
      for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) t[r * 64 + c] = value(tx * 64 + c, ty * 64 + r);
      return t;
    };
    const fill = (): void => {
      throw new Error('no tile is filled when the row comes coded');
    };
    await writeTiledTiff(join(dir, 'coded.tif'), spec, fill, async (ty) => Array.from({ length: 5 }, (_, tx) => deflateRuns(tile(tx, ty))));
    expect(readFileSync(join(dir, 'coded.tif')).equals(readFileSync(join(dir, 'classes.tif'))), 'the same file as the writer codes').toBe(true);
    await expect(writeTiledTiff(join(dir, 'short-row.tif'), spec, fill, async (ty) => Array.from({ length: 4 }, (_, tx) => deflateRuns(tile(tx, ty))))).rejects.toThrow(/tile row 0 handed back coded as 4 tiles \(5 DEFLATE tiles expected\)/);
    await expect(writeTiledTiff(join(dir, 'plain.tif'), { ...spec, deflate: false }, fill, async () => [])).rejects.toThrow(/DEFLATE tiles expected/);
  });

  it("an uncompressed file's row is written before the producer refills the one buffer its ready tiles live in (classify's pass 1 with one slot)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-slot-'));
    const value = (x: number, y: number): number => (x * 5 + y * 11) % 251;
    const spec = { width: 200, height: 150, tileSize: 64, type: 'uint8' as const, deflate: false, originX: 495000, originY: 3384300, pixelSize: 1, epsg: 4549, nodata: '0' };
    const across = 4;
    const slot = new Uint8Array(across * 64 * 64);
    const fill = (): void => {
      throw new Error('every tile is ready');
    };
    await writeTiledTiff(
      join(dir, 'slot.tif'),
      spec,
      fill,
      async (ty) => {
        await new Promise((resolve) => setImmediate(resolve));
        for (let tx = 0; tx < across; tx++) for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) slot[tx * 4096 + r * 64 + c] = value(tx * 64 + c, ty * 64 + r);
      },
      (tx) => slot.subarray(tx * 4096, (tx + 1) * 4096),
    );
    const reader = await RasterReader.open(join(dir, 'slot.tif'));
    for (let by = 0; by < reader.blocksDown; by++) {
      for (let bx = 0; bx < reader.blocksAcross; bx++) {
        const block = await reader.readBlock(bx, by);
        for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) if (by * 64 + r < 150 && bx * 64 + c < 200) expect(block[r * 64 + c], `block ${bx},${by}`).toBe(value(bx * 64 + c, by * 64 + r));
      }
    }
    await reader.close();
  });
});

describe('the block cache shared by an audit', () => {
  const write = async (path: string, base: number): Promise<void> => {
    await writeTiledTiff(path, { width: 128, height: 128, tileSize: 64, type: 'uint8', deflate: true, originX: 495000, originY: 3384300, pixelSize: 1, epsg: 4549 }, (tx, ty, out) => {
      for (let i = 0; i < 64 * 64; i++) out[i] = base + tx + 2 * ty;
    });
  };

  it('decodes a block once for every reader given the cache, and the same values as a reader without it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'greenmine-cache-')), 'c.tif');
    await write(path, 10);
    const cache = new BlockCache();
    const a = await RasterReader.open(path, { cache });
    const b = await RasterReader.open(path, { cache });
    const plain = await RasterReader.open(path);
    for (let by = 0; by < 2; by++) for (let bx = 0; bx < 2; bx++) expect(Array.from(await a.readBlock(bx, by))).toEqual(Array.from(await plain.readBlock(bx, by)));
    expect(cache.misses).toBe(4);
    expect(await b.readBlock(1, 1)).toBe(await a.readBlock(1, 1)); // the same decoded block, not a second decode
    expect(cache.misses).toBe(4);
    expect(cache.hits).toBe(2);
    // Another band or overview, or another nodata (sparse blocks are filled with it), is another key.
    const c = await RasterReader.open(path, { cache, nodata: 7 });
    await c.readBlock(0, 0);
    expect(cache.misses).toBe(5);
  });

  it('never serves a file replaced since (size, time, inode), and keeps to its byte budget', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-cache-'));
    const path = join(dir, 'c.tif');
    await write(path, 10);
    const cache = new BlockCache(2 * 64 * 64);
    const a = await RasterReader.open(path, { cache });
    expect((await a.readBlock(0, 0))[0]).toBe(10);
    await write(`${path}.new`, 50);
    renameSync(`${path}.new`, path);
    const b = await RasterReader.open(path, { cache });
    expect((await b.readBlock(0, 0))[0]).toBe(50);
    for (let by = 0; by < 2; by++) for (let bx = 0; bx < 2; bx++) await b.readBlock(bx, by);
    expect(cache.heldBytes).toBeLessThanOrEqual(2 * 64 * 64);
  });

  it('keeps no failed decode', async () => {
    const cache = new BlockCache();
    await expect(cache.get('k', 10, () => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
    expect(cache.heldBytes).toBe(0);
    const block = new Uint8Array(10);
    expect(await cache.get('k', 10, () => Promise.resolve(block))).toBe(block);
  });
});
