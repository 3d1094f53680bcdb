/**
 * Gauss-Krüger conventions of Chinese survey coordinates: X is the northing, Y
 * the easting; an 8-digit easting (40495814.07) carries its zone number (40)
 * in front of the 500 000 m false easting. 3° zones are numbered 25–45 in
 * China, 6° zones 13–23, so the prefix alone tells the zone width.
 */
import { GreenmineError } from '../errors.js';
import { type Crs, crsFromEpsg, crsLabel, type Datum } from './crs.js';
import { findGk } from './registry.js';
import { createTransform } from './transform.js';

/** Zhejiang province, [minLon, minLat, maxLon, maxLat] (118°01′–123°10′E, 27°02′–31°11′N). */
export const ZHEJIANG_BBOX: [number, number, number, number] = [118.0, 27.0, 123.2, 31.2];

export interface GkOptions {
  datum?: Datum;
  /** Zone number named by the user: 25–45 (3°) or 13–23 (6°). */
  zone?: number;
  /** Central meridian and zone width when the source states them (e.g. a table header). */
  centralMeridianDeg?: number;
  family?: 3 | 6;
  /** Region used to list candidate zones for prefix-free eastings. */
  regionBbox?: [number, number, number, number];
  source?: string;
}

export function familyOfZone(zone: number): 3 | 6 | null {
  if (zone >= 25 && zone <= 45) return 3;
  if (zone >= 13 && zone <= 23) return 6;
  return null;
}

/** The zone number carried by a prefixed easting, or null when the easting has no prefix. */
export function zonePrefix(eastingM: number): number | null {
  return Math.abs(eastingM) >= 1e6 ? Math.floor(eastingM / 1e6) : null;
}

function resolved(datum: Datum, family: 3 | 6, cm: number, prefixed: boolean, source: string): Crs {
  const def = findGk(datum, family, cm, prefixed);
  if (!def) {
    throw new GreenmineError('CRS_UNSUPPORTED', `${source}: no ${datum} ${family}° Gauss-Krüger CRS with central meridian ${cm}° is shipped`, { file: source });
  }
  return crsFromEpsg(def.epsg);
}

/**
 * The Gauss-Krüger CRS of a set of eastings: from their zone prefix, else from
 * the zone or central meridian the user or the source names. A prefix-free
 * easting without either is ambiguous and refused (CRS_ZONE_AMBIGUOUS), with
 * the candidate zones whose area contains the points.
 */
export function detectGkCrs(eastingsM: ArrayLike<number>, northingsM: ArrayLike<number>, options: GkOptions = {}): Crs {
  const source = options.source ?? 'coordinates';
  const datum = options.datum ?? 'CGCS2000';
  if (eastingsM.length === 0) throw new GreenmineError('LICENSE_EMPTY', `${source}: no coordinates`, { file: source });
  const prefixes = new Set<number | null>();
  for (let i = 0; i < eastingsM.length; i++) prefixes.add(zonePrefix(eastingsM[i]!));
  if (prefixes.size > 1) {
    throw new GreenmineError('GK_MIXED_ZONES', `${source}: eastings carry different zone prefixes (${[...prefixes].map((z) => z ?? 'none').join(', ')}); every corner of one license must be in one zone`, { file: source });
  }
  const prefix = [...prefixes][0]!;
  if (prefix !== null) {
    const family = familyOfZone(prefix);
    if (!family) {
      throw new GreenmineError('GK_BAD_ZONE_PREFIX', `${source}: easting ${eastingsM[0]} carries zone prefix ${prefix}, which is neither a 3° zone (25–45) nor a 6° zone (13–23) in China`, { file: source });
    }
    if (options.zone !== undefined && options.zone !== prefix) {
      throw new GreenmineError('GK_ZONE_MISMATCH', `${source}: the eastings carry zone ${prefix} but zone ${options.zone} was named`, { file: source });
    }
    return resolved(datum, family, family === 3 ? prefix * 3 : prefix * 6 - 3, true, source);
  }
  if (options.zone !== undefined) {
    const family = familyOfZone(options.zone);
    if (!family) throw new GreenmineError('GK_BAD_ZONE', `zone ${options.zone} is neither a 3° zone (25–45) nor a 6° zone (13–23)`, { file: source });
    return resolved(datum, family, family === 3 ? options.zone * 3 : options.zone * 6 - 3, false, source);
  }
  if (options.centralMeridianDeg !== undefined) {
    const family = options.family ?? (options.centralMeridianDeg % 3 === 0 ? 3 : 6);
    return resolved(datum, family, options.centralMeridianDeg, false, source);
  }
  const candidates = candidateZones(eastingsM[0]!, northingsM[0]!, datum, options.regionBbox ?? ZHEJIANG_BBOX);
  throw new GreenmineError(
    'CRS_ZONE_AMBIGUOUS',
    `${source}: easting ${eastingsM[0]} has no zone prefix, so its zone is ambiguous` +
      (candidates.length ? `; candidates: ${candidates.map((c) => `${crsLabel(c)} (${c.name})`).join(', ')}` : '') +
      '. Name the zone or the CRS (the zone or crs option: `greenmine license --zone 40`, `licenseOptions.zone` in a manifest)',
    { file: source },
  );
}

/** The prefix-free GK systems (3° first) in which the point lands inside the region. */
export function candidateZones(eastingM: number, northingM: number, datum: Datum, region: [number, number, number, number]): Crs[] {
  const out: Crs[] = [];
  const geographic = crsFromEpsg(4490);
  for (const family of [3, 6] as const) {
    for (let cm = 75; cm <= 135; cm += family) {
      const def = findGk(datum, family, cm, false);
      if (!def) continue;
      const crs = crsFromEpsg(def.epsg);
      let lonLat: [number, number];
      try {
        lonLat = createTransform({ ...crs, datum: 'CGCS2000' }, geographic).point(eastingM, northingM);
      } catch {
        continue;
      }
      const [lon, lat] = lonLat;
      if (lon >= region[0] && lon <= region[2] && lat >= region[1] && lat <= region[3]) out.push(crs);
    }
  }
  return out;
}
