/**
 * A GeoPackage 1.3 (read by GDAL ≥ 2.4, QGIS 3, ArcGIS Pro) of the evidence (one feature table per geometry kind) in
 * SQLite through sql.js (SQLite compiled to WebAssembly: no native build).
 * The GeoPackage part is the spec's required tables and its geometry blob
 * (a "GP" header with the envelope, then little-endian WKB), a hundred lines;
 * @ngageoint/geopackage would bring a tile and extension stack besides.
 */
import initSqlJs from 'sql.js';
import type { Crs } from '../crs/index.js';
import { crsFromEpsg, crsLabel } from '../crs/index.js';
import { ogcWkt } from '../crs/prj.js';
import { COLUMNS, type EvidenceRow, type GeometryKind, rowsByKind } from './rows.js';

const WKB_TYPE: Record<GeometryKind, { multi: number; name: string }> = { point: { multi: 4, name: 'MULTIPOINT' }, line: { multi: 5, name: 'MULTILINESTRING' }, polygon: { multi: 6, name: 'MULTIPOLYGON' } };

/** GeoPackage geometry blob: header (magic, version 0, flags: little-endian, xy envelope), srs id, envelope, WKB. */
export function gpkgGeometry(row: EvidenceRow, srsId: number): Uint8Array {
  const pts = row.rings.flat();
  const env = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of pts) {
    env[0] = Math.min(env[0]!, x!);
    env[1] = Math.max(env[1]!, x!);
    env[2] = Math.min(env[2]!, y!);
    env[3] = Math.max(env[3]!, y!);
  }
  const parts: number[][][][] = row.kind === 'polygon' ? row.polygons.map((start, i) => row.rings.slice(start, row.polygons[i + 1] ?? row.rings.length)) : row.kind === 'line' ? row.rings.map((r) => [r]) : row.rings[0]!.map((p) => [[p]]);
  // WKB size: multi header (9), then per part: header (9) + ring counts and points.
  let size = 9;
  for (const part of parts) size += row.kind === 'point' ? 21 : row.kind === 'line' ? 13 + 16 * part[0]!.length : 13 + part.reduce((s, r) => s + 4 + 16 * r.length, 0);
  const out = new Uint8Array(40 + size);
  const v = new DataView(out.buffer);
  out.set([0x47, 0x50, 0, 0b0000_0011]);
  v.setInt32(4, srsId, true);
  env.forEach((e, i) => v.setFloat64(8 + i * 8, e, true));
  let o = 40;
  const u8 = (n: number): void => {
    v.setUint8(o, n);
    o += 1;
  };
  const u32 = (n: number): void => {
    v.setUint32(o, n, true);
    o += 4;
  };
  const f64 = (n: number): void => {
    v.setFloat64(o, n, true);
    o += 8;
  };
  u8(1);
  u32(WKB_TYPE[row.kind].multi);
  u32(parts.length);
  for (const part of parts) {
    u8(1);
    if (row.kind === 'point') {
      u32(1);
      f64(part[0]![0]![0]!);
      f64(part[0]![0]![1]!);
    } else if (row.kind === 'line') {
      u32(2);
      u32(part[0]!.length);
      for (const [x, y] of part[0]!) {
        f64(x!);
        f64(y!);
      }
    } else {
      u32(3);
      u32(part.length);
      for (const ring of part) {
        u32(ring.length);
        for (const [x, y] of ring) {
          f64(x!);
          f64(y!);
        }
      }
    }
  }
  return out;
}

/** The GeoPackage file's bytes. */
export async function evidenceGpkg(rows: EvidenceRow[], crs: Crs, base: string): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    const srsId = crs.epsg ?? 100000;
    db.run('PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;');
    db.run(`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
      CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
      CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));`);
    const srs = db.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)');
    srs.run(['Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system']);
    srs.run(['Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system']);
    srs.run(['WGS 84 geodetic', 4326, 'EPSG', 4326, ogcWkt(crsFromEpsg(4326)), 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid']);
    if (srsId !== 4326) srs.run([crs.name, srsId, crs.epsg ? 'EPSG' : 'NONE', crs.epsg ?? srsId, ogcWkt(crs), crsLabel(crs)]);
    srs.free();
    const columns = COLUMNS.map((c) => `"${c.name.toLowerCase()}" ${c.type === 'N' ? (c.decimals ? 'REAL' : 'INTEGER') : 'TEXT'}`).join(', ');
    for (const { kind, suffix, rows: of } of rowsByKind(rows)) {
      const table = `${base}_${suffix}`;
      db.run(`CREATE TABLE "${table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom ${WKB_TYPE[kind].name}, ${columns})`);
      let minX = Infinity,
        minY = Infinity,
        maxX = -Infinity,
        maxY = -Infinity;
      const insert = db.prepare(`INSERT INTO "${table}" (geom, ${COLUMNS.map((c) => `"${c.name.toLowerCase()}"`).join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')})`);
      for (const r of of) {
        for (const [x, y] of r.rings.flat()) {
          minX = Math.min(minX, x!);
          maxX = Math.max(maxX, x!);
          minY = Math.min(minY, y!);
          maxY = Math.max(maxY, y!);
        }
        insert.run([gpkgGeometry(r, srsId), ...COLUMNS.map((c) => r.values[c.name] ?? null)]);
      }
      insert.free();
      db.run('INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        table,
        'features',
        table,
        `greenmine evidence (${suffix})`,
        minX,
        minY,
        maxX,
        maxY,
        srsId,
      ]);
      db.run('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)', [table, 'geom', WKB_TYPE[kind].name, srsId]);
    }
    return db.export();
  } finally {
    db.close();
  }
}
