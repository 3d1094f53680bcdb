import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { candidateZones, createTransform, crsFromEpsg, crsFromGeoKeys, detectGkCrs, fromWgs84, lookupEpsg, parseCrs, toWgs84, ZHEJIANG_BBOX } from '../src/crs/index.js';
import { GreenmineError } from '../src/errors.js';

const expected = JSON.parse(readFileSync(new URL('../fixtures/scene-a/EXPECTED.json', import.meta.url), 'utf8')) as {
  proj: Array<Record<string, number | [number, number]>>;
};

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GreenmineError);
    return (err as GreenmineError).code;
  }
  throw new Error('expected a GreenmineError');
}

describe('shipped definitions agree with PROJ', () => {
  const targets = Object.keys(expected.proj[0]!).filter((k) => k.startsWith('EPSG:'));
  it('covers the reference targets', () => {
    expect(targets.length).toBeGreaterThanOrEqual(8);
    expect(expected.proj.length).toBe(60);
  });
  for (const target of targets) {
    it(`CGCS2000 lon/lat ↔ ${target} within 1 mm`, () => {
      const geographic = crsFromEpsg(4490);
      const projected = parseCrs(target);
      const fwd = createTransform(geographic, projected);
      const inv = createTransform(projected, geographic);
      let worstM = 0;
      let worstBackM = 0;
      for (const p of expected.proj) {
        const [e, n] = p[target] as [number, number];
        const [x, y] = fwd.point(p.lon as number, p.lat as number);
        worstM = Math.max(worstM, Math.hypot(x - e, y - n));
        const [lon, lat] = inv.point(e, n);
        const dLatM = (lat - (p.lat as number)) * 110_574;
        const dLonM = (lon - (p.lon as number)) * 111_320 * Math.cos(((p.lat as number) * Math.PI) / 180);
        worstBackM = Math.max(worstBackM, Math.hypot(dLatM, dLonM));
      }
      expect(worstM).toBeLessThan(0.001);
      expect(worstBackM).toBeLessThan(0.001);
    });
  }
});

describe('registry', () => {
  it('ships every requested range with the EPSG numbering', () => {
    const cases: Array<[number, string, number, boolean]> = [
      [4491, 'CGCS2000', 75, true],
      [4501, 'CGCS2000', 135, true],
      [4502, 'CGCS2000', 75, false],
      [4513, 'CGCS2000', 75, true],
      [4528, 'CGCS2000', 120, true],
      [4533, 'CGCS2000', 135, true],
      [4534, 'CGCS2000', 75, false],
      [4549, 'CGCS2000', 120, false],
      [4554, 'CGCS2000', 135, false],
      [2327, 'Xian1980', 75, true],
      [2349, 'Xian1980', 75, true],
      [2364, 'Xian1980', 120, true],
      [2385, 'Xian1980', 120, false],
      [2390, 'Xian1980', 135, false],
      [2401, 'Beijing1954', 75, true],
      [2416, 'Beijing1954', 120, true],
      [2442, 'Beijing1954', 135, false],
    ];
    for (const [epsg, datum, cm, prefixed] of cases) {
      const def = lookupEpsg(epsg)!;
      expect(def, `EPSG:${epsg}`).toBeDefined();
      expect(def.datum).toBe(datum);
      expect(def.gk!.centralMeridianDeg).toBe(cm);
      expect(def.gk!.prefixed).toBe(prefixed);
    }
    for (const epsg of [4490, 4326, 32649, 32650, 32651]) expect(lookupEpsg(epsg)).toBeDefined();
    expect(code(() => crsFromEpsg(999999))).toBe('CRS_UNKNOWN_EPSG');
  });

  it('any other EPSG code comes from the EPSG database; units other than metres are refused', () => {
    const merc = crsFromEpsg(3857);
    expect(merc.epsg).toBe(3857);
    expect(merc.name).toBe('WGS 84 / Pseudo-Mercator');
    expect(merc.datum).toBe('WGS84');
    // UTM south and a neighbour's grid (Vietnam VN-2000 carries its datum shift).
    const south = crsFromEpsg(32750);
    const [e, n] = createTransform(crsFromEpsg(4326), south).point(117, -10);
    expect(e).toBeCloseTo(500000, 6);
    expect(n).toBeGreaterThan(8_800_000);
    expect(n).toBeLessThan(9_000_000);
    const [lon, lat] = createTransform(south, crsFromEpsg(4326)).point(e, n);
    expect(lon).toBeCloseTo(117, 9);
    expect(lat).toBeCloseTo(-10, 9);
    // Web Mercator against the closed form (sphere of radius a).
    const [x, y] = createTransform(crsFromEpsg(4326), merc).point(120, 30);
    expect(x).toBeCloseTo((6378137 * 120 * Math.PI) / 180, 4);
    expect(y).toBeCloseTo(6378137 * Math.log(Math.tan(Math.PI / 4 + (30 * Math.PI) / 360)), 4);
    expect(code(() => crsFromEpsg(2263))).toBe('CRS_UNSUPPORTED_UNIT'); // NAD83 / New York Long Island (ftUS)
    expect(code(() => parseCrs('EPSG:2263'))).toBe('CRS_UNSUPPORTED_UNIT');
  });
});

describe('proj strings: every parameter honoured or refused', () => {
  const tm = '+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0';
  // A custom ellipsoid is a custom datum: a null shift given explicitly lets it convert.
  const toGeo = (def: string, e = 600000, n = 3384000): [number, number] => createTransform(parseCrs(`${def} +towgs84=0,0,0`), crsFromEpsg(4326)).point(e, n);

  it('shape parameters after +ellps override it, as in PROJ', () => {
    const grs = toGeo(`${tm} +ellps=GRS80`);
    for (const [extra, a, rf] of [
      ['+rf=300', 6378137, 300],
      ['+f=0.0033333333333333335', 6378137, 300],
      ['+b=6356000', 6378137, 6378137 / (6378137 - 6356000)],
      ['+a=6378245 +rf=298.3', 6378245, 298.3],
    ] as const) {
      const crs = parseCrs(`${tm} +ellps=GRS80 ${extra}`);
      expect(crs.datum, extra).not.toBe('CGCS2000');
      const explicit = toGeo(`${tm} +a=${a} +rf=${rf}`);
      const got = toGeo(`${tm} +ellps=GRS80 ${extra}`);
      expect(got[0]).toBeCloseTo(explicit[0], 12);
      expect(got[1]).toBeCloseTo(explicit[1], 12);
      expect(Math.abs(got[1] - grs[1]) + Math.abs(got[0] - grs[0])).toBeGreaterThan(1e-6);
    }
    // +es and +e give the same ellipsoid as +rf.
    const f = 1 / 298.257222101;
    const es = 2 * f - f * f;
    const viaEs = toGeo(`${tm} +a=6378137 +es=${es}`);
    const viaE = toGeo(`${tm} +a=6378137 +e=${Math.sqrt(es)}`);
    expect(viaEs[1]).toBeCloseTo(grs[1], 10);
    expect(viaE[1]).toBeCloseTo(grs[1], 10);
  });

  it('impossible values are refused as PROJ refuses them', () => {
    for (const bad of ['+to_meter=0', '+ellps=GRS80 +rf=0', '+ellps=GRS80 +e=1', '+ellps=GRS80 +b=0', '+a=0 +rf=298', '+ellps=GRS80 +f=1', '+ellps=GRS80 +es=-0.1', '+ellps=GRS80 +algo=fast']) {
      expect(
        code(() => parseCrs(`${tm} ${bad.includes('ellps') || bad.includes('+a=') ? '' : '+ellps=GRS80 '}${bad}`)),
        bad,
      ).toBe('CRS_PROJ4_INVALID');
    }
  });

  it('units other than the metre and unknown parameters are refused, never ignored', () => {
    expect(code(() => parseCrs(`${tm} +ellps=GRS80 +to_meter=0.3048006096012192`))).toBe('CRS_UNSUPPORTED_UNIT');
    expect(code(() => parseCrs(`${tm} +ellps=GRS80 +units=us-ft`))).toBe('CRS_UNSUPPORTED_UNIT');
    expect(parseCrs(`${tm} +ellps=GRS80 +to_meter=1`).epsg).toBe(4549);
    expect(code(() => parseCrs(`${tm} +ellps=GRS80 +pm=paris`))).toBe('CRS_UNSUPPORTED');
    expect(code(() => parseCrs(`${tm} +ellps=GRS80 +lon_0=121`))).toBe('CRS_PROJ4_SYNTAX');
  });

  it('+algo=evenden_snyder computes the approximate series and is never matched to an EPSG code', () => {
    const exact = parseCrs('+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m');
    expect(exact.epsg).toBe(4528);
    const approx = parseCrs('+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m +algo=evenden_snyder');
    expect(approx.epsg).toBe(null);
    expect(approx.proj4).toContain('+approx');
    // Far from the central meridian the two algorithms part measurably.
    const far = (c: typeof exact): [number, number] => createTransform(crsFromEpsg(4490), c).point(128, 30);
    expect(Math.abs(far(exact)[0] - far(approx)[0]) + Math.abs(far(exact)[1] - far(approx)[1])).toBeGreaterThan(1e-3);
    expect(parseCrs('+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m +algo=poder_engsager').epsg).toBe(4528);
  });
});

describe('parseCrs', () => {
  it('reads EPSG strings in their common spellings', () => {
    for (const s of ['EPSG:4549', 'epsg:4549', 'urn:ogc:def:crs:EPSG::4549', 'urn:ogc:def:crs:EPSG:9.1:4549', '4549']) {
      expect(parseCrs(s).epsg).toBe(4549);
    }
    expect(parseCrs('urn:ogc:def:crs:OGC:1.3:CRS84').epsg).toBe(4326);
  });

  it('resolves proj4 strings to EPSG codes by their parameters', () => {
    const crs = parseCrs('+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m +no_defs');
    expect(crs.epsg).toBe(4528);
    expect(crs.resolvedBy).toBe('parameters');
    expect(parseCrs('+proj=utm +zone=50 +datum=WGS84').epsg).toBe(32650);
    expect(parseCrs('+proj=longlat +ellps=GRS80').epsg).toBe(4490);
    expect(parseCrs('+proj=tmerc +lon_0=120 +x_0=500000 +a=6378140 +rf=298.257').epsg).toBe(2385);
    const odd = parseCrs('+proj=tmerc +lon_0=120.5 +x_0=500000 +ellps=GRS80');
    expect(odd.epsg).toBeNull();
    expect(odd.resolvedBy).toBe('unmatched');
  });

  it('reads the ESRI WKT of Chinese shapefiles', () => {
    const prj = readFileSync(new URL('../fixtures/scene-a/license_shp/license.prj', import.meta.url), 'utf8');
    const crs = parseCrs(prj);
    expect(crs.epsg).toBe(4549);
    expect(crs.resolvedBy).toBe('name');
    const esri = (name: string, datum: string, sph: string, a: number, rf: number, cm: number, fe: number): string =>
      `PROJCS["${name}",GEOGCS["GCS_${datum}",DATUM["D_${datum}",SPHEROID["${sph}",${a},${rf}]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],` +
      `PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",${fe}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",${cm}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`;
    expect(parseCrs(esri('CGCS2000_3_Degree_GK_Zone_40', 'China_2000', 'CGCS2000', 6378137, 298.257222101, 120, 40500000)).epsg).toBe(4528);
    expect(parseCrs(esri('Xian_1980_3_Degree_GK_Zone_40', 'Xian_1980', 'Xian_1980', 6378140, 298.257, 120, 40500000)).epsg).toBe(2364);
    expect(parseCrs(esri('Xian_1980_3_Degree_GK_CM_120E', 'Xian_1980', 'Xian_1980', 6378140, 298.257, 120, 500000)).epsg).toBe(2385);
    expect(parseCrs(esri('Beijing_1954_3_Degree_GK_Zone_41', 'Beijing_1954', 'Krasovsky_1940', 6378245, 298.3, 123, 41500000)).epsg).toBe(2417);
    expect(parseCrs(esri('CGCS2000_GK_CM_117E', 'China_2000', 'CGCS2000', 6378137, 298.257222101, 117, 500000)).epsg).toBe(4509);
    expect(parseCrs(esri('CGCS2000_3_Degree_GK_CM_117E', 'China_2000', 'CGCS2000', 6378137, 298.257222101, 117, 500000)).epsg).toBe(4548);
    // An unnamed definition still resolves by its parameters.
    expect(parseCrs(esri('Custom', 'China_2000', 'CGCS2000', 6378137, 298.257222101, 120, 500000)).resolvedBy).toBe('parameters');
  });

  it('reads OGC WKT1 with AUTHORITY and WKT2 with ID', () => {
    const wkt1 =
      'PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","4528"]]';
    const crs = parseCrs(wkt1);
    expect(crs.epsg).toBe(4528);
    expect(crs.resolvedBy).toBe('authority');
    const wkt2 =
      'PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 120E",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]]],CONVERSION["Gauss-Kruger CM 120E",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Longitude of natural origin",120,ANGLEUNIT["degree",0.0174532925199433]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1]],PARAMETER["False easting",500000,LENGTHUNIT["metre",1]],PARAMETER["False northing",0,LENGTHUNIT["metre",1]]],CS[Cartesian,2],AXIS["northing (X)",north],AXIS["easting (Y)",east],LENGTHUNIT["metre",1]]';
    expect(parseCrs(wkt2).epsg).toBe(4549);
  });

  it('refuses what it cannot read, with a code', () => {
    expect(code(() => parseCrs(''))).toBe('CRS_EMPTY');
    expect(code(() => parseCrs('hello'))).toBe('CRS_UNRECOGNISED');
    expect(code(() => parseCrs('PROJCS["x",GEOGCS['))).toBe('CRS_WKT_SYNTAX');
    expect(code(() => parseCrs('+proj=merc +ellps=GRS80'))).toBe('CRS_UNSUPPORTED');
    expect(code(() => parseCrs('+proj=tmerc +lon_0=120'))).toBe('CRS_UNSUPPORTED');
    expect(code(() => parseCrs('EPSG:4549', { towgs84: [1, 2] }))).toBe('CRS_BAD_TOWGS84');
  });

  it('reads GeoKeys', () => {
    expect(crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 4549 }).epsg).toBe(4549);
    expect(crsFromGeoKeys({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4490 }).epsg).toBe(4490);
    const userDefined = crsFromGeoKeys({
      GTModelTypeGeoKey: 1,
      ProjectedCSTypeGeoKey: 32767,
      ProjCoordTransGeoKey: 1,
      GeographicTypeGeoKey: 4490,
      ProjNatOriginLongGeoKey: 120,
      ProjFalseEastingGeoKey: 40500000,
      ProjScaleAtNatOriginGeoKey: 1,
    });
    expect(userDefined.epsg).toBe(4528);
    expect(code(() => crsFromGeoKeys({}))).toBe('CRS_MISSING');
  });
});

describe('Gauss-Krüger zones', () => {
  it('reads the zone and width from the easting prefix', () => {
    expect(detectGkCrs([40495814.07], [3384139.53]).epsg).toBe(4528);
    expect(detectGkCrs([20495814.07], [3384139.53]).epsg).toBe(4498); // 6° zone 20, CM 117
    expect(detectGkCrs([40495814.07], [3384139.53], { datum: 'Xian1980' }).epsg).toBe(2364);
    expect(code(() => detectGkCrs([24495814.07], [3384139.53]))).toBe('GK_BAD_ZONE_PREFIX');
    expect(code(() => detectGkCrs([40495814.07, 41495814.07], [3384139.53, 3384139.53]))).toBe('GK_MIXED_ZONES');
    expect(code(() => detectGkCrs([40495814.07], [3384139.53], { zone: 41 }))).toBe('GK_ZONE_MISMATCH');
  });

  it('refuses a prefix-free easting in Zhejiang, listing CM 120° and CM 123°', () => {
    let err: GreenmineError | undefined;
    try {
      detectGkCrs([495814.07], [3384139.53]);
    } catch (e) {
      err = e as GreenmineError;
    }
    expect(err?.code).toBe('CRS_ZONE_AMBIGUOUS');
    expect(err?.message).toContain('EPSG:4549');
    expect(err?.message).toContain('EPSG:4550');
    const candidates = candidateZones(495814.07, 3384139.53, 'CGCS2000', ZHEJIANG_BBOX).map((c) => c.gk!.centralMeridianDeg);
    expect(candidates).toContain(120);
    expect(candidates).toContain(123);
    expect(detectGkCrs([495814.07], [3384139.53], { zone: 40 }).epsg).toBe(4549);
    expect(detectGkCrs([495814.07], [3384139.53], { centralMeridianDeg: 120, family: 3 }).epsg).toBe(4549);
  });
});

describe('datums', () => {
  it('refuses Xian 1980 → CGCS2000 without parameters, converts with them', () => {
    const xian = crsFromEpsg(2364);
    const cgcs = crsFromEpsg(4490);
    expect(code(() => createTransform(xian, cgcs))).toBe('CRS_DATUM_SHIFT_REQUIRED');
    expect(code(() => createTransform(cgcs, crsFromEpsg(2401)))).toBe('CRS_DATUM_SHIFT_REQUIRED');
    const shifted = parseCrs('EPSG:2364', { towgs84: [24, -123, -94, 0.02, -0.25, -0.13, 1.1] });
    const [lon, lat] = createTransform(shifted, cgcs).point(40495814.07, 3384139.53);
    const [lon0, lat0] = createTransform(xian, crsFromEpsg(4610)).point(40495814.07, 3384139.53);
    // The shift moves the point by tens of metres, not by nothing and not by kilometres.
    const movedM = Math.hypot((lon - lon0) * 96_000, (lat - lat0) * 110_900);
    expect(movedM).toBeGreaterThan(10);
    expect(movedM).toBeLessThan(1000);
  });

  it('treats CGCS2000 and WGS 84 as one datum', () => {
    const [x, y] = createTransform(crsFromEpsg(4326), crsFromEpsg(4549)).point(119.95636141998442, 30.57754703523602);
    expect(x).toBeCloseTo(495814.07, 3);
    expect(y).toBeCloseTo(3384139.53, 3);
  });
});

describe('GCJ-02 and BD-09', () => {
  it('round-trips to better than 0.1 m across Zhejiang', () => {
    let worstDeg = 0;
    for (let i = 0; i < 200; i++) {
      const lon = 118 + ((i * 37) % 100) * 0.052;
      const lat = 27 + ((i * 53) % 100) * 0.042;
      for (const frame of ['GCJ02', 'BD09'] as const) {
        const [ox, oy] = fromWgs84(frame, lon, lat);
        expect(Math.hypot(ox - lon, oy - lat)).toBeGreaterThan(1e-4); // the offset is real (hundreds of metres)
        const [bx, by] = toWgs84(frame, ox, oy);
        worstDeg = Math.max(worstDeg, Math.abs(bx - lon), Math.abs(by - lat));
      }
    }
    expect(worstDeg * 111_000).toBeLessThan(0.001);
  });
});

describe('GeoKeys as other tools write them', () => {
  const userTm = {
    GTModelTypeGeoKey: 1,
    ProjectedCSTypeGeoKey: 32767,
    GeographicTypeGeoKey: 4490,
    ProjCoordTransGeoKey: 1,
    ProjNatOriginLongGeoKey: 120,
    ProjNatOriginLatGeoKey: 0,
    ProjScaleAtNatOriginGeoKey: 1,
    ProjFalseEastingGeoKey: 500000,
    ProjFalseNorthingGeoKey: 0,
  };

  it('a user-defined transverse Mercator in feet is refused, in metres it is read', () => {
    expect(crsFromGeoKeys({ ...userTm, ProjLinearUnitsGeoKey: 9001 }).epsg).toBe(4549);
    expect(code(() => crsFromGeoKeys({ ...userTm, ProjLinearUnitsGeoKey: 9003 }))).toBe('CRS_UNSUPPORTED_UNIT');
    expect(code(() => crsFromGeoKeys({ ...userTm, ProjLinearUnitsGeoKey: 9002 }))).toBe('CRS_UNSUPPORTED_UNIT');
  });

  it('UTM given by ProjectionGeoKey (no ProjCoordTransGeoKey) is read as UTM', () => {
    expect(crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, GeographicTypeGeoKey: 4326, ProjectionGeoKey: 16050 }).epsg).toBe(32650);
    const south = crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, GeographicTypeGeoKey: 4326, ProjectionGeoKey: 16150 });
    expect(south.proj4).toContain('+y_0=10000000');
    let message = '';
    try {
      crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, GeographicTypeGeoKey: 4326 });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain('undefined');
  });

  it('an ESRI WKT in the citation (as GDAL writes what keys cannot say) is read', () => {
    const wkt =
      'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
    expect(crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, GTCitationGeoKey: `ESRI PE String = ${wkt}` }).epsg).toBe(4549);
  });

  it('EPSG codes beyond the shipped ones resolve through the EPSG database', () => {
    expect(crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32750 }).name).toBe('WGS 84 / UTM zone 50S');
    expect(crsFromGeoKeys({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 3857 }).epsg).toBe(3857);
  });
});
