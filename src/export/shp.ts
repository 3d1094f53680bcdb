/**
 * ESRI shapefiles (.shp, .shx, .dbf, .prj, .cpg), one per geometry kind, with
 * GBK attributes (code page 936 in the .cpg and the dBase language driver
 * byte), as Chinese GIS offices' ArcGIS, MapGIS and QGIS read them.
 *
 * Written here: @mapbox/shp-write (the maintained writer) writes UTF-8 or
 * Latin-1 attributes only, a WGS 84 .prj unless given one, and every file
 * inside a zip; the format itself is two binary headers and a dBase table.
 */
import iconv from 'iconv-lite';
import type { Crs } from '../crs/index.js';
import { esriWkt } from '../crs/prj.js';
import { COLUMNS, type EvidenceRow, type GeometryKind, rowsByKind } from './rows.js';

const SHAPE_TYPE: Record<GeometryKind, number> = { point: 1, line: 3, polygon: 5 };

/** Twice the signed area (positive: counter-clockwise in x-east, y-north axes). */
function signedArea2(r: number[][]): number {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j]![0]! - r[i]![0]!) * (r[j]![1]! + r[i]![1]!);
  return a;
}

/** Rings as a shapefile wants them: outer rings clockwise, holes counter-clockwise, each closed. */
function shpRings(row: EvidenceRow): number[][][] {
  if (row.kind !== 'polygon') return row.rings;
  const outer = new Set(row.polygons);
  return row.rings.map((r, i) => {
    const closed = r.length > 0 && (r[0]![0] !== r.at(-1)![0] || r[0]![1] !== r.at(-1)![1]) ? [...r, r[0]!] : r;
    const clockwise = signedArea2(closed) < 0;
    return outer.has(i) === clockwise ? closed : [...closed].reverse();
  });
}

function header(view: DataView, fileBytes: number, type: number, box: number[]): void {
  view.setInt32(0, 9994, false);
  view.setInt32(24, fileBytes / 2, false);
  view.setInt32(28, 1000, true);
  view.setInt32(32, type, true);
  box.forEach((v, i) => view.setFloat64(36 + i * 8, v, true));
}

/** The .shp and .shx of rows of one kind. */
function geometryFiles(rows: EvidenceRow[], kind: GeometryKind): { shp: Uint8Array; shx: Uint8Array } {
  const type = SHAPE_TYPE[kind];
  const records = rows.map((row) => {
    const rings = shpRings(row);
    const points = rings.flat();
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (const [x, y] of points) {
      minX = Math.min(minX, x!);
      maxX = Math.max(maxX, x!);
      minY = Math.min(minY, y!);
      maxY = Math.max(maxY, y!);
    }
    const bytes = kind === 'point' ? 20 : 44 + 4 * rings.length + 16 * points.length;
    const content = new DataView(new ArrayBuffer(bytes));
    content.setInt32(0, type, true);
    if (kind === 'point') {
      content.setFloat64(4, points[0]![0]!, true);
      content.setFloat64(12, points[0]![1]!, true);
    } else {
      [minX, minY, maxX, maxY].forEach((v, i) => content.setFloat64(4 + i * 8, v, true));
      content.setInt32(36, rings.length, true);
      content.setInt32(40, points.length, true);
      let start = 0;
      rings.forEach((r, i) => {
        content.setInt32(44 + i * 4, start, true);
        start += r.length;
      });
      let o = 44 + 4 * rings.length;
      for (const [x, y] of points) {
        content.setFloat64(o, x!, true);
        content.setFloat64(o + 8, y!, true);
        o += 16;
      }
    }
    return { content, box: [minX, minY, maxX, maxY] };
  });
  const box = records.reduce((b, r) => [Math.min(b[0]!, r.box[0]!), Math.min(b[1]!, r.box[1]!), Math.max(b[2]!, r.box[2]!), Math.max(b[3]!, r.box[3]!)], [Infinity, Infinity, -Infinity, -Infinity]);
  const fileBox = [...box, 0, 0, 0, 0];
  const shpBytes = 100 + records.reduce((s, r) => s + 8 + r.content.byteLength, 0);
  const shp = new Uint8Array(shpBytes);
  const shx = new Uint8Array(100 + 8 * records.length);
  const sv = new DataView(shp.buffer);
  const xv = new DataView(shx.buffer);
  header(sv, shpBytes, type, fileBox);
  header(xv, shx.length, type, fileBox);
  let offset = 100;
  records.forEach((r, i) => {
    sv.setInt32(offset, i + 1, false);
    sv.setInt32(offset + 4, r.content.byteLength / 2, false);
    shp.set(new Uint8Array(r.content.buffer), offset + 8);
    xv.setInt32(100 + i * 8, offset / 2, false);
    xv.setInt32(104 + i * 8, r.content.byteLength / 2, false);
    offset += 8 + r.content.byteLength;
  });
  return { shp, shx };
}

/** Characters GBK lacks, as GBK text writes them (m² → m2). */
const GBK_SUBSTITUTES: Record<string, string> = { '²': '2', '³': '3', µ: 'μ', '≥': '≥', '–': '-', '⁻': '-' };

/** GBK bytes of `text`, cut at a character boundary to fit `length`. */
function gbk(text: string, length: number): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = iconv.encode(GBK_SUBSTITUTES[ch] ?? ch, 'gbk');
    if (out.length + b.length > length) break;
    out.push(...b);
  }
  return Uint8Array.from(out);
}

/** The dBase III table of the rows' values, GBK-encoded (language driver 0x4D: code page 936). */
export function dbfFile(rows: EvidenceRow[], now = new Date()): Uint8Array {
  const recordLength = 1 + COLUMNS.reduce((s, c) => s + c.length, 0);
  const headerLength = 32 + 32 * COLUMNS.length + 1;
  const out = new Uint8Array(headerLength + recordLength * rows.length + 1).fill(0);
  const view = new DataView(out.buffer);
  out[0] = 0x03;
  out[1] = now.getUTCFullYear() - 1900;
  out[2] = now.getUTCMonth() + 1;
  out[3] = now.getUTCDate();
  view.setUint32(4, rows.length, true);
  view.setUint16(8, headerLength, true);
  view.setUint16(10, recordLength, true);
  out[29] = 0x4d;
  COLUMNS.forEach((c, i) => {
    const at = 32 + i * 32;
    for (let k = 0; k < c.name.length; k++) out[at + k] = c.name.charCodeAt(k);
    out[at + 11] = c.type.charCodeAt(0);
    out[at + 16] = c.length;
    out[at + 17] = c.decimals ?? 0;
  });
  out[headerLength - 1] = 0x0d;
  let o = headerLength;
  for (const row of rows) {
    out.fill(0x20, o, o + recordLength); // not deleted; blanks (null) everywhere
    let f = o + 1;
    for (const c of COLUMNS) {
      const v = row.values[c.name];
      if (v !== null && v !== undefined) {
        if (c.type === 'N') {
          const text = Number(v).toFixed(c.decimals ?? 0);
          if (text.length <= c.length) for (let k = 0; k < text.length; k++) out[f + c.length - text.length + k] = text.charCodeAt(k);
        } else out.set(gbk(String(v), c.length), f);
      }
      f += c.length;
    }
    o += recordLength;
  }
  out[o] = 0x1a;
  return out;
}

/** The files of one shapefile per geometry kind present: `<base>_polygons.shp` … with .shx .dbf .prj .cpg. */
export function shapefiles(rows: EvidenceRow[], crs: Crs, base: string): Array<{ path: string; data: Uint8Array | string }> {
  const prj = esriWkt(crs);
  const out: Array<{ path: string; data: Uint8Array | string }> = [];
  for (const { kind, suffix, rows: of } of rowsByKind(rows)) {
    const { shp, shx } = geometryFiles(of, kind);
    const name = `${base}_${suffix}`;
    out.push({ path: `${name}.shp`, data: shp }, { path: `${name}.shx`, data: shx }, { path: `${name}.dbf`, data: dbfFile(of) }, { path: `${name}.prj`, data: prj }, { path: `${name}.cpg`, data: '936' });
  }
  return out;
}
