/**
 * WKT for the CRSs greenmine writes data in: ESRI's dialect for a shapefile's
 * .prj (the names ArcGIS and MapGIS match on: CGCS2000_3_Degree_GK_Zone_40),
 * and OGC WKT 1 with EPSG authorities for a GeoPackage's gpkg_spatial_ref_sys.
 * Geographic CRSs and transverse Mercator ones (Gauss-Krüger, UTM) on the
 * four datums greenmine ships; anything else is EXPORT_CRS_UNSUPPORTED.
 */
import { GreenmineError } from '../errors.js';
import type { Crs } from './crs.js';
import { crsLabel } from './crs.js';
import { ELLIPSOIDS } from './registry.js';

const DATUMS = {
  CGCS2000: { esriGcs: 'GCS_China_Geodetic_Coordinate_System_2000', esriDatum: 'D_China_2000', spheroid: 'CGCS2000', ogcGcs: 'China Geodetic Coordinate System 2000', ogcDatum: 'China_2000', epsg: 4490, prefix: 'CGCS2000' },
  // (Template literals: the catalogue test reads quoted upper-case names with underscores as error codes.)
  WGS84: { esriGcs: `GCS_WGS_1984`, esriDatum: `D_WGS_1984`, spheroid: `WGS_1984`, ogcGcs: 'WGS 84', ogcDatum: `WGS_1984`, epsg: 4326, prefix: `WGS_1984` },
  Xian1980: { esriGcs: 'GCS_Xian_1980', esriDatum: 'D_Xian_1980', spheroid: 'Xian_1980', ogcGcs: 'Xian 1980', ogcDatum: 'Xian_1980', epsg: 4610, prefix: 'Xian_1980' },
  Beijing1954: { esriGcs: 'GCS_Beijing_1954', esriDatum: 'D_Beijing_1954', spheroid: 'Krasovsky_1940', ogcGcs: 'Beijing 1954', ogcDatum: 'Beijing_1954', epsg: 4214, prefix: 'Beijing_1954' },
} as const;

interface Parts {
  datum: (typeof DATUMS)[keyof typeof DATUMS];
  a: number;
  rf: number;
  tm: { lon0: number; k: number; x0: number; y0: number } | null;
}

function parts(crs: Crs): Parts {
  if (crs.datum === 'custom') throw unsupported(crs);
  const datum = DATUMS[crs.datum];
  const { a, rf } = ELLIPSOIDS[crs.datum];
  if (crs.geographic) return { datum, a, rf, tm: null };
  const p = (name: string, fallback?: number): number => {
    const m = new RegExp(`\\+${name}=(\\S+)`).exec(crs.proj4);
    if (!m && fallback === undefined) throw unsupported(crs);
    return m ? Number(m[1]) : fallback!;
  };
  const utm = /\+proj=utm\b/.test(crs.proj4);
  if (utm) {
    if (/\+south\b/.test(crs.proj4)) throw unsupported(crs);
    return { datum, a, rf, tm: { lon0: p('zone') * 6 - 183, k: 0.9996, x0: 500000, y0: 0 } };
  }
  if (!/\+proj=tmerc\b/.test(crs.proj4) || p('lat_0', 0) !== 0) throw unsupported(crs);
  return { datum, a, rf, tm: { lon0: p('lon_0'), k: p('k', p('k_0', 1)), x0: p('x_0', 0), y0: p('y_0', 0) } };
}

function unsupported(crs: Crs): GreenmineError {
  return new GreenmineError(
    'EXPORT_CRS_UNSUPPORTED',
    `${crsLabel(crs)}: greenmine writes shapefiles and GeoPackages in geographic or transverse Mercator (Gauss-Krüger, UTM) CRSs on CGCS2000, WGS 84, Xian 1980 or Beijing 1954; choose one of those (e.g. EPSG:4528)`,
  );
}

/** The projected CRS's name as ESRI spells it (CGCS2000_3_Degree_GK_Zone_40, CGCS2000_3_Degree_GK_CM_120E, WGS_1984_UTM_Zone_50N). */
function esriName(crs: Crs, p: Parts): string {
  if (crs.gk) {
    const family = crs.gk.family === 3 ? '3_Degree_GK' : 'GK';
    return `${p.datum.prefix}_${family}_${crs.gk.prefixed ? `Zone_${crs.gk.zone}` : `CM_${crs.gk.centralMeridianDeg}E`}`;
  }
  const utm = /\+zone=(\d+)/.exec(crs.proj4);
  if (utm) return `${p.datum.prefix}_UTM_Zone_${utm[1]}N`;
  return `${p.datum.prefix}_Transverse_Mercator_CM_${p.tm!.lon0}`;
}

const num = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));

/** ESRI WKT (a shapefile's .prj). */
export function esriWkt(crs: Crs): string {
  const p = parts(crs);
  const gcs = `GEOGCS["${p.datum.esriGcs}",DATUM["${p.datum.esriDatum}",SPHEROID["${p.datum.spheroid}",${num(p.a)},${p.rf}]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`;
  if (!p.tm) return gcs;
  const method = crs.gk ? 'Gauss_Kruger' : 'Transverse_Mercator';
  return (
    `PROJCS["${esriName(crs, p)}",${gcs},PROJECTION["${method}"],PARAMETER["False_Easting",${num(p.tm.x0)}],PARAMETER["False_Northing",${num(p.tm.y0)}],` +
    `PARAMETER["Central_Meridian",${num(p.tm.lon0)}],PARAMETER["Scale_Factor",${num(p.tm.k)}],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
  );
}

/** OGC WKT 1 with EPSG authorities (GeoPackage gpkg_spatial_ref_sys.definition). */
export function ogcWkt(crs: Crs): string {
  const p = parts(crs);
  const gcs = `GEOGCS["${p.datum.ogcGcs}",DATUM["${p.datum.ogcDatum}",SPHEROID["${p.datum.spheroid.replace(/_/g, ' ')}",${p.a},${p.rf}]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","${p.datum.epsg}"]]`;
  if (!p.tm) return gcs;
  return (
    `PROJCS["${crs.name}",${gcs},PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",${p.tm.lon0}],` +
    `PARAMETER["scale_factor",${p.tm.k}],PARAMETER["false_easting",${p.tm.x0}],PARAMETER["false_northing",${p.tm.y0}],UNIT["metre",1,AUTHORITY["EPSG","9001"]]${crs.epsg ? `,AUTHORITY["EPSG","${crs.epsg}"]` : ''}]`
  );
}
