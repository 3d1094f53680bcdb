/**
 * A coordinate reference system as greenmine uses it: a proj4 definition plus
 * what it means (datum, Gauss-Krüger zone, area of use) and how it was
 * recognised. Definitions are read from EPSG codes, proj4 strings, OGC/ESRI WKT
 * and GeoTIFF GeoKeys, and resolved to a shipped EPSG code whenever the
 * parameters match one.
 */
import { GreenmineError } from '../errors.js';
import { allDefs, ELLIPSOIDS, findGk, lookupEpsg, type CrsDef, type Datum, type GaussKruger } from './registry.js';
import { child, children, find, nameOf, parseWkt, type WktNode } from './wkt.js';

export type { Datum, GaussKruger } from './registry.js';

export interface Crs {
  /** EPSG code when the definition is (or matches) one greenmine ships; null for a custom definition. */
  epsg: number | null;
  name: string;
  datum: Datum;
  geographic: boolean;
  /** proj4 definition without datum shift. */
  proj4: string;
  gk: GaussKruger | null;
  /** [minLon, minLat, maxLon, maxLat], or null when unknown (custom definitions). */
  areaOfUse: [number, number, number, number] | null;
  /** User-supplied 3- or 7-parameter shift to WGS 84 / CGCS2000 (proj4 +towgs84 order), or null. */
  towgs84: number[] | null;
  /** How the definition was recognised: given as an EPSG code, by the AUTHORITY/ID in WKT, by its name, by its parameters, or not matched. */
  resolvedBy: 'epsg' | 'authority' | 'name' | 'parameters' | 'unmatched';
}

/** "EPSG:4528" for a matched CRS, else its name. */
export function crsLabel(crs: Crs): string {
  return crs.epsg !== null ? `EPSG:${crs.epsg}` : crs.name;
}

function fromDef(def: CrsDef, resolvedBy: Crs['resolvedBy'], towgs84: number[] | null = null): Crs {
  return {
    epsg: def.epsg,
    name: def.name,
    datum: def.datum,
    geographic: def.geographic,
    proj4: def.proj4,
    gk: def.gk,
    areaOfUse: def.areaOfUse,
    towgs84,
    resolvedBy,
  };
}

/** A shipped CRS by EPSG code; throws CRS_UNKNOWN_EPSG for codes greenmine does not ship. */
export function crsFromEpsg(epsg: number): Crs {
  const def = lookupEpsg(epsg);
  if (!def) {
    throw new GreenmineError(
      'CRS_UNKNOWN_EPSG',
      `EPSG:${epsg} is not one of the coordinate systems greenmine ships (CGCS2000 4490–4554, Xian 1980 2327–2390, Beijing 1954 2401–2442 and 21413–21483, WGS 84 4326 and UTM 32643–32653); give its proj4 string or WKT instead`,
    );
  }
  return fromDef(def, 'epsg');
}

export interface ParseCrsOptions {
  /** Where the definition came from, for error messages (e.g. the .prj path). */
  source?: string;
  /** User-supplied datum shift (7 or 3 parameters, proj4 +towgs84 order) for Xian 1980 / Beijing 1954 data. */
  towgs84?: number[];
}

/**
 * Read a CRS from `EPSG:n`, `urn:ogc:def:crs:EPSG::n`, `CRS84`, a bare number,
 * a proj4 string, or OGC/ESRI WKT (WKT1 or WKT2).
 */
export function parseCrs(input: string | number, options: ParseCrsOptions = {}): Crs {
  const source = options.source ?? 'CRS definition';
  const towgs84 = options.towgs84 ? checkTowgs84(options.towgs84, source) : null;
  const withShift = (crs: Crs): Crs => (towgs84 ? { ...crs, towgs84 } : crs);
  if (typeof input === 'number') return withShift(crsFromEpsg(input));
  const text = input.trim().replace(/^\uFEFF/, '');
  if (!text) throw new GreenmineError('CRS_EMPTY', `${source}: the CRS definition is empty`, { file: source });
  const code = /^(?:EPSG:{1,2}|urn:ogc:def:crs:EPSG:[\d.]*:)?(\d{4,5})$/i.exec(text);
  if (code) return withShift(crsFromEpsg(Number(code[1])));
  if (/^(?:urn:ogc:def:crs:OGC:[\d.]*:)?CRS84$/i.test(text)) return withShift(crsFromEpsg(4326));
  if (text.startsWith('+')) return withShift(parseProj4(text, source));
  if (/^[A-Z_0-9]+\s*[[(]/i.test(text)) return withShift(crsFromWkt(parseWkt(text, source), source));
  throw new GreenmineError(
    'CRS_UNRECOGNISED',
    `${source}: cannot read "${text.slice(0, 80)}" as a CRS: expected EPSG:n, a proj4 string (+proj=…) or WKT`,
    { file: source },
  );
}

function checkTowgs84(values: number[], source: string): number[] {
  if ((values.length !== 3 && values.length !== 7) || !values.every(Number.isFinite)) {
    throw new GreenmineError(
      'CRS_BAD_TOWGS84',
      `${source}: a datum shift needs 3 or 7 finite numbers (dx,dy,dz[,rx,ry,rz,ds] as in proj4 +towgs84), got ${JSON.stringify(values)}`,
    );
  }
  return [...values];
}

// ---------------------------------------------------------------------------
// Matching parameters against the shipped definitions

interface TmParams {
  datum: Datum;
  a: number;
  rf: number;
  lon0: number;
  lat0: number;
  k: number;
  x0: number;
  y0: number;
}

function datumFromEllipsoid(a: number, rf: number): Datum {
  for (const [datum, e] of Object.entries(ELLIPSOIDS) as Array<[Exclude<Datum, 'custom'>, { a: number; rf: number }]>) {
    if (Math.abs(e.a - a) < 1e-3 && Math.abs(e.rf - rf) < 1e-6) return datum;
  }
  return 'custom';
}

function datumFromName(name: string): Datum | null {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (/cgcs2000|china2000|chinageodeticcoordinatesystem2000/.test(n)) return 'CGCS2000';
  if (/xian1980|xian80/.test(n)) return 'Xian1980';
  if (/beijing1954|beijing54/.test(n)) return 'Beijing1954';
  if (/wgs1984|wgs84/.test(n)) return 'WGS84';
  return null;
}

/** Zone width from an ESRI/OGC CRS name, when the name says it. */
function familyFromName(name: string): 3 | 6 | null {
  const n = name.toLowerCase();
  if (/3[_ -]?degree|3度/.test(n)) return 3;
  if (/6[_ -]?degree|6度|gk_zone_|gk_cm_|gauss-kruger zone|gauss-kruger cm/.test(n)) return 6;
  return null;
}

function matchTm(p: TmParams, familyHint: 3 | 6 | null): CrsDef | undefined {
  if (Math.abs(p.lat0) > 1e-9 || Math.abs(p.y0) > 1e-6) return undefined;
  if (Math.abs(p.k - 0.9996) < 1e-9 && p.datum === 'WGS84' && p.x0 === 500000) {
    const zone = Math.round((p.lon0 + 183) / 6);
    const def = lookupEpsg(32600 + zone);
    return def && def.proj4.includes(`+zone=${zone}`) && zone * 6 - 183 === p.lon0 ? def : undefined;
  }
  if (Math.abs(p.k - 1) > 1e-12 || p.datum === 'custom' || p.datum === 'WGS84') return undefined;
  const prefixed = p.x0 !== 500000;
  if (prefixed) {
    const zone = Math.round((p.x0 - 500000) / 1e6);
    if (zone * 1e6 + 500000 !== p.x0) return undefined;
    const family: 3 | 6 = zone >= 25 ? 3 : 6;
    const def = findGk(p.datum, family, p.lon0, true);
    return def && def.gk!.zone === zone ? def : undefined;
  }
  // Without a prefix, CM 117°, 123°… are both 3° and 6° central meridians: the
  // definitions are identical; the name decides, else the 3° zone (usual for mines).
  const order: Array<3 | 6> = familyHint === 6 ? [6, 3] : [3, 6];
  for (const family of order) {
    const def = findGk(p.datum, family, p.lon0, false);
    if (def) return def;
  }
  return undefined;
}

function tmProj4(p: TmParams): string {
  const ellps = p.datum !== 'custom' ? ELLIPSOIDS[p.datum].proj4 : `+a=${p.a} +rf=${p.rf}`;
  return `+proj=tmerc +lat_0=${p.lat0} +lon_0=${p.lon0} +k=${p.k} +x_0=${p.x0} +y_0=${p.y0} ${ellps} +units=m +no_defs`;
}

function custom(name: string, datum: Datum, proj4: string, geographic: boolean): Crs {
  return { epsg: null, name, datum, geographic, proj4, gk: null, areaOfUse: null, towgs84: null, resolvedBy: 'unmatched' };
}

// ---------------------------------------------------------------------------
// proj4 strings

const PROJ4_ELLIPSOIDS: Record<string, { a: number; rf: number }> = {
  GRS80: { a: 6378137, rf: 298.257222101 },
  WGS84: { a: 6378137, rf: 298.257223563 },
  krass: { a: 6378245, rf: 298.3 },
  IAU76: { a: 6378140, rf: 298.257 },
};

function parseProj4(text: string, source: string): Crs {
  const params = new Map<string, string>();
  for (const token of text.split(/\s+/)) {
    const m = /^\+([A-Za-z_0-9]+)(?:=(.*))?$/.exec(token);
    if (!m) throw new GreenmineError('CRS_PROJ4_SYNTAX', `${source}: "${token}" is not a +key=value proj4 parameter`, { file: source });
    params.set(m[1]!, m[2] ?? '');
  }
  const num = (key: string, fallback: number): number => {
    const v = params.get(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new GreenmineError('CRS_PROJ4_SYNTAX', `${source}: +${key}=${v} is not a number`, { file: source });
    return n;
  };
  let a: number;
  let rf: number;
  const datumName = params.get('datum');
  const ellps = params.get('ellps') ?? (datumName === 'WGS84' ? 'WGS84' : undefined);
  if (ellps !== undefined) {
    const e = PROJ4_ELLIPSOIDS[ellps];
    if (!e) throw new GreenmineError('CRS_UNSUPPORTED', `${source}: ellipsoid +ellps=${ellps} is not supported (GRS80, WGS84, krass, IAU76, or +a/+rf)`, { file: source });
    ({ a, rf } = e);
  } else if (params.has('a') && (params.has('rf') || params.has('b'))) {
    a = num('a', NaN);
    rf = params.has('rf') ? num('rf', NaN) : a / (a - num('b', NaN));
  } else {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: the proj4 string names no ellipsoid (+ellps, +datum or +a/+rf)`, { file: source });
  }
  const datum = datumFromEllipsoid(a, rf);
  const units = params.get('units');
  if (units !== undefined && units !== 'm') {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: units +units=${units} are not supported; greenmine works in metres`, { file: source });
  }
  const towgs84 = params.has('towgs84') ? params.get('towgs84')!.split(',').map(Number) : null;
  const proj = params.get('proj');
  let crs: Crs;
  if (proj === 'longlat' || proj === 'latlong') {
    const def = [...allDefs()].find((d) => d.geographic && d.datum === datum);
    crs = def ? fromDef(def, 'parameters') : custom('custom geographic', datum, text, true);
  } else if (proj === 'tmerc' || proj === 'etmerc' || proj === 'utm') {
    const p: TmParams =
      proj === 'utm'
        ? { datum, a, rf, lon0: num('zone', NaN) * 6 - 183, lat0: 0, k: 0.9996, x0: 500000, y0: params.has('south') ? 10000000 : 0 }
        : { datum, a, rf, lon0: num('lon_0', 0), lat0: num('lat_0', 0), k: num('k', num('k_0', 1)), x0: num('x_0', 0), y0: num('y_0', 0) };
    const def = matchTm(p, null);
    crs = def ? fromDef(def, 'parameters') : custom('custom transverse Mercator', datum, tmProj4(p), false);
  } else {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: projection +proj=${proj ?? '(none)'} is not supported (longlat, tmerc, utm)`, { file: source });
  }
  if (towgs84) crs.towgs84 = checkTowgs84(towgs84, source);
  return crs;
}

// ---------------------------------------------------------------------------
// WKT (OGC WKT1, ESRI, WKT2)

function authorityCode(node: WktNode): number | null {
  for (const n of children(node, 'AUTHORITY', 'ID')) {
    if (String(n.args[0]).toUpperCase() === 'EPSG') {
      const code = Number(n.args[1]);
      if (Number.isInteger(code)) return code;
    }
  }
  return null;
}

function parameter(node: WktNode, ...names: string[]): number | undefined {
  const wanted = names.map((n) => n.toLowerCase().replace(/[^a-z]/g, ''));
  for (const p of children(node, 'PARAMETER')) {
    const key = nameOf(p).toLowerCase().replace(/[^a-z]/g, '');
    if (wanted.includes(key) && typeof p.args[1] === 'number') return p.args[1];
  }
  const conversion = child(node, 'CONVERSION');
  return conversion ? parameter(conversion, ...names) : undefined;
}

/** ESRI and OGC names of Chinese Gauss-Krüger systems, e.g. CGCS2000_3_Degree_GK_CM_120E, Xian_1980_3_Degree_GK_Zone_40. */
function matchName(name: string): CrsDef | undefined {
  const n = name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const m = /^(cgcs2000|xian_1980|beijing_1954)_(3_degree_)?(?:gk|gauss_kruger)_(?:cm_(\d+)e|zone_(\d+))$/.exec(n);
  if (!m) return undefined;
  const datum = datumFromName(m[1]!)!;
  const family: 3 | 6 = m[2] ? 3 : 6;
  if (m[3]) return findGk(datum, family, Number(m[3]), false);
  const zone = Number(m[4]);
  return findGk(datum, family, family === 3 ? zone * 3 : zone * 6 - 3, true);
}

function crsFromWkt(root: WktNode, source: string): Crs {
  const kind = root.keyword;
  const isProjected = kind === 'PROJCS' || kind === 'PROJCRS' || kind === 'PROJECTEDCRS';
  const isGeographic = ['GEOGCS', 'GEOGCRS', 'GEODCRS', 'GEOGRAPHICCRS', 'GEODETICCRS'].includes(kind);
  if (!isProjected && !isGeographic) {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: a ${kind} is not a supported CRS (a projected or geographic CRS is)`, { file: source });
  }
  const name = nameOf(root);
  const code = authorityCode(root);
  if (code !== null && lookupEpsg(code)) return fromDef(lookupEpsg(code)!, 'authority');

  const datumNode = find(root, 'DATUM', 'GEODETICDATUM', 'TRF');
  const spheroid = find(root, 'SPHEROID', 'ELLIPSOID');
  const a = typeof spheroid?.args[1] === 'number' ? spheroid.args[1] : NaN;
  const rf = typeof spheroid?.args[2] === 'number' ? spheroid.args[2] : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(rf)) {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: the WKT has no SPHEROID/ELLIPSOID with semi-major axis and inverse flattening`, { file: source });
  }
  let datum = datumFromEllipsoid(a, rf);
  const named = datumFromName(nameOf(datumNode)) ?? datumFromName(name);
  // GRS80 and WGS84 differ by 0.1 mm in the semi-minor axis; the datum name decides.
  if (named && (named === datum || datum === 'custom' || (datum === 'CGCS2000' && named === 'WGS84') || (datum === 'WGS84' && named === 'CGCS2000'))) {
    if (datum === 'custom') {
      throw new GreenmineError('CRS_UNSUPPORTED', `${source}: datum ${nameOf(datumNode)} does not use the ${named} ellipsoid (a=${a}, rf=${rf})`, { file: source });
    }
    datum = named;
  }

  if (isGeographic) {
    const def = [...allDefs()].find((d) => d.geographic && d.datum === datum);
    if (!def) return custom(name || 'custom geographic', datum, `+proj=longlat +a=${a} +rf=${rf} +no_defs`, true);
    return fromDef(def, 'parameters');
  }

  const unit = children(root, 'UNIT', 'LENGTHUNIT').at(-1);
  const toMetre = typeof unit?.args[1] === 'number' ? unit.args[1] : 1;
  if (Math.abs(toMetre - 1) > 1e-12) {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: linear unit "${nameOf(unit)}" (${toMetre} m) is not supported; greenmine works in metres`, { file: source });
  }
  const projection = nameOf(find(root, 'PROJECTION', 'METHOD')).toLowerCase().replace(/[^a-z]/g, '');
  if (!['gausskruger', 'transversemercator', 'gaussian', 'tmerc'].includes(projection)) {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: projection "${nameOf(find(root, 'PROJECTION', 'METHOD'))}" is not supported (Gauss-Krüger / Transverse Mercator)`, { file: source });
  }
  const p: TmParams = {
    datum,
    a,
    rf,
    lon0: parameter(root, 'central_meridian', 'longitude of natural origin') ?? 0,
    lat0: parameter(root, 'latitude_of_origin', 'latitude of natural origin') ?? 0,
    k: parameter(root, 'scale_factor', 'scale factor at natural origin') ?? 1,
    x0: parameter(root, 'false_easting') ?? 0,
    y0: parameter(root, 'false_northing') ?? 0,
  };
  const byParams = matchTm(p, familyFromName(name));
  const byName = matchName(name);
  if (byName && byParams && byName.epsg === byParams.epsg) return fromDef(byName, 'name');
  if (byParams) return fromDef(byParams, 'parameters');
  return custom(name || 'custom transverse Mercator', datum, tmProj4(p), false);
}

// ---------------------------------------------------------------------------
// GeoTIFF GeoKeys

/** GeoKey values by name as geotiff.js returns them from `image.getGeoKeys()`. */
export type GeoKeys = Record<string, number | string | number[] | undefined>;

const USER_DEFINED = 32767;

/**
 * A CRS from GeoTIFF GeoKeys: EPSG codes of projected and geographic systems,
 * and user-defined transverse Mercator (Gauss-Krüger) definitions.
 */
export function crsFromGeoKeys(keys: GeoKeys, source = 'GeoTIFF'): Crs {
  const projected = keys.ProjectedCSTypeGeoKey;
  const geographic = keys.GeographicTypeGeoKey;
  const model = keys.GTModelTypeGeoKey;
  if (typeof projected === 'number' && projected !== USER_DEFINED) return fromDef(requireDef(projected, source), 'epsg');
  if (model === 2 && typeof geographic === 'number' && geographic !== USER_DEFINED) return fromDef(requireDef(geographic, source), 'epsg');
  if (projected === USER_DEFINED || model === 1) {
    const transform = keys.ProjCoordTransGeoKey;
    if (transform !== 1) {
      throw new GreenmineError('CRS_UNSUPPORTED', `${source}: user-defined projection with ProjCoordTransGeoKey=${String(transform)} is not supported (1 = transverse Mercator)`, { file: source });
    }
    let datum: Datum = 'custom';
    let a = Number(keys.GeogSemiMajorAxisGeoKey);
    let rf = Number(keys.GeogInvFlatteningGeoKey);
    if (typeof geographic === 'number' && geographic !== USER_DEFINED) {
      const def = requireDef(geographic, source);
      datum = def.datum;
      const e = ELLIPSOIDS[def.datum as Exclude<Datum, 'custom'>];
      a = e.a;
      rf = e.rf;
    } else if (Number.isFinite(a) && Number.isFinite(rf)) {
      datum = datumFromEllipsoid(a, rf);
    } else {
      throw new GreenmineError('CRS_UNSUPPORTED', `${source}: user-defined projection names neither a geographic CRS nor an ellipsoid`, { file: source });
    }
    const p: TmParams = {
      datum,
      a,
      rf,
      lon0: Number(keys.ProjNatOriginLongGeoKey ?? keys.ProjCenterLongGeoKey ?? 0),
      lat0: Number(keys.ProjNatOriginLatGeoKey ?? 0),
      k: Number(keys.ProjScaleAtNatOriginGeoKey ?? 1),
      x0: Number(keys.ProjFalseEastingGeoKey ?? 0),
      y0: Number(keys.ProjFalseNorthingGeoKey ?? 0),
    };
    const def = matchTm(p, familyFromName(String(keys.GTCitationGeoKey ?? keys.PCSCitationGeoKey ?? '')));
    return def ? fromDef(def, 'parameters') : custom('custom transverse Mercator', datum, tmProj4(p), false);
  }
  throw new GreenmineError('CRS_MISSING', `${source}: the GeoKeys name no coordinate system; give one explicitly`, { file: source });
}

function requireDef(epsg: number, source: string): CrsDef {
  const def = lookupEpsg(epsg);
  if (!def) throw new GreenmineError('CRS_UNKNOWN_EPSG', `${source}: EPSG:${epsg} is not one of the coordinate systems greenmine ships`, { file: source });
  return def;
}
