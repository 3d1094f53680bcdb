/**
 * A coordinate reference system as greenmine uses it: a proj4 definition plus
 * what it means (datum, Gauss-Krüger zone, area of use) and how it was
 * recognised. Definitions are read from EPSG codes, proj4 strings, OGC/ESRI WKT
 * and GeoTIFF GeoKeys, and resolved to a shipped EPSG code whenever the
 * parameters match one.
 */
import { GreenmineError } from '../errors.js';
import { indexedCrs } from './epsg-index.js';
import { allDefs, type CrsDef, type Datum, ELLIPSOIDS, findGk, type GaussKruger, lookupEpsg } from './registry.js';
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

/**
 * A CRS by EPSG code: the shipped definitions first (exact handling of the
 * Chinese systems), then the EPSG database (epsg-index); CRS_UNKNOWN_EPSG when
 * neither knows the code.
 */
export function crsFromEpsg(epsg: number, source = 'EPSG code'): Crs {
  const def = lookupEpsg(epsg);
  if (def) return fromDef(def, 'epsg');
  const indexed = indexedCrs(epsg, source);
  if (indexed) return { ...indexed, gk: null, resolvedBy: 'epsg' };
  throw new GreenmineError('CRS_UNKNOWN_EPSG', `${source}: EPSG:${epsg} is not in the EPSG database; give its proj4 string or WKT instead`, { file: source });
}

/** The projection method of a CRS as proj4 names it (longlat, tmerc, utm, merc, lcc…). */
export function crsProjection(crs: Crs): string {
  return /\+proj=(\S+)/.exec(crs.proj4)?.[1] ?? (crs.geographic ? 'longlat' : 'unknown');
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
  if (typeof input === 'number') return withShift(crsFromEpsg(input, source));
  const text = input.trim().replace(/^\uFEFF/, '');
  if (!text) throw new GreenmineError('CRS_EMPTY', `${source}: the CRS definition is empty`, { file: source });
  const code = /^(?:EPSG:{1,2}|urn:ogc:def:crs:EPSG:[\d.]*:)?(\d{4,5})$/i.exec(text);
  if (code) return withShift(crsFromEpsg(Number(code[1]), source));
  if (/^(?:urn:ogc:def:crs:OGC:[\d.]*:)?CRS84$/i.test(text)) return withShift(crsFromEpsg(4326));
  if (text.startsWith('+')) return withShift(parseProj4(text, source));
  if (/^[A-Z_0-9]+\s*[[(]/i.test(text)) return withShift(crsFromWkt(parseWkt(text, source), source));
  throw new GreenmineError('CRS_UNRECOGNISED', `${source}: cannot read "${text.slice(0, 80)}" as a CRS: expected EPSG:n, a proj4 string (+proj=…) or WKT`, { file: source });
}

function checkTowgs84(values: number[], source: string): number[] {
  if ((values.length !== 3 && values.length !== 7) || !values.every(Number.isFinite)) {
    throw new GreenmineError('CRS_BAD_TOWGS84', `${source}: a datum shift needs 3 or 7 finite numbers (dx,dy,dz[,rx,ry,rz,ds] as in proj4 +towgs84), got ${JSON.stringify(values)}`);
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
    return def?.proj4.includes(`+zone=${zone}`) && zone * 6 - 183 === p.lon0 ? def : undefined;
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

/** The ellipsoid in proj4 terms: a named datum's, or +a with +rf (+b for a sphere, whose rf is infinite). */
function ellipsoidProj4(datum: Datum, a: number, rf: number): string {
  if (datum !== 'custom') return ELLIPSOIDS[datum].proj4;
  return Number.isFinite(rf) ? `+a=${a} +rf=${rf}` : `+a=${a} +b=${a}`;
}

function tmProj4(p: TmParams): string {
  return `+proj=tmerc +lat_0=${p.lat0} +lon_0=${p.lon0} +k=${p.k} +x_0=${p.x0} +y_0=${p.y0} ${ellipsoidProj4(p.datum, p.a, p.rf)} +units=m +no_defs`;
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

/** The proj4 parameters greenmine reads; any other is refused by name rather than ignored. */
const PROJ4_KEYS = new Set(['proj', 'ellps', 'datum', 'a', 'b', 'rf', 'f', 'es', 'e', 'R', 'lat_0', 'lon_0', 'k', 'k_0', 'x_0', 'y_0', 'zone', 'south', 'units', 'to_meter', 'towgs84', 'no_defs', 'type', 'wktext', 'algo', 'approx']);
const PROJ4_DATUMS: Record<string, string> = { WGS84: 'WGS84' };

/** A proj4 number: finite, or CRS_PROJ4_SYNTAX naming the parameter. */
function proj4Number(params: Map<string, string>, key: string, source: string): number | undefined {
  const v = params.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new GreenmineError('CRS_PROJ4_SYNTAX', `${source}: +${key}=${v} is not a number`, { file: source });
  return n;
}

/**
 * The ellipsoid of a proj4 string as PROJ reads it: +R (sphere), else +ellps
 * or +datum for the defaults, +a overriding the semi-major axis, and the shape
 * from the first of +rf, +f, +es, +e, +b (PROJ's order). Impossible values
 * (a ≤ 0, rf ≤ 1, f, es or e outside [0, 1), b outside (0, a]) are refused as PROJ refuses them.
 */
function proj4Ellipsoid(params: Map<string, string>, source: string): { a: number; rf: number } {
  const bad = (key: string, why: string): never => {
    throw new GreenmineError('CRS_PROJ4_INVALID', `${source}: +${key}=${params.get(key)} ${why}; PROJ refuses this definition`, { file: source });
  };
  const R = proj4Number(params, 'R', source);
  if (R !== undefined) {
    if (!(R > 0)) bad('R', 'is not a positive radius');
    return { a: R, rf: Infinity };
  }
  let a: number | undefined;
  let rf: number | undefined;
  const ellps = params.get('ellps');
  const datumName = params.get('datum');
  if (datumName !== undefined && PROJ4_DATUMS[datumName] === undefined) {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: +datum=${datumName} is not supported (WGS84; for other datums give +ellps or +a/+rf and +towgs84)`, { file: source });
  }
  const named = ellps ?? (datumName ? PROJ4_DATUMS[datumName] : undefined);
  if (named !== undefined) {
    const e = PROJ4_ELLIPSOIDS[named];
    if (!e) throw new GreenmineError('CRS_UNSUPPORTED', `${source}: ellipsoid +ellps=${named} is not supported (GRS80, WGS84, krass, IAU76, or +a/+rf)`, { file: source });
    ({ a, rf } = e);
  }
  const aGiven = proj4Number(params, 'a', source);
  if (aGiven !== undefined) {
    if (!(aGiven > 0)) bad('a', 'is not a positive semi-major axis');
    a = aGiven;
  }
  if (a === undefined) throw new GreenmineError('CRS_UNSUPPORTED', `${source}: the proj4 string names no ellipsoid (+ellps, +datum, +R or +a with +rf/+f/+b)`, { file: source });
  const rfGiven = proj4Number(params, 'rf', source);
  const f = proj4Number(params, 'f', source);
  const es = proj4Number(params, 'es', source);
  const e = proj4Number(params, 'e', source);
  const b = proj4Number(params, 'b', source);
  if (rfGiven !== undefined) {
    if (!(rfGiven > 1)) bad('rf', 'is not an inverse flattening greater than 1');
    rf = rfGiven;
  } else if (f !== undefined) {
    if (!(f >= 0 && f < 1)) bad('f', 'is not a flattening in [0, 1)');
    rf = f === 0 ? Infinity : 1 / f;
  } else if (es !== undefined) {
    if (!(es >= 0 && es < 1)) bad('es', 'is not an eccentricity squared in [0, 1)');
    rf = es === 0 ? Infinity : 1 / (1 - Math.sqrt(1 - es));
  } else if (e !== undefined) {
    if (!(e >= 0 && e < 1)) bad('e', 'is not an eccentricity in [0, 1)');
    rf = e === 0 ? Infinity : 1 / (1 - Math.sqrt(1 - e * e));
  } else if (b !== undefined) {
    if (!(b > 0 && b <= a)) bad('b', `is not a semi-minor axis in (0, a=${a}]`);
    rf = b === a ? Infinity : a / (a - b);
  }
  if (rf === undefined) throw new GreenmineError('CRS_UNSUPPORTED', `${source}: the proj4 string gives +a but no shape (+rf, +f, +es, +e or +b)`, { file: source });
  return { a, rf };
}

function parseProj4(text: string, source: string): Crs {
  const params = new Map<string, string>();
  for (const token of text.split(/\s+/)) {
    const m = /^\+([A-Za-z_0-9]+)(?:=(.*))?$/.exec(token);
    if (!m) throw new GreenmineError('CRS_PROJ4_SYNTAX', `${source}: "${token}" is not a +key=value proj4 parameter`, { file: source });
    if (!PROJ4_KEYS.has(m[1]!)) {
      throw new GreenmineError('CRS_UNSUPPORTED', `${source}: the proj4 parameter +${m[1]} is not supported; greenmine refuses it rather than ignore it`, { file: source });
    }
    if (params.has(m[1]!)) throw new GreenmineError('CRS_PROJ4_SYNTAX', `${source}: +${m[1]} is given twice`, { file: source });
    params.set(m[1]!, m[2] ?? '');
  }
  const num = (key: string, fallback: number): number => proj4Number(params, key, source) ?? fallback;
  const { a, rf } = proj4Ellipsoid(params, source);
  const datum = datumFromEllipsoid(a, rf);
  const units = params.get('units');
  if (units !== undefined && units !== 'm') {
    throw new GreenmineError('CRS_UNSUPPORTED_UNIT', `${source}: +units=${units}: greenmine works in metres; reproject the data first`, { file: source });
  }
  const toMeter = proj4Number(params, 'to_meter', source);
  if (toMeter !== undefined) {
    if (!(toMeter > 0)) throw new GreenmineError('CRS_PROJ4_INVALID', `${source}: +to_meter=${params.get('to_meter')} is not a positive factor; PROJ refuses this definition`, { file: source });
    if (toMeter !== 1) throw new GreenmineError('CRS_UNSUPPORTED_UNIT', `${source}: +to_meter=${toMeter}: greenmine works in metres; reproject the data first`, { file: source });
  }
  const algo = params.get('algo');
  if (algo !== undefined && !['poder_engsager', 'evenden_snyder', 'auto'].includes(algo)) {
    throw new GreenmineError('CRS_PROJ4_INVALID', `${source}: +algo=${algo} is not a transverse Mercator algorithm (poder_engsager, evenden_snyder, auto)`, { file: source });
  }
  // The approximate series (Evenden–Snyder): proj4 computes it with +approx; such a CRS is never taken for an EPSG one.
  const approx = params.has('approx') || algo === 'evenden_snyder';
  const towgs84 = params.has('towgs84') ? params.get('towgs84')!.split(',').map(Number) : null;
  const proj = params.get('proj');
  let crs: Crs;
  if (proj === 'longlat' || proj === 'latlong') {
    const def = [...allDefs()].find((d) => d.geographic && d.datum === datum);
    crs = def ? fromDef(def, 'parameters') : custom('custom geographic', datum, `+proj=longlat ${ellipsoidProj4(datum, a, rf)} +no_defs`, true);
  } else if (proj === 'tmerc' || proj === 'etmerc' || proj === 'utm') {
    const zone = num('zone', NaN);
    if (proj === 'utm' && !(Number.isInteger(zone) && zone >= 1 && zone <= 60)) throw new GreenmineError('CRS_PROJ4_INVALID', `${source}: +zone=${params.get('zone') ?? '(none)'} is not a UTM zone (1–60)`, { file: source });
    const p: TmParams =
      proj === 'utm'
        ? { datum, a, rf, lon0: zone * 6 - 183, lat0: 0, k: 0.9996, x0: 500000, y0: params.has('south') ? 10000000 : 0 }
        : { datum, a, rf, lon0: num('lon_0', 0), lat0: num('lat_0', 0), k: num('k', num('k_0', 1)), x0: num('x_0', 0), y0: num('y_0', 0) };
    if (!(p.k > 0)) throw new GreenmineError('CRS_PROJ4_INVALID', `${source}: the scale factor ${p.k} is not positive`, { file: source });
    const def = approx ? undefined : matchTm(p, null);
    crs = def ? fromDef(def, 'parameters') : custom(`custom transverse Mercator${approx ? ' (approximate algorithm)' : ''}`, datum, `${tmProj4(p)}${approx ? ' +approx' : ''}`, false);
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
    const key = nameOf(p)
      .toLowerCase()
      .replace(/[^a-z]/g, '');
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
    throw new GreenmineError('CRS_UNSUPPORTED_UNIT', `${source}: linear unit "${nameOf(unit)}" (${toMetre} m) is not supported; greenmine works in metres: reproject the data first`, { file: source });
  }
  const projection = nameOf(find(root, 'PROJECTION', 'METHOD'))
    .toLowerCase()
    .replace(/[^a-z]/g, '');
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
  if (typeof projected === 'number' && projected !== USER_DEFINED) return crsByCode(projected, source);
  if (model === 2 && typeof geographic === 'number' && geographic !== USER_DEFINED) return crsByCode(geographic, source);
  // GDAL writes a CRS it cannot encode as keys as an ESRI WKT in the citation.
  const citation = String(keys.PCSCitationGeoKey ?? keys.GTCitationGeoKey ?? '');
  const pe = /ESRI PE String\s*=\s*(.*)$/s.exec(citation);
  if (pe) return parseCrs(pe[1]!.trim(), { source: `${source} (ESRI WKT in its citation)` });
  if (projected === USER_DEFINED || model === 1) {
    const units = keys.ProjLinearUnitsGeoKey;
    if (units !== undefined && units !== 9001) {
      const name = units === 9002 ? 'feet' : units === 9003 ? 'US survey feet' : `EPSG unit ${String(units)}`;
      throw new GreenmineError('CRS_UNSUPPORTED_UNIT', `${source}: the projection is in ${name}; greenmine works in metres: reproject it first (gdalwarp -t_srs EPSG:4549)`, { file: source });
    }
    const projection = keys.ProjectionGeoKey;
    if (typeof projection === 'number' && projection !== USER_DEFINED) {
      // EPSG projection codes: 16001–16060 UTM zone N, 16101–16160 UTM zone S.
      const zone = projection % 100;
      const south = projection >= 16101 && projection <= 16160;
      if (!((projection >= 16001 && projection <= 16060) || south)) {
        throw new GreenmineError('CRS_UNSUPPORTED', `${source}: projection EPSG:${projection} (ProjectionGeoKey) is not supported; only UTM zones (16001–16060, 16101–16160) and user-defined transverse Mercator are`, { file: source });
      }
      const geog = typeof geographic === 'number' && geographic !== USER_DEFINED ? geographic : 4326;
      const base = requireDef(geog, source);
      const p: TmParams = {
        datum: base.datum,
        a: ELLIPSOIDS[base.datum as Exclude<Datum, 'custom'>].a,
        rf: ELLIPSOIDS[base.datum as Exclude<Datum, 'custom'>].rf,
        lon0: zone * 6 - 183,
        lat0: 0,
        k: 0.9996,
        x0: 500000,
        y0: south ? 10000000 : 0,
      };
      const def = matchTm(p, null);
      return def ? fromDef(def, 'parameters') : custom(`UTM zone ${zone}${south ? 'S' : 'N'}`, p.datum, tmProj4(p), false);
    }
    const transform = keys.ProjCoordTransGeoKey;
    if (transform !== 1) {
      throw new GreenmineError(
        'CRS_UNSUPPORTED',
        `${source}: a user-defined projection ${transform === undefined ? 'that names no method (neither ProjCoordTransGeoKey nor ProjectionGeoKey)' : `with ProjCoordTransGeoKey=${String(transform)}`} is not supported (transverse Mercator is)`,
        { file: source },
      );
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

/** A CRS by code from GeoKeys: shipped or from the EPSG database. */
function crsByCode(epsg: number, source: string): Crs {
  return crsFromEpsg(epsg, source);
}
