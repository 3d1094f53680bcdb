/**
 * Shapefile licenses (.shp + .dbf + .prj + .cpg) on the `shapefile` package.
 * Attribute encoding: an explicit option, else the .cpg, else the DBF language
 * driver byte, else UTF-8 when the records are valid UTF-8 (with a warning);
 * otherwise greenmine refuses rather than guess (GBK read as Latin-1 is
 * silent garbage). The CRS comes from the .prj (ESRI WKT).
 */
import { existsSync } from 'node:fs';
import * as shapefile from 'shapefile';
import { type Crs, parseCrs } from '../crs/index.js';
import { type Finding, GreenmineError, wrapForeignAsync } from '../errors.js';
import { readInput } from '../io/files.js';
import { isValidUtf8, normaliseEncoding } from '../io/text.js';
import { licensesFromFeatures, polygonsOf, type SourceFeature } from './features.js';
import type { License } from './model.js';

export interface ShapefileOptions {
  crs?: Crs;
  encoding?: string;
  towgs84?: number[];
}

/** DBF language driver IDs (byte 29) that name an encoding unambiguously. */
const LANGUAGE_DRIVERS: Record<number, string> = {
  0x01: 'ibm437',
  0x02: 'ibm850',
  0x03: 'windows-1252',
  0x4d: 'gbk', // Chinese GBK (PRC), code page 936
  0x7a: 'gbk', // PRC GBK, code page 936
  0x4e: 'euc-kr',
  0x4f: 'big5',
  0x13: 'shift_jis',
  0x57: '', // "ANSI": the writer's system code page, unknown here
};

function sibling(shpPath: string, ext: string): string | null {
  const base = shpPath.replace(/\.shp$/i, '');
  for (const candidate of [base + ext, base + ext.toUpperCase()]) if (existsSync(candidate)) return candidate;
  return null;
}

const read = (path: string, what: string): Uint8Array => readInput(path, what);

/**
 * A dBASE table holds its header and every record its header counts; a table
 * cut mid-record would give licenses with silently null attributes.
 */
function checkDbf(bytes: Uint8Array, file: string): void {
  if (bytes.length < 32) throw new GreenmineError('SHP_TRUNCATED', `${file}: ${bytes.length} bytes, shorter than the 32-byte dBASE header`, { file });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records = view.getUint32(4, true);
  const headerBytes = view.getUint16(8, true);
  const recordBytes = view.getUint16(10, true);
  if (headerBytes < 33 || recordBytes < 1) throw new GreenmineError('SHP_TRUNCATED', `${file}: the dBASE header is damaged (header ${headerBytes} bytes, records of ${recordBytes})`, { file });
  const needed = headerBytes + records * recordBytes;
  if (bytes.length < needed) {
    const whole = Math.max(0, Math.floor((bytes.length - headerBytes) / recordBytes));
    throw new GreenmineError('SHP_TRUNCATED', `${file}: truncated: the header counts ${records} records but the file holds ${whole} whole one(s) (${bytes.length} of ${needed} bytes)`, { file });
  }
}

/**
 * The attributes must be text in the encoding chosen: a .cpg saying UTF-8 over
 * GBK bytes (or GBK over UTF-8 text) would give mojibake names with no finding.
 */
function checkEncoding(dbfBytes: Uint8Array, dbfPath: string, encoding: string, source: string): void {
  const headerBytes = dbfBytes.length >= 10 ? dbfBytes[8]! | (dbfBytes[9]! << 8) : 0;
  const body = dbfBytes.subarray(32, dbfBytes.length);
  if (body.every((b) => b < 0x80)) return;
  const utf8 = isValidUtf8(dbfBytes.subarray(32, Math.max(32, headerBytes))) && isValidUtf8(dbfBytes.subarray(headerBytes));
  if (encoding === 'utf-8' && !utf8) {
    throw new GreenmineError(
      'SHP_ENCODING_MISMATCH',
      `${dbfPath}: ${source} says UTF-8 but the attributes are not UTF-8 (Chinese shapefiles are usually GBK); name the encoding if so (the encoding option: "greenmine license --encoding gbk", "licenseOptions.encoding" in a manifest), or fix the .cpg`,
      { file: dbfPath },
    );
  }
  if ((encoding === 'gbk' || encoding === 'gb18030') && utf8) {
    throw new GreenmineError(
      'SHP_ENCODING_MISMATCH',
      `${dbfPath}: ${source} says ${encoding.toUpperCase()} but the attributes are valid UTF-8 text (read as GBK they would be garbled); name the encoding if so (the encoding option: "greenmine license --encoding utf-8", "licenseOptions.encoding" in a manifest), or fix the .cpg`,
      { file: dbfPath },
    );
  }
}

function checkShpHeader(bytes: Uint8Array, file: string): void {
  if (bytes.length < 100) throw new GreenmineError('SHP_TRUNCATED', `${file}: ${bytes.length} bytes, shorter than the 100-byte shapefile header`, { file });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getInt32(0, false) !== 9994) throw new GreenmineError('SHP_NOT_SHAPEFILE', `${file}: not a shapefile (file code ${view.getInt32(0, false)}, expected 9994)`, { file });
  const declared = view.getInt32(24, false) * 2;
  if (bytes.length < declared) {
    throw new GreenmineError('SHP_TRUNCATED', `${file}: truncated: the header declares ${declared} bytes but the file has ${bytes.length}`, { file });
  }
  const type = view.getInt32(32, true);
  if (type !== 5 && type !== 15 && type !== 25) {
    const names: Record<number, string> = { 0: 'null', 1: 'Point', 3: 'PolyLine', 8: 'MultiPoint', 11: 'PointZ', 13: 'PolyLineZ', 21: 'PointM', 23: 'PolyLineM' };
    throw new GreenmineError('SHP_NOT_POLYGON', `${file}: holds ${names[type] ?? `type ${type}`} shapes; a license layer must be polygons`, { file });
  }
}

function chooseEncoding(dbfBytes: Uint8Array, dbfPath: string, shpPath: string, explicit: string | undefined, findings: Finding[]): string {
  if (explicit) return normaliseEncoding(explicit, '--encoding');
  const cpg = sibling(shpPath, '.cpg');
  if (cpg) return normaliseEncoding(new TextDecoder().decode(read(cpg, '.cpg')).trim(), cpg);
  const ldid = dbfBytes[29] ?? 0;
  const fromLdid = LANGUAGE_DRIVERS[ldid];
  if (fromLdid) return fromLdid;
  const headerLength = dbfBytes.length >= 10 ? dbfBytes[8]! | (dbfBytes[9]! << 8) : 0;
  const body = dbfBytes.subarray(32, dbfBytes.length);
  const ascii = body.every((b) => b < 0x80);
  if (ascii) return 'utf-8';
  if (isValidUtf8(dbfBytes.subarray(32, Math.max(32, headerLength))) && isValidUtf8(dbfBytes.subarray(headerLength))) {
    findings.push({ code: 'SHP_ENCODING_ASSUMED', severity: 'warning', message: `${dbfPath}: no .cpg and no language driver; attributes are valid UTF-8 and read as such`, where: { file: dbfPath } });
    return 'utf-8';
  }
  throw new GreenmineError(
    'SHP_ENCODING_UNKNOWN',
    `${dbfPath}: the attribute encoding is not declared (no .cpg file, language driver byte 0x${ldid.toString(16).padStart(2, '0')}) and the text is not UTF-8; ` +
      'Chinese shapefiles are usually GBK: add a .cpg file containing GBK beside it (or name the encoding: "greenmine license --encoding gbk", "licenseOptions.encoding" in a manifest)',
    { file: dbfPath },
  );
}

export async function readShapefileLicenses(shpPath: string, options: ShapefileOptions = {}): Promise<License[]> {
  const shpBytes = read(shpPath, 'shapefile');
  checkShpHeader(shpBytes, shpPath);
  const findings: Finding[] = [];
  const dbfPath = sibling(shpPath, '.dbf');
  let dbfBytes: Uint8Array | undefined;
  let encoding = 'utf-8';
  if (dbfPath) {
    dbfBytes = read(dbfPath, 'attribute table (.dbf)');
    checkDbf(dbfBytes, dbfPath);
    encoding = chooseEncoding(dbfBytes, dbfPath, shpPath, options.encoding, findings);
    // What the user named is taken as said; a .cpg or language driver is checked against the bytes.
    if (!options.encoding) checkEncoding(dbfBytes, dbfPath, encoding, sibling(shpPath, '.cpg') ? 'its .cpg' : 'its language driver byte');
  } else {
    findings.push({ code: 'SHP_NO_DBF', severity: 'warning', message: `${shpPath}: no .dbf beside it; licenses have no attributes`, where: { file: shpPath } });
  }

  let crs = options.crs;
  if (!crs) {
    const prj = sibling(shpPath, '.prj');
    if (!prj)
      throw new GreenmineError('SHP_NO_PRJ', `${shpPath}: no .prj file names the coordinate system; give it (the crs option: "greenmine license --crs EPSG:n", "licenseOptions.crs" in a manifest), or copy the .prj`, { file: shpPath });
    crs = parseCrs(new TextDecoder().decode(read(prj, '.prj')), { source: prj, towgs84: options.towgs84 });
  }

  const collection = await wrapForeignAsync('SHP_READ', `${shpPath}: cannot read the shapefile`, { file: shpPath }, () => shapefile.read(shpBytes, dbfBytes, { encoding }));
  const features: SourceFeature[] = [];
  collection.features.forEach((f, i) => {
    const where = { file: shpPath, feature: i + 1 };
    const polygons = polygonsOf(f.geometry, where);
    if (polygons.length === 0) {
      findings.push({ code: 'LICENSE_FEATURE_NOT_POLYGON', severity: 'warning', message: `record ${i + 1} has a null shape; skipped`, where });
      return;
    }
    features.push({ index: i + 1, attributes: (f.properties ?? {}) as Record<string, unknown>, polygons, label: `record ${i + 1}` });
  });
  if (features.length === 0) throw new GreenmineError('LICENSE_NO_POLYGONS', `${shpPath}: no polygon records`, { file: shpPath });
  return licensesFromFeatures(features, crs, shpPath, findings);
}
