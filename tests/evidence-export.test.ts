/**
 * Evidence as shapefiles, KML and GeoPackage, read back with independent readers:
 * `shapefile` (GBK attributes), fast-xml-parser, and SQLite (sql.js) with the
 * GeoPackage blob parsed by hand. scripts/check-evidence-ogr.sh checks the same
 * files with GDAL's ogrinfo when GDAL is installed.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import * as shapefile from 'shapefile';
import initSqlJs from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuditReport, runAudit, writeAuditOutputs } from '../src/audit/index.js';
import { main } from '../src/cli/main.js';
import { createTransform, crsFromEpsg, parseCrs } from '../src/crs/index.js';
import { evidenceFiles } from '../src/export/index.js';
import { fixture } from './helpers.js';

let report: AuditReport;
let dir: string;
const GK40 = crsFromEpsg(4528);

beforeAll(async () => {
  report = await runAudit(fixture('demo-mine/mine.json'), { underlay: false });
  dir = mkdtempSync(join(tmpdir(), 'greenmine-evidence-'));
  writeAuditOutputs(report, dir, await evidenceFiles(report, dir, { formats: ['shp', 'kml', 'gpkg'] }));
});

const evidenceOf = (kinds: string[]) => report.checks.flatMap((c) => c.evidence.filter((f) => kinds.includes(f.geometry.type)).map((f) => ({ id: c.id, f, problem: c.problem?.zh ?? null })));

describe('evidence as shapefiles', () => {
  it('polygons and lines in the license CRS (CGCS2000 3° GK zone 40) with an ESRI .prj and GBK attributes', async () => {
    const prj = readFileSync(join(dir, 'evidence_polygons.prj'), 'utf8');
    expect(prj).toMatch(/^PROJCS\["CGCS2000_3_Degree_GK_Zone_40"/);
    expect(parseCrs(prj).epsg).toBe(4528);
    expect(readFileSync(join(dir, 'evidence_polygons.cpg'), 'utf8')).toBe('936');
    expect(readFileSync(join(dir, 'evidence_polygons.dbf'))[29]).toBe(0x4d); // language driver: GBK
    const toGk = createTransform(crsFromEpsg(4326), GK40);
    for (const [file, kinds] of [
      ['evidence_polygons', ['MultiPolygon']],
      ['evidence_lines', ['LineString']],
    ] as const) {
      const expected = evidenceOf([...kinds]);
      const source = await shapefile.open(join(dir, `${file}.shp`), join(dir, `${file}.dbf`), { encoding: 'gbk' });
      const got: Array<{ geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }> = [];
      for (let r = await source.read(); !r.done; r = await source.read()) got.push(r.value as never);
      expect(got).toHaveLength(expected.length);
      got.forEach((g, i) => {
        const e = expected[i]!;
        expect(g.properties.FINDING).toBe(e.id);
        // GBK text read back: the problem as written (² as 2), cut at 254 bytes on a character boundary.
        if (e.problem) expect(e.problem.replace(/²/g, '2').startsWith(String(g.properties.PROBLEM))).toBe(true);
        if (e.problem) expect(String(g.properties.PROBLEM).length).toBeGreaterThan(10);
        // First vertex equals the evidence's, transformed.
        const first = kinds[0] === 'MultiPolygon' ? (e.f.geometry.coordinates as number[][][][])[0]![0]![0]! : (e.f.geometry.coordinates as number[][])[0]!;
        const [x, y] = toGk.point(first[0]!, first[1]!);
        const flat = JSON.stringify(g.geometry.coordinates)
          .match(/-?\d+\.?\d*(e-?\d+)?/g)!
          .map(Number);
        const pairs: Array<[number, number]> = [];
        for (let k = 0; k < flat.length; k += 2) pairs.push([flat[k]!, flat[k + 1]!]);
        expect(pairs.some(([px, py]) => Math.abs(px - x) < 1e-6 && Math.abs(py - y) < 1e-6)).toBe(true);
      });
      if (kinds[0] === 'MultiPolygon') {
        // Outer rings clockwise (the shapefile rule): `shapefile` turns them into GeoJSON polygons, holes inside.
        for (const g of got) expect(['Polygon', 'MultiPolygon']).toContain(g.geometry.type);
        const areaOf = (ring: number[][]): number => ring.reduce((s, p, k) => s + (ring[(k + 1) % ring.length]![0]! - p[0]!) * (ring[(k + 1) % ring.length]![1]! + p[1]!), 0) / 2;
        const shp = readFileSync(join(dir, `${file}.shp`));
        const view = new DataView(shp.buffer, shp.byteOffset);
        const numPoints = view.getInt32(100 + 8 + 40, true);
        const numParts = view.getInt32(100 + 8 + 36, true);
        const ring: number[][] = [];
        const partsEnd = numParts > 1 ? view.getInt32(100 + 8 + 44 + 4, true) : numPoints;
        for (let k = 0; k < partsEnd; k++) ring.push([view.getFloat64(100 + 8 + 44 + 4 * numParts + 16 * k, true), view.getFloat64(100 + 8 + 44 + 4 * numParts + 16 * k + 8, true)]);
        expect(areaOf(ring)).toBeGreaterThan(0); // positive in this sum's convention = clockwise in x-east/y-north
      }
    }
  });

  it('--evidence-crs EPSG:4490 writes geographic shapefiles; a CRS the .prj cannot say is EXPORT_CRS_UNSUPPORTED', async () => {
    const files = await evidenceFiles(report, dir, { formats: ['shp'], crs: 'EPSG:4490' });
    const prj = files.find((f) => f.path.endsWith('evidence_polygons.prj'))!.data as string;
    expect(prj).toMatch(/^GEOGCS\["GCS_China_Geodetic_Coordinate_System_2000"/);
    expect(parseCrs(prj).epsg).toBe(4490);
    // Web Mercator: a CRS greenmine reads, but not one a GIS office files Gauss-Krüger evidence in.
    await expect(evidenceFiles(report, dir, { formats: ['shp'], crs: 'EPSG:3857' })).rejects.toMatchObject({ code: 'EXPORT_CRS_UNSUPPORTED' });
    await expect(evidenceFiles(report, dir, { formats: ['gpkg'], crs: 'EPSG:3857' })).rejects.toMatchObject({ code: 'EXPORT_CRS_UNSUPPORTED' });
  });
});

describe('evidence as KML', () => {
  it('one placemark per feature in WGS 84, folders per check, attributes as ExtendedData', () => {
    const xml = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['Folder', 'Placemark', 'Data', 'Polygon', 'LineString', 'Style'].includes(name) }).parse(readFileSync(join(dir, 'evidence.kml'), 'utf8'));
    const folders = xml.kml.Document.Folder as Array<{ name: string; Placemark: Array<Record<string, unknown>> }>;
    const all = evidenceOf(['MultiPolygon', 'LineString', 'Point']);
    expect(folders.flatMap((f) => f.Placemark)).toHaveLength(all.length);
    expect(folders.map((f) => f.name.split(' ')[0])).toEqual([...new Set(all.map((e) => e.id))]);
    const first = folders[0]!.Placemark[0]! as { Polygon?: Array<{ outerBoundaryIs: { LinearRing: { coordinates: string } } }>; MultiGeometry?: unknown; ExtendedData: { Data: Array<{ '@_name': string; value: unknown }> } };
    const ring = first.Polygon![0]!.outerBoundaryIs.LinearRing.coordinates.split(' ').map((p) => p.split(',').map(Number));
    const want = (all[0]!.f.geometry.coordinates as number[][][][])[0]![0]!;
    expect(ring[0]![0]).toBeCloseTo(want[0]![0]!, 7);
    expect(ring[0]![1]).toBeCloseTo(want[0]![1]!, 7);
    expect(first.ExtendedData.Data.find((d) => d['@_name'] === 'FINDING')!.value).toBe(all[0]!.id);
  });
});

describe('evidence as GeoPackage', () => {
  it('the required tables, the SRS, and geometry blobs that parse to the features', async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database(readFileSync(join(dir, 'evidence.gpkg')));
    try {
      expect(db.exec('PRAGMA application_id')[0]!.values[0]![0]).toBe(0x47504b47);
      const contents = db.exec('SELECT table_name, srs_id FROM gpkg_contents ORDER BY table_name')[0]!.values;
      expect(contents).toEqual([
        ['evidence_lines', 4528],
        ['evidence_polygons', 4528],
      ]);
      expect(String(db.exec('SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 4528')[0]!.values[0]![0])).toContain('AUTHORITY["EPSG","4528"]');
      const rows = db.exec('SELECT geom, finding FROM evidence_polygons ORDER BY fid')[0]!.values;
      const expected = evidenceOf(['MultiPolygon']);
      expect(rows).toHaveLength(expected.length);
      const toGk = createTransform(crsFromEpsg(4326), GK40);
      rows.forEach(([blob, finding], i) => {
        const b = blob as Uint8Array;
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        expect(String.fromCharCode(b[0]!, b[1]!)).toBe('GP');
        expect(b[3]! & 1).toBe(1); // little-endian
        expect(v.getInt32(4, true)).toBe(4528);
        // WKB after the 40-byte header: MultiPolygon (6), parts, first polygon's first ring's first point.
        expect(v.getUint32(41, true)).toBe(6);
        const polygons = v.getUint32(45, true);
        expect(polygons).toBe((expected[i]!.f.geometry.coordinates as unknown[]).length);
        // Polygon: byte order (49), type (50), rings (54), points of ring 1 (58), first x, y (62, 70).
        expect(v.getUint32(50, true)).toBe(3);
        const x = v.getFloat64(62, true);
        const y = v.getFloat64(70, true);
        const first = (expected[i]!.f.geometry.coordinates as number[][][][])[0]![0]![0]!;
        const [ex, ey] = toGk.point(first[0]!, first[1]!);
        expect(x).toBeCloseTo(ex, 6);
        expect(y).toBeCloseTo(ey, 6);
        // The envelope holds the point.
        expect(x).toBeGreaterThanOrEqual(v.getFloat64(8, true));
        expect(x).toBeLessThanOrEqual(v.getFloat64(16, true));
        expect(finding).toBe(expected[i]!.id);
      });
    } finally {
      db.close();
    }
  });
});

describe('greenmine audit --evidence-format', () => {
  it('writes the formats asked for beside the four outputs; an unknown format is a usage error', async () => {
    const out = mkdtempSync(join(tmpdir(), 'greenmine-evcli-'));
    const io = { out: '', err: '' };
    const code = await main(['audit', fixture('demo-mine/mine.json'), '-o', out, '--evidence-format', 'kml', '--evidence-format', 'shp', '-q'], { stdout: (t) => (io.out += t), stderr: (t) => (io.err += t) });
    expect(code).toBe(0);
    expect(io.err).toBe('');
    for (const f of ['report.json', 'evidence.geojson', 'evidence.kml', 'evidence_polygons.shp', 'evidence_lines.dbf']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, 'evidence.gpkg'))).toBe(false);
    const bad = await main(['audit', fixture('demo-mine/mine.json'), '-o', out, '--evidence-format', 'dwg'], { stdout: () => {}, stderr: (t) => (io.err += t) });
    expect(bad).toBe(2);
    expect(io.err).toContain('dwg');
  });
});
