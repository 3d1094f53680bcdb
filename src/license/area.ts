/**
 * License areas: geodesic polygon area on the license datum's ellipsoid
 * (GeographicLib, Karney 2013; holes subtracted) and planar area in the
 * license's Gauss-Krüger zone (shoelace).
 */
import geodesic from 'geographiclib-geodesic';
import { type Crs, createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import { ELLIPSOIDS, findGk } from '../crs/registry.js';
import { GreenmineError } from '../errors.js';
import { ringArea2 } from './geometry.js';
import type { License } from './model.js';

export interface LicenseArea {
  /** Geodesic area on the ellipsoid, m². */
  ellipsoidalM2: number;
  /** Area in the Gauss-Krüger plane, m². */
  planarM2: number;
  /** The CRS the planar area was computed in. */
  planarCrs: string;
  /** The ellipsoid of the ellipsoidal area. */
  ellipsoid: string;
  /** [minLon, minLat, maxLon, maxLat] on the license's datum. */
  bboxLonLat: [number, number, number, number];
}

const geodesics = new Map<string, InstanceType<typeof geodesic.Geodesic.Geodesic>>();

function geodesicFor(datum: Crs['datum']): { g: InstanceType<typeof geodesic.Geodesic.Geodesic>; name: string } {
  const key = datum === 'custom' || datum === 'WGS84' ? 'CGCS2000' : datum;
  const e = ELLIPSOIDS[key];
  let g = geodesics.get(key);
  if (!g) {
    g = new geodesic.Geodesic.Geodesic(e.a, 1 / e.rf);
    geodesics.set(key, g);
  }
  const name = key === 'CGCS2000' ? (datum === 'WGS84' ? 'CGCS2000 (≈ WGS 84)' : 'CGCS2000') : key === 'Xian1980' ? 'IAG 1975 (Xian 1980)' : 'Krassowsky 1940 (Beijing 1954)';
  return { g, name };
}

/** The geographic CRS on the license's own datum (no datum shift is needed to measure area). */
function geographicOf(crs: Crs): Crs {
  if (crs.geographic) return crs;
  const epsg = crs.datum === 'Xian1980' ? 4610 : crs.datum === 'Beijing1954' ? 4214 : 4490;
  const geo = crsFromEpsg(epsg);
  if (crs.datum !== 'custom' && crs.datum !== 'WGS84') return geo;
  // WGS 84 and custom projected CRSs are measured on their own ellipsoid.
  const ellipsoid = crs.proj4.split(/\s+/).filter((t) => /^\+(ellps|datum|a|b|rf)=/.test(t));
  return { ...geo, datum: crs.datum, proj4: `+proj=longlat ${ellipsoid.join(' ')} +no_defs` };
}

/** The Gauss-Krüger CRS (3°, no prefix) whose central meridian is nearest to `lonDeg`. */
export function gkZoneFor(lonDeg: number, datum: Crs['datum']): Crs {
  const cm = Math.round(lonDeg / 3) * 3;
  const def = findGk(datum === 'WGS84' || datum === 'custom' ? 'CGCS2000' : datum, 3, cm, false);
  if (!def) throw new GreenmineError('CRS_UNSUPPORTED', `no 3° Gauss-Krüger zone for longitude ${lonDeg.toFixed(3)}° (China only)`);
  return crsFromEpsg(def.epsg);
}

const cache = new WeakMap<License, LicenseArea>();

/** Areas and bbox of a license (cached per license object: licenses are not modified after loading). */
export function licenseArea(license: License): LicenseArea {
  let area = cache.get(license);
  if (!area) {
    area = computeArea(license);
    cache.set(license, area);
  }
  return area;
}

function computeArea(license: License): LicenseArea {
  const { g, name } = geodesicFor(license.crs.datum);
  const geo = geographicOf(license.crs);
  const toGeo = license.crs.geographic ? null : createTransform(license.crs, geo);
  const bbox: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const lonLatRings: Float64Array[][] = [];
  let ellipsoidalM2 = 0;
  for (const block of license.blocks) {
    const rings: Float64Array[] = [];
    block.rings.forEach((ring, ri) => {
      const ll = toGeo ? new Float64Array(ring.length) : ring;
      if (toGeo) toGeo.flatInto(ring, ll);
      const poly = g.Polygon(false);
      for (let i = 0; i + 3 < ll.length; i += 2) {
        const lon = ll[i]!;
        const lat = ll[i + 1]!;
        poly.AddPoint(lat, lon);
        if (lon < bbox[0]) bbox[0] = lon;
        if (lat < bbox[1]) bbox[1] = lat;
        if (lon > bbox[2]) bbox[2] = lon;
        if (lat > bbox[3]) bbox[3] = lat;
      }
      const a = Math.abs(poly.Compute(false, true).area ?? 0);
      ellipsoidalM2 += ri === 0 ? a : -a;
      rings.push(ll);
    });
    lonLatRings.push(rings);
  }

  let planarCrs = license.crs;
  let planarRings: Float64Array[][] = license.blocks.map((b) => b.rings);
  if (!license.crs.gk) {
    planarCrs = gkZoneFor((bbox[0] + bbox[2]) / 2, license.crs.datum);
    const toPlane = createTransform(geo.datum === planarCrs.datum ? geo : { ...geo, datum: planarCrs.datum }, planarCrs);
    planarRings = lonLatRings.map((rings) =>
      rings.map((ll) => {
        const out = new Float64Array(ll.length);
        toPlane.flatInto(ll, out);
        return out;
      }),
    );
  }
  let planarM2 = 0;
  for (const rings of planarRings) rings.forEach((r, ri) => (planarM2 += ((ri === 0 ? 1 : -1) * Math.abs(ringArea2(r))) / 2));
  return { ellipsoidalM2, planarM2, planarCrs: crsLabel(planarCrs), ellipsoid: name, bboxLonLat: bbox };
}
