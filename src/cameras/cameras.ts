/**
 * Surveillance cameras (视频监控) as data: position, mounting height, heading,
 * fields of view and range, read from CSV (Chinese or English headers) or
 * GeoJSON points.
 */

import { type Crs, crsFromEpsg, parseCrs } from '../crs/index.js';
import { GreenmineError, type Where } from '../errors.js';
import { readInput } from '../io/files.js';
import { parseJson } from '../io/json.js';
import { decodeText } from '../io/text.js';
import { splitLine } from '../track/csv.js';
import type { Optics } from './viewshed.js';

export interface Camera extends Optics {
  id: string;
  /** Position in `crs` (x = easting or longitude). */
  x: number;
  y: number;
  crs: Crs;
  /** Whether x/y came from plain X/Y columns whose order (east/north or the survey's north/east) is to be decided against the license. */
  axisOrderUnknown: boolean;
  where: Where;
}

const COLUMNS: Record<string, RegExp> = {
  id: /^(id|camera|name|编号|名称|摄像头|摄像机|点位)/i,
  lon: /^(lon|lng|longitude|经度)/i,
  lat: /^(lat|latitude|纬度)/i,
  east: /^(easting|east|e|东坐标|横坐标)(?![a-z])/i,
  north: /^(northing|north|n|北坐标|纵坐标)(?![a-z])/i,
  x: /^x(?![a-z])/i,
  y: /^y(?![a-z])/i,
  height: /^(height|mount|h\b|安装高度|架设高度|高度|杆高)/i,
  heading: /^(heading|azimuth|bearing|direction|朝向|方位|方向)/i,
  hfov: /^(hfov|fov|horizontal|水平视场|水平视角|视场角|视角)/i,
  range: /^(range|distance|radius|监控距离|监控半径|距离|视距|半径)/i,
  tilt: /^(tilt|pitch|俯角|俯仰)/i,
  vfov: /^(vfov|vertical|垂直视场|垂直视角)/i,
};

export interface CameraReadOptions {
  /** CRS of projected X/Y (or easting/northing) columns; lon/lat are WGS 84 unless a `crs` is given for them too. */
  crs?: string | Crs;
}

interface RawCamera {
  id: string;
  values: Partial<Record<keyof typeof COLUMNS, unknown>>;
  where: Where;
}

function number(raw: unknown, what: string, where: Where, file: string, required: boolean): number | null {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (!required) return null;
    throw new GreenmineError('CAMERA_MISSING_FIELD', `${file}${where.line ? `, line ${where.line}` : ` feature ${where.feature}`}: ${what} is missing`, where);
  }
  const n =
    typeof raw === 'number'
      ? raw
      : Number(
          String(raw)
            .trim()
            .replace(/\s*(m|米|°|度)$/i, ''),
        );
  if (!Number.isFinite(n)) throw new GreenmineError('CAMERA_BAD_FIELD', `${file}${where.line ? `, line ${where.line}` : ` feature ${where.feature}`}: ${what} "${String(raw)}" is not a number`, where);
  return n;
}

function toCamera(raw: RawCamera, file: string, position: { x: number; y: number; crs: Crs; axisOrderUnknown: boolean }): Camera {
  const { values: v, where } = raw;
  const at = `${file}${where.line ? `, line ${where.line}` : `, feature ${where.feature}`}`;
  const bad = (what: string, expected: string, got: number): never => {
    throw new GreenmineError('CAMERA_BAD_FIELD', `${at}: camera ${raw.id}: ${what} ${got} (expected ${expected})`, where);
  };
  const heightM = number(v.height, 'mounting height (height, 安装高度)', where, file, true)!;
  const rangeM = number(v.range, 'range (range, 监控距离)', where, file, true)!;
  const hfovDeg = number(v.hfov, 'horizontal field of view (hfov, 水平视场角)', where, file, true)!;
  const headingRaw = number(v.heading, 'heading (heading, 朝向)', where, file, hfovDeg < 360);
  const tiltDeg = number(v.tilt, 'tilt', where, file, false);
  const vfovDeg = number(v.vfov, 'vertical field of view', where, file, false);
  if (!(heightM >= 0 && heightM < 1000)) bad('mounting height', 'metres in [0, 1000)', heightM);
  if (!(rangeM > 0 && rangeM <= 20000)) bad('range', 'metres in (0, 20000]', rangeM);
  if (!(hfovDeg > 0 && hfovDeg <= 360)) bad('horizontal field of view', 'degrees in (0, 360]', hfovDeg);
  if (tiltDeg !== null && !(tiltDeg >= -90 && tiltDeg <= 90)) bad('tilt', 'degrees below horizontal in [-90, 90]', tiltDeg);
  if (vfovDeg !== null && !(vfovDeg > 0 && vfovDeg < 180)) bad('vertical field of view', 'degrees in (0, 180)', vfovDeg);
  return {
    id: raw.id,
    ...position,
    heightM,
    headingDeg: (((headingRaw ?? 0) % 360) + 360) % 360,
    hfovDeg,
    rangeM,
    tiltDeg,
    // A tilt without a vertical field of view: assume a 16:9 sensor (vfov from hfov), as most surveillance cameras are.
    vfovDeg: vfovDeg ?? (tiltDeg !== null ? (2 * Math.atan(Math.tan((Math.min(hfovDeg, 170) * Math.PI) / 360) * (9 / 16)) * 180) / Math.PI : null),
    where,
  };
}

function resolveCrs(crs: string | Crs | undefined, fallback: Crs | null): Crs | null {
  if (crs === undefined) return fallback;
  return typeof crs === 'string' ? parseCrs(crs) : crs;
}

/** Cameras from CSV text: id, lon/lat (or x/y, easting/northing), height, heading, hfov, range[, tilt, vfov]. */
export function parseCamerasCsv(bytes: Uint8Array, file: string, options: CameraReadOptions = {}): Camera[] {
  const { text } = decodeText(bytes, file);
  const lines = text.split(/\r\n|\r|\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new GreenmineError('CAMERA_EMPTY', `${file}: no cameras (the file is empty)`, { file });
  const sep = lines[headerIndex]!.includes('\t') ? '\t' : lines[headerIndex]!.includes(';') && !lines[headerIndex]!.includes(',') ? ';' : ',';
  const header = splitLine(lines[headerIndex]!, sep).map((h) => h.trim().replace(/^\uFEFF/, ''));
  const index: Partial<Record<keyof typeof COLUMNS, number>> = {};
  for (const [key, re] of Object.entries(COLUMNS)) {
    const i = header.findIndex((h) => re.test(h));
    if (i >= 0) index[key] = i;
  }
  const hasLonLat = index.lon !== undefined && index.lat !== undefined;
  const hasEN = index.east !== undefined && index.north !== undefined;
  const hasXY = index.x !== undefined && index.y !== undefined;
  if (index.id === undefined || !(hasLonLat || hasEN || hasXY)) {
    throw new GreenmineError('CAMERA_COLUMNS', `${file}, line ${headerIndex + 1}: expected an id column and lon/lat (or x/y, easting/northing) columns, found ${header.join(', ')}`, { file, line: headerIndex + 1 });
  }
  const projected = !hasLonLat;
  const crs = resolveCrs(options.crs, projected ? null : crsFromEpsg(4326));
  if (!crs) throw new GreenmineError('CAMERA_NO_CRS', `${file}: positions are projected (${hasEN ? 'easting/northing' : 'X/Y'}); give their CRS (--cameras-crs, e.g. EPSG:4549)`, { file });
  const cameras: Camera[] = [];
  const seen = new Map<string, number>();
  for (let li = headerIndex + 1; li < lines.length; li++) {
    if (lines[li]!.trim() === '') continue;
    const cells = splitLine(lines[li]!, sep).map((c) => c.trim());
    const where: Where = { file, line: li + 1 };
    const values: RawCamera['values'] = {};
    for (const [key, i] of Object.entries(index)) if (i !== undefined) values[key] = cells[i];
    const id = String(values.id ?? '').trim();
    if (!id) throw new GreenmineError('CAMERA_MISSING_FIELD', `${file}, line ${li + 1}: the camera id is empty`, where);
    if (seen.has(id)) throw new GreenmineError('CAMERA_DUPLICATE_ID', `${file}, line ${li + 1}: camera id "${id}" repeats line ${seen.get(id)}`, where);
    seen.set(id, li + 1);
    const key = hasLonLat ? ['lon', 'lat'] : hasEN ? ['east', 'north'] : ['x', 'y'];
    const x = number(values[key[0]!], key[0]!, where, file, true)!;
    const y = number(values[key[1]!], key[1]!, where, file, true)!;
    if (crs.geographic && !(Math.abs(x) <= 180 && Math.abs(y) <= 90)) throw new GreenmineError('CAMERA_BAD_FIELD', `${file}, line ${li + 1}: position ${x}, ${y} is not lon, lat in degrees`, where);
    cameras.push(toCamera({ id, values, where }, file, { x, y, crs, axisOrderUnknown: !hasLonLat && !hasEN }));
  }
  if (cameras.length === 0) throw new GreenmineError('CAMERA_EMPTY', `${file}: no cameras (a header and no rows)`, { file });
  return cameras;
}

/** Cameras from a GeoJSON FeatureCollection of points (WGS 84 lon/lat, or the CRS of a legacy `crs` member), properties named as the CSV columns. */
export function parseCamerasGeoJson(text: string, file: string): Camera[] {
  const doc = parseJson(text, file, 'CAMERA_BAD_JSON', 'GeoJSON file of cameras');
  const features = (doc as { type?: string; features?: unknown[] }).type === 'FeatureCollection' ? (doc as { features: unknown[] }).features : null;
  if (!Array.isArray(features)) throw new GreenmineError('CAMERA_BAD_JSON', `${file}: expected a GeoJSON FeatureCollection of points`, { file });
  // RFC 7946 GeoJSON is WGS 84 lon/lat; an old-style "crs" member (as GDAL writes for projected data) is honoured.
  const crsName = (doc as { crs?: { properties?: { name?: unknown } } }).crs?.properties?.name;
  let crs: Crs;
  try {
    crs = typeof crsName === 'string' ? parseCrs(crsName) : crsFromEpsg(4326);
  } catch (err) {
    throw new GreenmineError('CAMERA_BAD_CRS', `${file}: crs "${String(crsName)}" is not a CRS greenmine knows (${(err as Error).message})`, { file });
  }
  const seen = new Set<string>();
  return features.map((f, i) => {
    const where: Where = { file, feature: i };
    const feature = f as { geometry?: { type?: string; coordinates?: unknown }; properties?: Record<string, unknown> | null; id?: unknown };
    const coords = feature.geometry?.coordinates;
    if (feature.geometry?.type !== 'Point' || !Array.isArray(coords) || !Number.isFinite(coords[0]) || !Number.isFinite(coords[1])) {
      throw new GreenmineError('CAMERA_BAD_GEOMETRY', `${file}, feature ${i}: expected a Point with [lon, lat], got ${feature.geometry?.type ?? 'no geometry'}`, where);
    }
    const [x, y] = coords as [number, number];
    if (crs.geographic && !(Math.abs(x) <= 180 && Math.abs(y) <= 90)) {
      throw new GreenmineError('CAMERA_BAD_GEOMETRY', `${file}, feature ${i}: ${x}, ${y} is not lon, lat in degrees (projected coordinates need a "crs" member)`, where);
    }
    const props = feature.properties ?? {};
    const values: RawCamera['values'] = {};
    for (const [key, re] of Object.entries(COLUMNS)) {
      const name = Object.keys(props).find((k) => re.test(k));
      if (name !== undefined) values[key] = props[name];
    }
    const id = String(values.id ?? feature.id ?? `camera ${i + 1}`);
    if (seen.has(id)) throw new GreenmineError('CAMERA_DUPLICATE_ID', `${file}, feature ${i}: camera id "${id}" repeats`, where);
    seen.add(id);
    return toCamera({ id, values, where }, file, { x, y, crs, axisOrderUnknown: false });
  });
}

/** Cameras from a .csv/.txt or .geojson/.json file. */
export function loadCameras(file: string, options: CameraReadOptions = {}): Camera[] {
  const bytes = readInput(file);
  if (/\.(geo)?json$/i.test(file)) return parseCamerasGeoJson(new TextDecoder().decode(bytes), file);
  return parseCamerasCsv(bytes, file, options);
}
