import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTransform, crsFromEpsg, fromWgs84, parseCrs } from '../src/crs/index.js';
import type { GreenmineError } from '../src/errors.js';
import { type License, licenseArea, licensesToGeoJson, loadLicenses, loadLicensesFromBytes, parseElevation, parseStatedArea, summarizeLicense } from '../src/license/index.js';
import { errorCode, expected, fixture, metresBetween } from './helpers.js';

const ref = expected.license;
const FORMATS = ['scene-a/license_corners.txt', 'scene-a/license_shp/license.shp', 'scene-a/license.kml', 'scene-a/license.kmz', 'scene-a/license.geojson'];

async function one(path: string, options = {}): Promise<License> {
  const licenses = await loadLicenses(fixture(path), options);
  expect(licenses).toHaveLength(1);
  return licenses[0]!;
}

describe('the reference license in every format', () => {
  for (const path of FORMATS) {
    it(`${path}: blocks, holes, areas and elevation match the references`, async () => {
      const license = await one(path);
      const s = summarizeLicense(license);
      expect(s.blocks).toBe(ref.blocks);
      expect(s.holes).toBe(ref.holes);
      expect(s.vertices).toBe(24);
      // Ellipsoidal area to 0.01 % (pyproj Geod GRS80), planar to 0.01 % (shapely in the GK plane).
      expect(Math.abs(s.areaM2.ellipsoidal - ref.ellipsoidal_area_m2) / ref.ellipsoidal_area_m2).toBeLessThan(1e-4);
      expect(Math.abs(s.areaM2.planar - ref.planar_area_m2) / ref.planar_area_m2).toBeLessThan(1e-4);
      expect(s.elevationM).toEqual(ref.elevation_m);
      expect(s.findings.filter((f) => f.severity === 'error')).toEqual([]);
    });
  }

  it('the corner table resolves to the prefixed zone, the shapefile to the plain one', async () => {
    expect(summarizeLicense(await one('scene-a/license_corners.txt')).crs).toBe(ref.crs_prefixed);
    const shp = summarizeLicense(await one('scene-a/license_shp/license.shp'));
    expect(shp.crs).toBe(ref.crs_plain);
    expect(shp.name).toBe('示例矿山'); // GBK attributes through the .cpg
    expect(shp.licenseNo).toBe('C330000200107110001');
  });

  it('agrees with the exact planar and ellipsoidal values closely when read from the table', async () => {
    const area = licenseArea(await one('scene-a/license_corners.txt'));
    expect(area.planarM2).toBeCloseTo(ref.planar_area_m2, 2);
    expect(Math.abs(area.ellipsoidalM2 - ref.ellipsoidal_area_m2)).toBeLessThan(0.01);
    expect(area.planarCrs).toBe('EPSG:4528');
  });

  it('every printed corner lands on the PROJ lon/lat to 1 mm', async () => {
    const license = await one('scene-a/license_corners.txt');
    const toGeo = createTransform(license.crs, crsFromEpsg(4490));
    const shells = license.blocks.map((b) => b.rings[0]!);
    const corners = shells.flatMap((ring) => {
      const out: Array<[number, number]> = [];
      for (let i = 0; i + 3 < ring.length; i += 2) out.push(toGeo.point(ring[i]!, ring[i + 1]!));
      return out;
    });
    expect(corners).toHaveLength(ref.corners.length);
    corners.forEach(([lon, lat], i) => expect(metresBetween(lon, lat, ref.corners[i]!.lon, ref.corners[i]!.lat)).toBeLessThan(0.001));
  });

  it('every format gives the same blocks: the same corners to a few centimetres', async () => {
    const lonLat = async (path: string): Promise<number[][]> => {
      const license = await one(path);
      const toGeo = createTransform(license.crs, crsFromEpsg(4490));
      return license.blocks.flatMap((b) =>
        b.rings.map((r) =>
          Array.from(r, (_, i) => i)
            .filter((i) => i % 2 === 0)
            .flatMap((i) => toGeo.point(r[i]!, r[i + 1]!)),
        ),
      );
    };
    const base = await lonLat(FORMATS[0]!);
    for (const path of FORMATS.slice(1)) {
      const other = await lonLat(path);
      expect(other.length).toBe(base.length);
      base.forEach((ring, ri) => {
        // Rings may start elsewhere or run the other way (shapefiles are clockwise): compare as sets of corners.
        const corners = (r: number[]): Array<[number, number]> => Array.from({ length: r.length / 2 - 1 }, (_, i) => [r[2 * i]!, r[2 * i + 1]!]);
        for (const [lon, lat] of corners(ring)) {
          const nearest = Math.min(...corners(other[ri]!).map(([x, y]) => metresBetween(lon, lat, x, y)));
          expect(nearest, `${path} ring ${ri}`).toBeLessThan(0.05);
        }
      });
    }
  });
});

describe('corner-table variants', () => {
  const refArea = ref.ellipsoidal_area_m2;
  const cases: Array<[string, object, string]> = [
    ['variants/corners_gbk.txt', {}, 'EPSG:4528'],
    ['variants/corners_rotated.txt', {}, 'EPSG:4528'],
    ['variants/corners_header.csv', {}, 'EPSG:4528'],
    ['variants/corners_noprefix_header.txt', {}, 'EPSG:4549'],
    ['variants/corners_noprefix_bare.txt', { zone: 40 }, 'EPSG:4549'],
    ['variants/corners_noprefix_bare.txt', { crs: 'EPSG:4549' }, 'EPSG:4549'],
  ];
  for (const [path, options, crs] of cases) {
    it(`${path} ${JSON.stringify(options)} reads as the reference license`, async () => {
      const license = await one(path, options);
      const s = summarizeLicense(license);
      expect(s.crs).toBe(crs);
      expect(s.blocks).toBe(2);
      expect(s.holes).toBe(1);
      expect(s.vertices).toBe(24);
      expect(Math.abs(s.areaM2.ellipsoidal - refArea) / refArea).toBeLessThan(1e-6);
      expect(s.elevationM).toEqual({ min: 68, max: 290 });
      expect(license.findings.map((f) => f.code)).not.toContain('LICENSE_AREA_MISMATCH');
    });
  }

  it('reads GBK with labels, tabs and CRLF, and the area in m²', async () => {
    const license = await one('variants/corners_gbk.txt');
    expect(license.statedArea?.m2).toBe(729028);
    expect(license.findings.map((f) => f.code)).toContain('ENCODING_DETECTED');
    expect((await one('variants/corners_gbk.txt', { encoding: 'gbk' })).findings.map((f) => f.code)).not.toContain('ENCODING_DETECTED');
  });

  it('reads the area in 亩 and names blocks as printed', async () => {
    const license = await one('variants/corners_rotated.txt');
    expect(license.statedArea?.m2).toBeCloseTo((1093.54 * 10000) / 15, 6);
    expect(license.blocks.map((b) => b.name)).toEqual(['A区', 'B区']);
  });

  it("a Xi'an 1980 table loads in its own datum but is not converted without parameters", async () => {
    const license = await one('variants/corners_xian80.txt');
    expect(license.crs.epsg).toBe(2364);
    expect(license.elevationM).toEqual({ min: 5, max: 27 });
    expect(await errorCode(() => licensesToGeoJson([license], crsFromEpsg(4490)))).toBe('CRS_DATUM_SHIFT_REQUIRED');
    const shifted = await one('variants/corners_xian80.txt', { towgs84: [24, -123, -94, 0.02, -0.25, -0.13, 1.1] });
    const out = licensesToGeoJson([shifted], crsFromEpsg(4490));
    expect(out.features[0]!.geometry.coordinates).toHaveLength(2);
  });

  it('reports a stated area that does not match', async () => {
    const license = await one('variants/corners_wrong_area.txt');
    const mismatch = license.findings.find((f) => f.code === 'LICENSE_AREA_MISMATCH');
    expect(mismatch?.severity).toBe('warning');
    expect(mismatch?.message).toContain('0.8290');
  });
});

describe('bad input gets a clear error code', () => {
  const cases: Array<[string, string, object?]> = [
    ['variants/corners_bad_row.txt', 'LICENSE_TABLE_ROW'],
    ['variants/corners_swapped.txt', 'COORD_XY_SWAPPED'],
    ['variants/corners_noprefix_bare.txt', 'CRS_ZONE_AMBIGUOUS'],
    ['variants/nocpg.shp', 'SHP_ENCODING_UNKNOWN'],
    ['variants/truncated.shp', 'SHP_TRUNCATED'],
    ['variants/no_polygons.kml', 'KML_NO_POLYGONS'],
    ['variants/not_closed.geojson', 'LICENSE_RING_NOT_CLOSED'],
    ['variants/bowtie.geojson', 'LICENSE_SELF_INTERSECTION'],
    ['variants/hole_outside.geojson', 'LICENSE_HOLE_OUTSIDE_SHELL'],
    ['variants/swapped_lonlat.geojson', 'COORD_XY_SWAPPED'],
    ['variants/overlapping_blocks.geojson', 'LICENSE_BLOCKS_OVERLAP'],
    ['variants/nocpg.dbf', 'LICENSE_FORMAT_UNKNOWN'],
    ['variants/does_not_exist.txt', 'FILE_NOT_FOUND'],
    ['variants/corners_gbk.txt', 'ENCODING_MISMATCH', { encoding: 'utf-8' }],
    ['variants/corners_noprefix_bare.txt', 'GK_BAD_ZONE', { zone: 24 }],
    ['variants/corners_gbk.txt', 'GK_ZONE_MISMATCH', { zone: 41 }],
  ];
  for (const [path, code, options] of cases) {
    it(`${path} → ${code}`, async () => {
      expect(await errorCode(() => loadLicenses(fixture(path), options))).toBe(code);
    });
  }

  it('errors name the file and the line', async () => {
    try {
      await loadLicenses(fixture('variants/corners_bad_row.txt'));
    } catch (err) {
      const e = err as GreenmineError;
      expect(e.where.line).toBe(5);
      expect(e.message).toContain('corners_bad_row.txt, line 5');
    }
  });

  it('the shapefile without .cpg reads with --encoding gbk', async () => {
    const license = await one('variants/nocpg.shp', { encoding: 'gbk' });
    expect(license.name).toBe('示例矿山');
  });

  it('rejects malformed GeoJSON and KML with their codes', () => {
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(() => loadLicensesFromBytes(bytes('{"type":'), 'x.geojson')).toThrow(expect.objectContaining({ code: 'GEOJSON_SYNTAX' }));
    expect(() => loadLicensesFromBytes(bytes('{"type":"Point","coordinates":[1,2]}'), 'x.geojson')).toThrow(expect.objectContaining({ code: 'GEOJSON_STRUCTURE' }));
    expect(() => loadLicensesFromBytes(bytes('{"type":"Polygon","coordinates":[[[1,2],[3,"a"],[1,2]]]}'), 'x.geojson')).toThrow(expect.objectContaining({ code: 'LICENSE_BAD_COORDINATE' }));
    expect(() => loadLicensesFromBytes(bytes('<kml><Document>'), 'x.kml')).toThrow(expect.objectContaining({ code: 'KML_SYNTAX' }));
    expect(() => loadLicensesFromBytes(bytes('not a zip'), 'x.kmz')).toThrow(expect.objectContaining({ code: 'KMZ_BAD_ARCHIVE' }));
    expect(() => loadLicensesFromBytes(new Uint8Array([0, 1, 2, 3]), 'mystery')).toThrow(expect.objectContaining({ code: 'LICENSE_FORMAT_UNKNOWN' }));
  });

  it('collects every validation error, not only the first', () => {
    const a = [119.95, 30.575];
    const collection = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { name: 'one' }, geometry: { type: 'Polygon', coordinates: [[a, [119.952, 30.575], [119.952, 30.577]]] } },
        { type: 'Feature', properties: { name: 'two' }, geometry: { type: 'Polygon', coordinates: [[a, [119.952, 30.577], [119.952, 30.575], [119.95, 30.577], a]] } },
      ],
    };
    try {
      loadLicensesFromBytes(new TextEncoder().encode(JSON.stringify(collection)), 'two.geojson');
      expect.unreachable();
    } catch (err) {
      expect((err as GreenmineError).findings.map((f) => f.code).sort()).toEqual(['LICENSE_RING_NOT_CLOSED', 'LICENSE_SELF_INTERSECTION']);
    }
  });
});

describe('several licenses in one file', () => {
  it('groups features by license number and maps Chinese attribute names', async () => {
    const licenses = await loadLicenses(fixture('variants/two_licenses.geojson'));
    expect(licenses.map((l) => l.licenseNo)).toEqual(['C001', 'C002']);
    expect(licenses[0]!.name).toBe('甲矿');
    expect(licenses[0]!.holder).toBe('甲公司');
    expect(licenses[0]!.elevationM).toEqual({ min: 20, max: 120 });
    expect(licenses[1]!.blocks).toHaveLength(2);
    const [a, b] = licenses.map((l) => licenseArea(l).ellipsoidalM2);
    expect(b! / a!).toBeCloseTo(2, 2);
  });
});

describe('KML from Chinese map apps', () => {
  for (const frame of ['GCJ02', 'BD09'] as const) {
    it(`${frame} coordinates declared as such land back on the WGS 84 license to 0.1 m`, async () => {
      const text = readFileSync(fixture('scene-a/license.kml'), 'utf8');
      const shifted = text.replace(/<coordinates>([^<]+)<\/coordinates>/g, (_, coords: string) => {
        const out = coords
          .trim()
          .split(/\s+/)
          .map((t) => {
            const [lon, lat] = t.split(',').map(Number);
            return fromWgs84(frame, lon!, lat!).join(',');
          });
        return `<coordinates>${out.join(' ')}</coordinates>`;
      });
      const [license] = loadLicensesFromBytes(new TextEncoder().encode(shifted), 'app.kml', { frame });
      const [plain] = await loadLicenses(fixture('scene-a/license.kml'));
      const a = license!.blocks[0]!.rings[0]!;
      const b = plain!.blocks[0]!.rings[0]!;
      for (let i = 0; i < a.length; i += 2) expect(metresBetween(a[i]!, a[i + 1]!, b[i]!, b[i + 1]!)).toBeLessThan(0.1);
      expect(license!.findings.map((f) => f.code)).toContain('COORD_OFFSET_REMOVED');
      // Undeclared, the same file is hundreds of metres off.
      const [undeclared] = loadLicensesFromBytes(new TextEncoder().encode(shifted), 'app.kml');
      const u = undeclared!.blocks[0]!.rings[0]!;
      expect(metresBetween(u[0]!, u[1]!, b[0]!, b[1]!)).toBeGreaterThan(100);
    });
  }
});

describe('GeoJSON output', () => {
  it('round-trips through any CRS with the same area', async () => {
    const license = await one('scene-a/license_corners.txt');
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-'));
    for (const target of ['EPSG:4549', 'EPSG:4326', 'EPSG:32650']) {
      const fc = licensesToGeoJson([license], parseCrs(target));
      const path = join(dir, `out-${target.replace(':', '')}.geojson`);
      writeFileSync(path, JSON.stringify(fc));
      const [back] = await loadLicenses(path);
      if (!back) throw new Error('no license read back');
      expect(back.crs.epsg).toBe(Number(target.split(':')[1]));
      expect(Math.abs(licenseArea(back).ellipsoidalM2 - licenseArea(license).ellipsoidalM2)).toBeLessThan(0.01);
    }
  });

  it('writes RFC 7946 winding in lon/lat and names a projected CRS', async () => {
    const license = await one('scene-a/license_shp/license.shp'); // shapefile rings run clockwise
    const wgs = licensesToGeoJson([license], crsFromEpsg(4326));
    expect(wgs.crs).toBeUndefined();
    const [shell, hole] = wgs.features[0]!.geometry.coordinates[0]!;
    const signed = (ring: number[][]): number => ring.slice(1).reduce((s, p, i) => s + (ring[i]![0]! * p[1]! - p[0]! * ring[i]![1]!), 0);
    expect(signed(shell!)).toBeGreaterThan(0);
    expect(signed(hole!)).toBeLessThan(0);
    expect(licensesToGeoJson([license], crsFromEpsg(4549)).crs?.properties.name).toBe('urn:ogc:def:crs:EPSG::4549');
  });
});

describe('fields', () => {
  it('reads the elevation in its printed forms', () => {
    expect(parseElevation('开采标高：由+210米至+10米')).toEqual({ min: 10, max: 210 });
    expect(parseElevation('+27~+5m')).toEqual({ min: 5, max: 27 });
    expect(parseElevation('自72.2米至-47米')).toEqual({ min: -47, max: 72.2 });
    expect(parseElevation('标高+136.24m至+8.5m')).toEqual({ min: 8.5, max: 136.24 });
    expect(parseElevation('+290m～+68m')).toEqual({ min: 68, max: 290 });
    expect(parseElevation('开采标高：未定')).toBeNull();
  });

  it('reads the stated area in km², m², hectares and 亩 with its rounding', () => {
    const stated = parseStatedArea('矿区面积：0.7290平方公里')!;
    expect(stated.m2).toBeCloseTo(729000, 6);
    expect(stated.text).toBe('0.7290平方公里');
    expect(stated.roundingM2).toBeCloseTo(50, 9);
    expect(parseStatedArea('面积 729028 m²')?.m2).toBe(729028);
    expect(parseStatedArea('72.9公顷')?.m2).toBeCloseTo(729000, 6);
    expect(parseStatedArea('1093.5亩')?.roundingM2).toBeCloseTo(0.05 * 666.667, 2);
    expect(parseStatedArea('面积：很大')).toBeNull();
  });
});
