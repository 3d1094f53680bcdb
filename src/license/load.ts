/**
 * One entry point for every license format: read, validate, measure. Errors in
 * the data stop loading with a GreenmineError whose `findings` list every
 * error found; warnings travel on each license's `findings`.
 */

import { extname } from 'node:path';
import { type Crs, type OffsetFrame, parseCrs } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { readInput } from '../io/files.js';
import { licenseArea } from './area.js';
import { parseCornerTable } from './corners.js';
import { parseGeoJsonLicenses } from './geojson.js';
import { parseKmlLicenses, parseKmzLicenses } from './kml.js';
import type { License } from './model.js';
import { readShapefileLicenses } from './shapefile.js';
import { validateLicense } from './validate.js';

export type LicenseFormat = 'corners' | 'shapefile' | 'kml' | 'kmz' | 'geojson';

export interface LoadOptions {
  /** The source CRS, overriding what the file says or implies (EPSG:n, proj4 or WKT). */
  crs?: string | Crs;
  /** GK zone of a prefix-free corner table (25–45 or 13–23). */
  zone?: number;
  /** Text encoding of a corner table or a shapefile's attributes (utf-8, gbk). */
  encoding?: string;
  /** The frame KML/GeoJSON lon/lat are really in: GCJ-02 or BD-09 for exports from Chinese map apps. */
  frame?: OffsetFrame;
  /** 3 or 7 datum-shift parameters to WGS 84/CGCS2000 for Xian 1980 or Beijing 1954 data. */
  towgs84?: number[];
  /** Force a format instead of guessing it from the extension and content. */
  format?: LicenseFormat;
}

export function detectFormat(file: string, bytes: Uint8Array | null): LicenseFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.shp') return 'shapefile';
  if (ext === '.kml') return 'kml';
  if (ext === '.kmz') return 'kmz';
  if (ext === '.geojson' || ext === '.json') return 'geojson';
  if (ext === '.txt' || ext === '.csv' || ext === '.tsv') return 'corners';
  if (['.dbf', '.shx', '.prj', '.cpg', '.sbn', '.sbx'].includes(ext)) {
    throw new GreenmineError('LICENSE_FORMAT_UNKNOWN', `${file}: this is one part of a shapefile; give the .shp file`, { file });
  }
  if (bytes) {
    if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'kmz';
    const head = new TextDecoder()
      .decode(bytes.subarray(0, 200))
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (head.startsWith('{')) return 'geojson';
    if (head.startsWith('<')) return 'kml';
    if (bytes.subarray(0, 512).includes(0)) {
      throw new GreenmineError('LICENSE_FORMAT_UNKNOWN', `${file}: a binary file of unknown format; licenses are read from corner tables (.txt/.csv), .shp, .kml, .kmz or .geojson`, { file });
    }
  }
  return 'corners';
}

const readBytes = (file: string): Uint8Array => readInput(file);

function resolveCrs(options: LoadOptions): Crs | undefined {
  if (options.crs === undefined) return undefined;
  const crs = typeof options.crs === 'string' ? parseCrs(options.crs, { source: '--crs' }) : options.crs;
  return options.towgs84 ? { ...crs, towgs84: [...options.towgs84] } : crs;
}

/** Read every license in a file (corner table, shapefile, KML, KMZ or GeoJSON), validated and measured. */
export async function loadLicenses(file: string, options: LoadOptions = {}): Promise<License[]> {
  if ((options.format ?? detectFormat(file, null)) === 'shapefile') {
    return finish(await readShapefileLicenses(file, { crs: resolveCrs(options), encoding: options.encoding, towgs84: options.towgs84 }), options);
  }
  const bytes = readBytes(file);
  return loadLicensesFromBytes(bytes, file, { ...options, format: options.format ?? detectFormat(file, bytes) });
}

/** The same from bytes already in memory (not for shapefiles, which span several files). `name` is used in messages and for the format. */
export function loadLicensesFromBytes(bytes: Uint8Array, name: string, options: LoadOptions = {}): License[] {
  const format = options.format ?? detectFormat(name, bytes);
  if (options.frame && options.frame !== 'WGS84' && format !== 'kml' && format !== 'kmz') {
    throw new GreenmineError('USAGE', `${name}: --gcj02/--bd09 apply to KML/KMZ exported from Chinese map apps, not to ${format} files`, { file: name });
  }
  const crs = resolveCrs(options);
  let licenses: License[];
  switch (format) {
    case 'corners':
      licenses = [parseCornerTable(bytes, name, { crs, zone: options.zone, encoding: options.encoding })];
      break;
    case 'geojson':
      licenses = parseGeoJsonLicenses(bytes, name, { crs });
      break;
    case 'kml':
      licenses = parseKmlLicenses(bytes, name, { frame: options.frame });
      break;
    case 'kmz':
      licenses = parseKmzLicenses(bytes, name, { frame: options.frame });
      break;
    case 'shapefile':
      throw new GreenmineError('USAGE', `${name}: shapefiles are read from disk with loadLicenses(path)`, { file: name });
  }
  return finish(licenses, options);
}

function finish(licenses: License[], options: LoadOptions): License[] {
  const errors: Finding[] = [];
  for (const license of licenses) {
    if (options.towgs84 && !license.crs.towgs84 && (license.crs.datum === 'Xian1980' || license.crs.datum === 'Beijing1954')) {
      license.crs = { ...license.crs, towgs84: [...options.towgs84] };
    }
    const found = validateLicense(license);
    errors.push(...found.filter((f) => f.severity === 'error'));
    license.findings.push(...found.filter((f) => f.severity === 'warning'));
  }
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new GreenmineError(first.code, errors.length > 1 ? `${first.message} (and ${errors.length - 1} more error(s))` : first.message, first.where, errors);
  }
  for (const license of licenses) reconcileStatedArea(license);
  return licenses;
}

/**
 * A license prints its area rounded (0.7290 km²): the measured area, rounded
 * the same way, must match; either the ellipsoidal or the planar area may be
 * the one printed.
 */
function reconcileStatedArea(license: License): void {
  const stated = license.statedArea;
  if (!stated) return;
  const area = licenseArea(license);
  const toleranceM2 = stated.roundingM2 * 1.0000001;
  const okEllipsoidal = Math.abs(area.ellipsoidalM2 - stated.m2) <= toleranceM2;
  const okPlanar = Math.abs(area.planarM2 - stated.m2) <= toleranceM2;
  if (!okEllipsoidal && !okPlanar) {
    license.findings.push({
      code: 'LICENSE_AREA_MISMATCH',
      severity: 'warning',
      message: `stated area ${stated.text} (${stated.m2.toFixed(1)} m²) does not match the measured area: ellipsoidal ${area.ellipsoidalM2.toFixed(1)} m², planar ${area.planarM2.toFixed(1)} m² (allowed rounding ±${stated.roundingM2.toFixed(1)} m²)`,
      where: { file: license.sourceFile },
    });
  }
}

/** What a license file is called: the extensions a folder of licenses is read for. */
export { LICENSE_EXTENSIONS, licenseFilesIn } from './files.js';
