/**
 * The coordinate systems greenmine ships, generated from the EPSG numbering
 * rules rather than typed out one by one (the ranges are regular: a code range
 * per datum × zone width × prefix convention).
 */

export type Datum = 'CGCS2000' | 'WGS84' | 'Xian1980' | 'Beijing1954' | 'custom';

export interface GaussKruger {
  /** Zone width in degrees. */
  family: 3 | 6;
  /** Zone number (3°: 25–45 in China, 6°: 13–23). */
  zone: number;
  centralMeridianDeg: number;
  /** Whether the false easting carries the zone number (x_0 = zone·10⁶ + 500 000). */
  prefixed: boolean;
}

export interface CrsDef {
  epsg: number;
  name: string;
  datum: Datum;
  geographic: boolean;
  /** proj4 definition, with no datum shift (greenmine decides on datum shifts itself). */
  proj4: string;
  gk: GaussKruger | null;
  /** Area of use, [minLon, minLat, maxLon, maxLat] in degrees. */
  areaOfUse: [number, number, number, number];
}

export const ELLIPSOIDS: Record<Exclude<Datum, 'custom'>, { proj4: string; a: number; rf: number }> = {
  CGCS2000: { proj4: '+ellps=GRS80', a: 6378137, rf: 298.257222101 },
  WGS84: { proj4: '+datum=WGS84', a: 6378137, rf: 298.257223563 },
  Xian1980: { proj4: '+a=6378140 +rf=298.257', a: 6378140, rf: 298.257 },
  Beijing1954: { proj4: '+ellps=krass', a: 6378245, rf: 298.3 },
};

const DATUM_LABEL: Record<Exclude<Datum, 'custom'>, string> = {
  CGCS2000: 'CGCS2000',
  WGS84: 'WGS 84',
  Xian1980: 'Xian 1980',
  Beijing1954: 'Beijing 1954',
};

/** China's extent, used as the latitude range of every Chinese projected CRS. */
const CHINA_LAT: [number, number] = [16, 54];

const registry = new Map<number, CrsDef>();

function addGeographic(epsg: number, datum: Exclude<Datum, 'custom'>, areaOfUse: CrsDef['areaOfUse']): void {
  registry.set(epsg, {
    epsg,
    name: DATUM_LABEL[datum],
    datum,
    geographic: true,
    proj4: `+proj=longlat ${ELLIPSOIDS[datum].proj4} +no_defs`,
    gk: null,
    areaOfUse,
  });
}

/**
 * One Gauss-Krüger range: `count` consecutive codes starting at `firstEpsg`,
 * zones `firstZone…` (prefixed) or central meridians `firstCm…` (not prefixed).
 */
function addGkRange(firstEpsg: number, datum: Exclude<Datum, 'custom'>, family: 3 | 6, prefixed: boolean): void {
  const count = family === 3 ? 21 : 11;
  const firstZone = family === 3 ? 25 : 13;
  for (let i = 0; i < count; i++) {
    const zone = firstZone + i;
    const cm = family === 3 ? zone * 3 : zone * 6 - 3;
    const x0 = prefixed ? zone * 1e6 + 500000 : 500000;
    const label = family === 3 ? '3-degree Gauss-Kruger' : 'Gauss-Kruger';
    const half = family / 2;
    registry.set(firstEpsg + i, {
      epsg: firstEpsg + i,
      name: `${DATUM_LABEL[datum]} / ${label} ${prefixed ? `zone ${zone}` : `CM ${cm}E`}`,
      datum,
      geographic: false,
      proj4: `+proj=tmerc +lat_0=0 +lon_0=${cm} +k=1 +x_0=${x0} +y_0=0 ${ELLIPSOIDS[datum].proj4} +units=m +no_defs`,
      gk: { family, zone, centralMeridianDeg: cm, prefixed },
      areaOfUse: [cm - half, CHINA_LAT[0], cm + half, CHINA_LAT[1]],
    });
  }
}

addGeographic(4490, 'CGCS2000', [73, 16, 135, 54]);
addGeographic(4610, 'Xian1980', [73, 16, 135, 54]);
addGeographic(4214, 'Beijing1954', [73, 16, 135, 54]);
addGeographic(4326, 'WGS84', [-180, -90, 180, 90]);

addGkRange(4491, 'CGCS2000', 6, true);
addGkRange(4502, 'CGCS2000', 6, false);
addGkRange(4513, 'CGCS2000', 3, true);
addGkRange(4534, 'CGCS2000', 3, false);
addGkRange(2327, 'Xian1980', 6, true);
addGkRange(2338, 'Xian1980', 6, false);
addGkRange(2349, 'Xian1980', 3, true);
addGkRange(2370, 'Xian1980', 3, false);
addGkRange(2401, 'Beijing1954', 3, true);
addGkRange(2422, 'Beijing1954', 3, false);
addGkRange(21413, 'Beijing1954', 6, true);
addGkRange(21473, 'Beijing1954', 6, false);

// WGS 84 / UTM zones over China (43–53 N).
for (let zone = 43; zone <= 53; zone++) {
  const cm = zone * 6 - 183;
  registry.set(32600 + zone, {
    epsg: 32600 + zone,
    name: `WGS 84 / UTM zone ${zone}N`,
    datum: 'WGS84',
    geographic: false,
    proj4: `+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs`,
    gk: null,
    areaOfUse: [cm - 3, 0, cm + 3, 84],
  });
}

/** The shipped definition for an EPSG code, or undefined. */
export function lookupEpsg(epsg: number): CrsDef | undefined {
  return registry.get(epsg);
}

/** Every shipped definition (for matching parsed definitions to a code). */
export function allDefs(): IterableIterator<CrsDef> {
  return registry.values();
}

/** The EPSG code of a Gauss-Krüger CRS by datum, zone width, zone or central meridian, and prefix. */
export function findGk(datum: Datum, family: 3 | 6, centralMeridianDeg: number, prefixed: boolean): CrsDef | undefined {
  for (const def of registry.values()) {
    if (def.gk && def.datum === datum && def.gk.family === family && def.gk.prefixed === prefixed && Math.abs(def.gk.centralMeridianDeg - centralMeridianDeg) < 1e-9) {
      return def;
    }
  }
  return undefined;
}
