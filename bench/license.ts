/**
 * License loading and area for N licenses (default 10 000).
 *
 * 1. A province-wide GeoJSON FeatureCollection: greenmine's full load
 *    (parse, validate, measure ellipsoidal and planar area) against the anchor
 *    JSON.parse + @turf/area (spherical, no validation): the floor of what any
 *    reader must do.
 * 2. N printed corner tables: greenmine's full load against the anchor
 *    proj4 + GeographicLib on already-parsed coordinates (projection and
 *    geodesic area alone), so the ratio is the cost of parsing and validation.
 */
import turfArea from '@turf/area';
import geodesic from 'geographiclib-geodesic';
import proj4 from 'proj4';
import { createTransform, crsFromEpsg } from '../src/crs/index.js';
import { licenseArea, loadLicensesFromBytes } from '../src/license/index.js';
import { consume, report, rng, time } from './harness.js';

interface Shape {
  shell: Array<[number, number]>; // GK zone 40 (prefixed), [easting, northing]
  hole: Array<[number, number]> | null;
}

function makeShapes(count: number): Shape[] {
  const random = rng(2021);
  const shapes: Shape[] = [];
  for (let s = 0; s < count; s++) {
    const cx = 40_380_000 + random() * 240_000;
    const cy = 3_050_000 + random() * 400_000;
    const n = 12 + Math.floor(random() * 28);
    const radius = 150 + random() * 600;
    const ring = (count: number, r: number): Array<[number, number]> =>
      Array.from({ length: count }, (_, i) => {
        const a = (2 * Math.PI * i) / count;
        const rr = r * (0.6 + 0.4 * random());
        return [Math.round((cx + rr * Math.cos(a)) * 100) / 100, Math.round((cy + rr * Math.sin(a)) * 100) / 100] as [number, number];
      });
    shapes.push({ shell: ring(n, radius), hole: random() < 0.3 ? ring(6, radius * 0.2) : null });
  }
  return shapes;
}

export async function benchLicenses(count: number): Promise<void> {
  const shapes = makeShapes(count);
  const toLonLat = createTransform(crsFromEpsg(4528), crsFromEpsg(4326));
  const closedLonLat = (ring: Array<[number, number]>): number[][] => {
    const out = ring.map(([x, y]) => toLonLat.point(x, y));
    return [...out, out[0]!];
  };
  const collection = {
    type: 'FeatureCollection',
    features: shapes.map((s, i) => ({
      type: 'Feature',
      properties: { 采矿许可证号: `C33${String(i).padStart(8, '0')}`, 矿山名称: `矿山${i}`, 开采标高: '+290m至+68m' },
      geometry: { type: 'Polygon', coordinates: s.hole ? [closedLonLat(s.shell), closedLonLat(s.hole).reverse()] : [closedLonLat(s.shell)] },
    })),
  };
  const geojsonBytes = new TextEncoder().encode(JSON.stringify(collection));

  const subject = await time('greenmine loadLicensesFromBytes + licenseArea', () => {
    const licenses = loadLicensesFromBytes(geojsonBytes, 'province.geojson');
    for (const l of licenses) consume(licenseArea(l).ellipsoidalM2);
  });
  const anchor = await time('anchor: JSON.parse + @turf/area', () => {
    const fc = JSON.parse(new TextDecoder().decode(geojsonBytes)) as typeof collection;
    for (const f of fc.features) consume(turfArea(f as Parameters<typeof turfArea>[0]));
  });
  report('GeoJSON FeatureCollection of licenses', subject, anchor, count, 'licenses');

  const tables = shapes.map((s) => {
    const lines = ['矿区范围拐点坐标（2000国家大地坐标系，3度带）', '第1块'];
    s.shell.forEach(([x, y], i) => lines.push(`${i + 1},${y.toFixed(2)},${x.toFixed(2)}`));
    if (s.hole) {
      lines.push('扣除范围1');
      s.hole.forEach(([x, y], i) => lines.push(`${s.shell.length + i + 1},${y.toFixed(2)},${x.toFixed(2)}`));
    }
    lines.push('开采标高：由+290米至+68米');
    return new TextEncoder().encode(lines.join('\n'));
  });
  const tableSubject = await time('greenmine corner tables: parse, validate, area', () => {
    for (const bytes of tables) consume(licenseArea(loadLicensesFromBytes(bytes, 'table.txt')[0]!).ellipsoidalM2);
  });
  const g = new geodesic.Geodesic.Geodesic(6378137, 1 / 298.257222101);
  const converter = proj4('+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m +no_defs', '+proj=longlat +ellps=GRS80 +no_defs');
  const tableAnchor = await time('anchor: proj4 + GeographicLib on parsed corners', () => {
    for (const s of shapes) {
      let area = 0;
      for (const [ri, ring] of [s.shell, s.hole].entries()) {
        if (!ring) continue;
        const poly = g.Polygon(false);
        for (const [x, y] of ring) {
          const [lon, lat] = converter.forward([x, y]);
          poly.AddPoint(lat!, lon!);
        }
        area += (ri === 0 ? 1 : -1) * Math.abs(poly.Compute(false, true).area ?? 0);
      }
      consume(area);
    }
  });
  report('Printed corner tables, one license each', tableSubject, tableAnchor, count, 'licenses');
}
