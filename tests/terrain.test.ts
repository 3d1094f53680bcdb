import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadLicenses } from '../src/license/index.js';
import { RasterReader, writeTiledTiff } from '../src/raster/index.js';
import { BandTiles, floatPredictKernel } from '../src/raster/predict.js';
import { floatPredictScalar } from '../src/raster/writer.js';
import { exposedSlopes, exposedSlopesInZones, metresPerDegree, platformSoil, type SlopeAlgorithm, SlopeRows, slopeRow } from '../src/terrain/index.js';
import { predictedTiles } from '../src/terrain/slope-raster.js';
import { errorCode, fixture, rng, run } from './helpers.js';

const expected = JSON.parse(readFileSync(fixture('scene-a/EXPECTED.json'), 'utf8')) as {
  slopes: Record<string, { min_slope_deg: number; min_area_m2: number; count: number; components_before_area_filter: number; areas_m2: number[]; surface_areas_m2: number[]; bare_slope_area_m2: number; bare_slope_surface_area_m2: number }>;
  soil: { min_thickness_m: number; platforms: Array<{ id: number; pixels: number; mean_m: number; min_m: number; fraction_below_0_30: number }> };
};
const licenses = await loadLicenses(fixture('scene-a/license_corners.txt'));
const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

async function readAll(path: string): Promise<{ values: Float32Array; width: number; height: number; nodata: number | null }> {
  const r = await RasterReader.open(path);
  const { width, height, blockWidth: bw, blockHeight: bh } = r.info;
  const values = new Float32Array(width * height);
  for (let by = 0; by < r.blocksDown; by++) {
    for (let bx = 0; bx < r.blocksAcross; bx++) {
      const b = await r.readBlock(bx, by);
      for (let y = 0; y < r.blockRows(by); y++) for (let x = 0; x < bw && bx * bw + x < width; x++) values[(by * bh + y) * width + bx * bw + x] = b[y * bw + x]!;
    }
  }
  return { values, width, height, nodata: r.info.nodata };
}

async function slopeAll(demPath: string, algorithm: SlopeAlgorithm): Promise<Float32Array> {
  const reader = await RasterReader.open(demPath);
  const slopes = new SlopeRows(reader, algorithm);
  const out = new Float32Array(reader.info.width * reader.info.height);
  for (let r = 0; r < reader.info.height; r++) out.set(await slopes.row(r), r * reader.info.width);
  return out;
}

describe('slope agrees with gdaldem -compute_edges at every pixel', () => {
  const cases: Array<[string, string, SlopeAlgorithm]> = [
    ['scene-a/dem.tif', 'scene-a/gdaldem/slope_horn.tif', 'horn'],
    ['scene-a/dem.tif', 'scene-a/gdaldem/slope_zt.tif', 'zevenbergen'],
    ['scene-a/gdaldem/dem_hole.tif', 'scene-a/gdaldem/slope_hole_horn.tif', 'horn'],
  ];
  for (const [dem, reference, algorithm] of cases) {
    it(`${dem} (${algorithm}) within 0.01°, nodata where GDAL has nodata`, async () => {
      const ref = await readAll(fixture(reference));
      const ours = await slopeAll(fixture(dem), algorithm);
      let worst = 0;
      let nodata = 0;
      for (let i = 0; i < ours.length; i++) {
        const e = ref.values[i]!;
        if (e === ref.nodata) {
          expect(ours[i]).toBeNaN();
          nodata++;
          continue;
        }
        worst = Math.max(worst, Math.abs(ours[i]! - e));
      }
      expect(worst).toBeLessThan(0.01);
      if (dem.includes('hole')) expect(nodata).toBe(1245);
    });
  }

  it('is the same whatever the DEM block layout (tiles or one-row strips)', async () => {
    expect(await slopeAll(fixture('scene-a/variants/dem_lzw_pred3.tif'), 'horn')).toEqual(await slopeAll(fixture('scene-a/dem.tif'), 'horn'));
  });

  it('measures pixels of a geographic DEM on the ellipsoid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-geodem-'));
    const path = join(dir, 'plane.tif');
    // A plane rising 1 m per 10 m eastwards, in lon/lat pixels of 1e-5°.
    const lon0 = 119.95,
      lat0 = 30.58,
      px = 0.00001;
    await writeTiledTiff(path, { width: 300, height: 300, tileSize: 128, type: 'float32', deflate: true, originX: lon0, originY: lat0, pixelSize: px, epsg: 4490, geographic: true }, (tx, ty, out) => {
      for (let r = 0; r < 128; r++) {
        const lat = lat0 - (ty * 128 + r + 0.5) * px;
        const [kx] = metresPerDegree(lat);
        for (let c = 0; c < 128; c++) out[r * 128 + c] = 0.1 * (tx * 128 + c + 0.5) * px * kx;
      }
    });
    const slopes = await slopeAll(path, 'horn');
    const expectedDeg = (Math.atan(0.1) * 180) / Math.PI;
    // (GDAL's corner rule repeats the edge column in the first and last rows, halving the gradient at the four corners.)
    const corners = new Set([0, 299, 299 * 300, 300 * 300 - 1]);
    for (let i = 0; i < slopes.length; i++) if (!corners.has(i)) expect(Math.abs(slopes[i]! - expectedDeg)).toBeLessThan(0.01);
    // Read in degrees instead of metres the slope would be near 90°.
    expect(slopes[150 * 300 + 150]!).toBeLessThan(6);
  });
});

describe('exposed final slopes against the reference', () => {
  for (const [name, ref] of Object.entries(expected.slopes)) {
    it(name, async () => {
      const r = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), licenses, { minSlopeDeg: ref.min_slope_deg, minAreaM2: ref.min_area_m2 });
      expect(r.count).toBe(ref.count);
      expect(r.componentsBeforeAreaFilter).toBe(ref.components_before_area_filter);
      expect(r.connectivity).toBe(8);
      expect(r.limit).toBe(2);
      expect(r).not.toHaveProperty('pass'); // engines measure; the check decides (R2.2)
      const areas = r.slopes.map((s) => s.areaM2).sort((a, b) => b - a);
      const surfaces = r.slopes.map((s) => s.surfaceAreaM2).sort((a, b) => b - a);
      areas.forEach((a, i) => expect(relative(a, ref.areas_m2[i]!)).toBeLessThan(0.01));
      surfaces.forEach((a, i) => expect(relative(a, ref.surface_areas_m2[i]!)).toBeLessThan(0.01));
      expect(relative(r.bareSlopeAreaM2.planar, ref.bare_slope_area_m2)).toBeLessThan(0.01);
      expect(relative(r.bareSlopeAreaM2.surface, ref.bare_slope_surface_area_m2)).toBeLessThan(0.01);
      for (const s of r.slopes) {
        expect(s.meanSlopeDeg).toBeGreaterThanOrEqual(ref.min_slope_deg);
        expect(s.maxSlopeDeg).toBeGreaterThanOrEqual(s.meanSlopeDeg);
        expect(s.elevationM.max).toBeGreaterThan(s.elevationM.min);
        expect(s.outline.length).toBeGreaterThan(0);
      }
    });
  }

  it('class raster layouts do not change the components', async () => {
    const base = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), licenses);
    for (const v of ['classes_lzw_strips.tif', 'classes_packbits_tiled128.tif']) {
      const r = await exposedSlopes(fixture(`scene-a/variants/${v}`), fixture('scene-a/variants/dem_lzw_pred3.tif'), licenses);
      expect(r).toEqual(base);
    }
  });

  it('bad input: no overlap, DEM holes reported (not zero-filled), another CRS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-terrain-'));
    const far = join(dir, 'far.tif');
    await writeTiledTiff(far, { width: 100, height: 100, tileSize: 64, type: 'float32', deflate: true, originX: 400000, originY: 3000000, pixelSize: 1, epsg: 4549 }, (_x, _y, out) => out.fill(10));
    expect(await errorCode(() => exposedSlopes(fixture('scene-a/classes.tif'), far, licenses))).toBe('TERRAIN_NO_OVERLAP');
    const holes = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/gdaldem/dem_hole.tif'), licenses);
    expect(holes.findings.map((f) => f.code)).toContain('TERRAIN_DEM_NODATA');
    const utm = join(dir, 'utm.tif');
    await writeTiledTiff(utm, { width: 100, height: 100, tileSize: 64, type: 'float32', deflate: true, originX: 782200, originY: 3387100, pixelSize: 10, epsg: 32650 }, (_x, _y, out) => out.fill(10));
    expect(await errorCode(() => exposedSlopes(fixture('scene-a/classes.tif'), utm, licenses))).toBe('TERRAIN_CRS_MISMATCH');
    expect(await errorCode(() => exposedSlopesInZones(fixture('scene-a/classes.tif'), utm, licenses))).toBe('TERRAIN_CRS_MISMATCH');
  });
});

describe('platform soil thickness against the reference', () => {
  it('means to 1 mm, minima and fractions below 0.30 m to 0.001', async () => {
    const platforms = await loadLicenses(fixture('scene-a/platforms.geojson'));
    const r = await platformSoil(platforms, fixture('scene-a/dem_before_soil.tif'), fixture('scene-a/dem_after_soil.tif'));
    expect(r.resampling).toBe('none (same grid)');
    expect(r.platforms).toHaveLength(expected.soil.platforms.length);
    r.platforms.forEach((p, i) => {
      const ref = expected.soil.platforms[i]!;
      expect(p.id).toBe(String(ref.id));
      expect(Math.abs(p.meanM! - ref.mean_m)).toBeLessThan(0.001);
      expect(Math.abs(p.minM! - ref.min_m)).toBeLessThan(0.001);
      expect(Math.abs(p.fractionBelow! - ref.fraction_below_0_30)).toBeLessThan(0.001);
      expect(Math.abs(p.pixels - ref.pixels) / ref.pixels).toBeLessThan(0.01);
      expect(p.p05M!).toBeGreaterThanOrEqual(p.minM!);
      expect(p.pass).toBe(ref.fraction_below_0_30 === 0);
    });
    expect(r.pass).toBe(false);
    expect(r.platforms[0]!.thinPatches.length).toBeGreaterThan(0);
  });

  it('resamples an "after" DEM on another grid bilinearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-soil-'));
    const before = join(dir, 'before.tif');
    const after = join(dir, 'after.tif');
    // Before: a tilted plane on 1 m pixels; after: the same plane + 0.5 m on 2.5 m pixels shifted by half a metre.
    const plane = (x: number, y: number): number => 100 + 0.02 * (x - 495000) - 0.01 * (y - 3384000); // small values: float32 keeps 0.1 mm
    await writeTiledTiff(before, { width: 200, height: 200, tileSize: 128, type: 'float32', deflate: true, originX: 495000, originY: 3384300, pixelSize: 1, epsg: 4549 }, (tx, ty, out) => {
      for (let r = 0; r < 128; r++) for (let c = 0; c < 128; c++) out[r * 128 + c] = plane(495000 + tx * 128 + c + 0.5, 3384300 - (ty * 128 + r + 0.5));
    });
    await writeTiledTiff(after, { width: 90, height: 90, tileSize: 64, type: 'float32', deflate: true, originX: 494990.5, originY: 3384310.5, pixelSize: 2.5, epsg: 4549 }, (tx, ty, out) => {
      for (let r = 0; r < 64; r++) for (let c = 0; c < 64; c++) out[r * 64 + c] = 0.5 + plane(494990.5 + (tx * 64 + c + 0.5) * 2.5, 3384310.5 - (ty * 64 + r + 0.5) * 2.5);
    });
    const square = {
      type: 'FeatureCollection',
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4549' } },
      features: [
        {
          type: 'Feature',
          properties: { id: 7 },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [495050, 3384250],
                [495100, 3384250],
                [495100, 3384200],
                [495050, 3384200],
                [495050, 3384250],
              ],
            ],
          },
        },
      ],
    };
    const { loadLicensesFromBytes } = await import('../src/license/index.js');
    const platforms = loadLicensesFromBytes(new TextEncoder().encode(JSON.stringify(square)), 'square.geojson');
    const r = await platformSoil(platforms, before, after);
    expect(r.resampling).toBe('bilinear (after DEM onto the before grid)');
    expect(r.platforms[0]!.pixels).toBe(2500);
    expect(Math.abs(r.platforms[0]!.meanM! - 0.5)).toBeLessThan(1e-3);
    expect(Math.abs(r.platforms[0]!.minM! - 0.5)).toBeLessThan(1e-3);
    // A platform off the DEMs is reported, not passed.
    const off = JSON.parse(JSON.stringify(square));
    off.features[0].geometry.coordinates = [
      [
        [490000, 3380000],
        [490010, 3380000],
        [490010, 3379990],
        [490000, 3379990],
        [490000, 3380000],
      ],
    ];
    const offReport = await platformSoil(loadLicensesFromBytes(new TextEncoder().encode(JSON.stringify(off)), 'off.geojson'), before, after);
    expect(offReport.platforms[0]!.pass).toBeNull();
    expect(offReport.findings.map((f) => f.code)).toContain('TERRAIN_PLATFORM_OUTSIDE');
  });
});

describe('terrain CLI', () => {
  it('slopes --json and soil --json print their contracts', async () => {
    const s = await run('slopes', '--license', fixture('scene-a/license_corners.txt'), '--classes', fixture('scene-a/classes.tif'), '--dem', fixture('scene-a/dem.tif'), '--json');
    expect(s.code).toBe(0);
    const slopes = JSON.parse(s.stdout);
    expect(slopes).toMatchObject({ count: 3, limit: 2, pass: false, connectivity: 8, minSlopeDeg: 25, minAreaM2: 50 });
    expect(slopes.slopes[0]).toHaveProperty('centroid');
    expect(slopes.bareSlopeAreaM2.planar).toBe(1345);
    const soil = await run('soil', '--platforms', fixture('scene-a/platforms.geojson'), '--before', fixture('scene-a/dem_before_soil.tif'), '--after', fixture('scene-a/dem_after_soil.tif'), '--json');
    expect(soil.code).toBe(0);
    const report = JSON.parse(soil.stdout);
    expect(report).toMatchObject({ minThicknessM: 0.3, pass: false });
    expect(report.platforms[0]).toHaveProperty('p05M');
    expect((await run('slopes', '--license', 'x')).code).toBe(2);
    expect((await run('soil', '--platforms', 'x', '--before', 'y', '--after', 'z', '--min-thickness', 'thick')).code).toBe(2);
  });

  it('slope --out writes a raster that matches gdaldem', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'greenmine-slope-')), 'slope.tif');
    const r = await run('slope', '--dem', fixture('scene-a/dem.tif'), '--out', out);
    expect(r.code).toBe(0);
    const ours = await readAll(out);
    const ref = await readAll(fixture('scene-a/gdaldem/slope_horn.tif'));
    let worst = 0;
    for (let i = 0; i < ours.values.length; i++) worst = Math.max(worst, Math.abs(ours.values[i]! - ref.values[i]!));
    expect(worst).toBeLessThan(0.01);
  });
});

describe('zone mode (final-slope polygons)', () => {
  it('polygons around the bare benches are exposed; one on green ground is not', async () => {
    const { exposedSlopesInZones } = await import('../src/terrain/index.js');
    const { loadLicensesFromBytes } = await import('../src/license/index.js');
    const derived = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), licenses);
    const features = derived.slopes.map((s, i) => ({ type: 'Feature', properties: { name: `slope ${i + 1}` }, geometry: { type: 'MultiPolygon', coordinates: s.outline } }));
    // A square of green ground inside the license, near its south-west.
    const [lon, lat] = [119.9486, 30.5755];
    features.push({
      type: 'Feature',
      properties: { name: 'green' },
      geometry: {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [lon, lat],
              [lon + 0.0003, lat],
              [lon + 0.0003, lat + 0.0003],
              [lon, lat + 0.0003],
              [lon, lat],
            ],
          ],
        ],
      },
    });
    const zones = loadLicensesFromBytes(new TextEncoder().encode(JSON.stringify({ type: 'FeatureCollection', features })), 'final_slopes.geojson');
    const r = await exposedSlopesInZones(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), zones, { minAreaM2: 50 });
    expect(r.count).toBe(3);
    expect(r.count).toBeGreaterThan(2);
    const areas = r.slopes.map((s) => s.areaM2).sort((a, b) => a - b);
    const derivedAreas = derived.slopes.map((s) => s.areaM2).sort((a, b) => a - b);
    areas.forEach((a, i) => expect(relative(a, derivedAreas[i]!)).toBeLessThan(0.05));
    for (const s of r.slopes) expect(s.surfaceAreaM2).toBeGreaterThan(s.areaM2 * 1.8); // ~60° faces
  });
});

describe('the slope pipeline split in bands', () => {
  it('two bands joined at any seam give the components of one pass', async () => {
    const { labelBand, mergeBands } = await import('../src/terrain/slopes.js');
    const { toPixelPolygons, RasterReader: Reader, PolygonCoverage } = await import('../src/raster/index.js');
    const classes = await Reader.open(fixture('scene-a/classes.tif'));
    const zones = licenses.flatMap((l) =>
      toPixelPolygons(
        l.blocks.map((b) => b.rings),
        l.crs,
        classes,
      ),
    );
    const cov = new PolygonCoverage(zones, 'centre');
    const job = {
      classesPath: fixture('scene-a/classes.tif'),
      demPath: fixture('scene-a/dem.tif'),
      zones,
      bareCodes: [60],
      minSlopeDeg: 25,
      maxSlopeDeg: 85,
      algorithm: 'horn' as const,
      rowStart: Math.max(0, cov.rowMin),
      rowEnd: Math.min(1000, cov.rowMax),
    };
    const whole = await labelBand(job);
    const summary = (b: Awaited<ReturnType<typeof labelBand>>) => b.components.map((c) => [c.pixels, Math.round(c.weight), Math.round(c.channels[0]!.sum * 1000), c.bbox.join(',')]).sort();
    for (const seam of [256, 300, 301, 512]) {
      const merged = mergeBands(await labelBand({ ...job, rowEnd: seam }), await labelBand({ ...job, rowStart: seam }), seam);
      expect(merged.components.length, `seam ${seam}`).toBe(whole.components.length);
      expect(summary(merged)).toEqual(summary(whole));
      expect(merged.totalPlanar).toBe(whole.totalPlanar);
    }
    // Column bands, each reading only its columns of the DEM (with a halo).
    const { mergeColumnBands } = await import('../src/terrain/slopes.js');
    const runsOf = (b: Awaited<ReturnType<typeof labelBand>>) => b.components.map((c) => Array.from(c.runs).join(',')).sort();
    for (const seam of [256, 333, 512, 600]) {
      const merged = mergeColumnBands(await labelBand({ ...job, colEnd: seam }), await labelBand({ ...job, colStart: seam }), seam);
      expect(merged.components.length, `column seam ${seam}`).toBe(whole.components.length);
      expect(summary(merged)).toEqual(summary(whole));
      expect(runsOf(merged)).toEqual(runsOf(whole)); // runs cut by the seam are whole again
      expect(merged.totalPlanar).toBe(whole.totalPlanar);
    }
  });
});

describe('merge gap', () => {
  it('joins patches closer than the gap, never more than the components there are', async () => {
    const base = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), licenses, { minAreaM2: 0 });
    const joined = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), licenses, { minAreaM2: 0, mergeGapM: 3 });
    expect(joined.count).toBeLessThan(base.count);
    expect(joined.bareSlopeAreaM2.planar).toBe(base.bareSlopeAreaM2.planar);
    expect(joined.slopes.reduce((s, x) => s + x.areaM2, 0)).toBeCloseTo(
      base.slopes.reduce((s, x) => s + x.areaM2, 0),
      6,
    );
    const { mergeByGap } = await import('../src/terrain/slopes.js');
    // Two single pixels three columns apart: two pixels between them.
    const px = (row: number, col: number) => ({
      id: 0,
      pixels: 1,
      weight: 1,
      centroid: [col + 0.5, row + 0.5] as [number, number],
      bbox: [col, row, col + 1, row + 1] as [number, number, number, number],
      runs: Int32Array.from([row, col, col + 1]),
      channels: [],
    });
    expect(mergeByGap([px(0, 0), px(0, 3)], 2)).toHaveLength(2);
    expect(mergeByGap([px(0, 0), px(0, 3)], 2.5)).toHaveLength(1);
    expect(mergeByGap([px(0, 0), px(0, 3)], 0)).toHaveLength(2);
  });
});

describe('soil without a platform layer', () => {
  it("uses the license's flat cells, and a stricter flatness keeps fewer", async () => {
    const loose = await platformSoil(licenses, fixture('scene-a/dem_before_soil.tif'), fixture('scene-a/dem_after_soil.tif'), { maxSlopeDeg: 10 });
    const strict = await platformSoil(licenses, fixture('scene-a/dem_before_soil.tif'), fixture('scene-a/dem_after_soil.tif'), { maxSlopeDeg: 2 });
    expect(loose.platforms).toHaveLength(1);
    expect(loose.platforms[0]!.id).toContain('flat cells');
    expect(strict.platforms[0]!.pixels).toBeGreaterThan(0);
    expect(strict.platforms[0]!.pixels).toBeLessThan(loose.platforms[0]!.pixels);
  });
});

describe('the WebAssembly kernels give their JavaScript twins’ bits', () => {
  /** Rows of elevations with no-data holes, infinities and flat runs. */
  function rows(width: number, seed: number): Float32Array[] {
    const random = rng(seed);
    return [0, 1, 2].map(() =>
      Float32Array.from({ length: width }, (_, c) => {
        const u = random();
        if (u < 0.05) return Number.NaN;
        if (u < 0.06) return random() < 0.5 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
        if (u < 0.2) return 120;
        return 100 + c * 0.37 + random() * 40;
      }),
    );
  }

  it('slope rows: Horn and Zevenbergen, NaN or −9999 where there is no slope', async () => {
    const kernel = await import('../src/terrain/slope-kernel.js');
    const [above, row, below] = rows(1031, 7) as [Float32Array, Float32Array, Float32Array];
    // The kernel runs here (not silently the JavaScript loop).
    expect(kernel.slopeInterior(above, row, below, 2, 2, true, new Float32Array(row.length), Number.NaN)).toBe(true);
    vi.stubEnv('GREENMINE_NO_WASM', '1');
    vi.resetModules();
    const scalar = await import('../src/terrain/slope.js');
    const scalarKernel = await import('../src/terrain/slope-kernel.js');
    // The module decides on first use: without WebAssembly from now on.
    expect(scalarKernel.slopeInterior(above, row, below, 2, 2, true, new Float32Array(row.length), Number.NaN)).toBe(false);
    vi.unstubAllEnvs();
    for (const algorithm of ['horn', 'zevenbergen'] as const) {
      for (const missing of [Number.NaN, -9999]) {
        for (const [ew, ns] of [
          [2, 2],
          [0.5, 0.73],
          [27.9, 30.8],
        ] as Array<[number, number]>) {
          const ours = new Float32Array(row.length);
          const theirs = new Float32Array(row.length);
          slopeRow(above, row, below, ew, ns, algorithm, ours, missing);
          scalar.slopeRow(above, row, below, ew, ns, algorithm, theirs, missing);
          expect(Array.from(ours)).toEqual(Array.from(theirs));
          expect(ours.some((v) => v > 0 && v < 90)).toBe(true);
          expect(ours.some((v) => Object.is(v, missing) || (Number.isNaN(v) && Number.isNaN(missing)))).toBe(true);
        }
      }
    }
  });

  it('the floating-point predictor of a tile', async () => {
    const random = rng(9);
    for (const [width, height] of [
      [256, 256],
      [7, 3],
      [1, 1],
    ] as Array<[number, number]>) {
      const tile = Float32Array.from({ length: width * height }, () => (random() < 0.1 ? -9999 : random() * 1000 - 200));
      const ours = new Uint8Array(width * height * 4);
      const theirs = new Uint8Array(width * height * 4);
      expect(floatPredictKernel(tile, width, height, ours)).toBe(true);
      floatPredictScalar(tile, width, height, theirs);
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
    }
  });

  it('a band of slope tiles, the last one padded with no data', () => {
    const random = rng(13);
    for (const width of [600, 512, 17]) {
      const band = Float32Array.from({ length: width * 256 }, () => (random() < 0.05 ? -9999 : random() * 60));
      const kernel = BandTiles.create(width, 256, -9999);
      expect(kernel).not.toBeNull();
      const ours = predictedTiles(band, width, kernel);
      const theirs = predictedTiles(band, width, null);
      expect(ours.length).toBe(Math.ceil(width / 256));
      ours.forEach((t, i) => expect(Buffer.from(t).equals(Buffer.from(theirs[i]!))).toBe(true));
      // The second slot does not disturb the first's tiles.
      const first = kernel!.predict(band, 0);
      const copy = first.map((t) => t.slice());
      kernel!.predict(
        band.map((v) => v + 1),
        1,
      );
      first.forEach((t, i) => expect(Buffer.from(t).equals(Buffer.from(copy[i]!))).toBe(true));
    }
  });
});
