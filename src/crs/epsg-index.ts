/**
 * Any EPSG code beyond the ones greenmine ships with exact handling (the
 * Chinese CRSs, WGS 84 and UTM north over China), from the maintained EPSG
 * database of the `epsg-index` package (one small JSON file per code, read
 * only when a code is asked for): Web Mercator for tile-derived imagery, UTM
 * south, neighbours' national grids. Linear units other than the metre are
 * refused (greenmine measures in metres), as are definitions proj4 cannot run.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GreenmineError } from '../errors.js';
import { proj4 } from './proj4.js';
import type { Datum } from './registry.js';

interface IndexEntry {
  code: string;
  kind: string;
  name: string;
  proj4: string | null;
  bbox: [number, number, number, number] | null;
  unit: string | null;
}

export interface IndexedCrs {
  epsg: number;
  name: string;
  datum: Datum;
  geographic: boolean;
  proj4: string;
  towgs84: number[] | null;
  areaOfUse: [number, number, number, number] | null;
}

const require = createRequire(import.meta.url);
let folder: string | null | undefined;

function entry(code: number): IndexEntry | null {
  if (folder === undefined) {
    try {
      folder = require.resolve('epsg-index/package.json').replace(/package\.json$/, 's/');
    } catch {
      folder = null;
    }
  }
  if (folder === null || !Number.isInteger(code) || code <= 0) return null;
  // Each code's file is read once per process (a raster's CRS is asked for at every open).
  let e = entries.get(code);
  if (e === undefined) {
    try {
      e = JSON.parse(readFileSync(`${folder}${code}.json`, 'utf8')) as IndexEntry;
    } catch {
      e = null;
    }
    entries.set(code, e);
  }
  return e;
}

const entries = new Map<number, IndexEntry | null>();

/** The EPSG database's definition of `code`, or null when it has none; refuses what greenmine cannot measure in. */
export function indexedCrs(code: number, source: string): IndexedCrs | null {
  const e = entry(code);
  if (!e) return null;
  const geographic = e.kind === 'CRS-GEOGCRS';
  if (!geographic && e.kind !== 'CRS-PROJCRS') {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: EPSG:${code} (${e.name}) is a ${e.kind.replace(/^CRS-/, '').toLowerCase()}, not a projected or geographic CRS`, { file: source });
  }
  if (!e.proj4) throw new GreenmineError('CRS_UNSUPPORTED', `${source}: EPSG:${code} (${e.name}) has no proj4 form that greenmine can run`, { file: source });
  const unit = (e.unit ?? '').toLowerCase();
  if (!geographic && unit !== 'metre' && unit !== 'meter') {
    throw new GreenmineError(
      'CRS_UNSUPPORTED_UNIT',
      `${source}: EPSG:${code} (${e.name}) measures in ${e.unit ?? 'an unknown unit'}; greenmine works in metres: reproject the data first (e.g. gdalwarp -t_srs EPSG:4549, ogr2ogr -t_srs EPSG:4549)`,
      { file: source },
    );
  }
  const tokens = e.proj4.split(/\s+/).filter((t) => t && t !== '+type=crs' && t !== '+wktext');
  const get = (key: string): string | undefined => tokens.find((t) => t.startsWith(`+${key}=`))?.slice(key.length + 2);
  const towgs = get('towgs84')?.split(',').map(Number) ?? null;
  const nadgrids = get('nadgrids');
  if (nadgrids !== undefined && nadgrids !== '@null') {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: EPSG:${code} (${e.name}) needs the datum grid ${nadgrids}, which greenmine does not carry; reproject the data first`, { file: source });
  }
  let datum: Datum = 'custom';
  if (get('datum') === 'WGS84' || (nadgrids === '@null' && get('a') === '6378137')) datum = 'WGS84';
  const proj = tokens.filter((t) => !t.startsWith('+towgs84=')).join(' ');
  try {
    proj4()(proj);
  } catch {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: EPSG:${code} (${e.name}): its projection (${get('proj') ?? '?'}) cannot be computed here`, { file: source });
  }
  const b = e.bbox;
  return {
    epsg: code,
    name: e.name,
    datum,
    geographic,
    proj4: proj,
    towgs84: towgs?.every(Number.isFinite) && (towgs.length === 3 || towgs.length === 7) ? towgs : null,
    areaOfUse: b ? [b[1], b[2], b[3], b[0]] : null,
  };
}
