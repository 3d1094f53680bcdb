/** GeoJSON licenses: RFC 7946 (WGS 84 lon/lat) or the legacy `crs` member (urn:ogc:def:crs:EPSG::4549). */

import { type Crs, crsFromEpsg, parseCrs } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { parseJson } from '../io/json.js';
import { decodeText } from '../io/text.js';
import { licensesFromFeatures, polygonsOf, type SourceFeature } from './features.js';
import type { License } from './model.js';

export interface GeoJsonOptions {
  /** CRS to assume instead of the file's (`crs` member or RFC 7946 WGS 84). */
  crs?: Crs;
}

export function parseGeoJsonLicenses(bytes: Uint8Array, file: string, options: GeoJsonOptions = {}): License[] {
  const { text } = decodeText(bytes, file, 'utf-8');
  const doc = parseJson(text, file, 'GEOJSON_SYNTAX', 'GeoJSON file');
  if (!doc || typeof doc !== 'object') throw new GreenmineError('GEOJSON_STRUCTURE', `${file}: expected a GeoJSON object`, { file });
  const root = doc as { type?: unknown; features?: unknown; crs?: unknown; geometry?: unknown; properties?: unknown };
  const findings: Finding[] = [];
  let crs = options.crs;
  if (!crs) {
    const named = (root.crs as { properties?: { name?: unknown } } | undefined)?.properties?.name;
    if (root.crs !== undefined && typeof named !== 'string') {
      throw new GreenmineError('GEOJSON_CRS', `${file}: the "crs" member must be {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::n"}}`, { file, path: 'crs' });
    }
    crs = typeof named === 'string' ? parseCrs(named, { source: `${file} crs` }) : crsFromEpsg(4326);
  }
  let raw: Array<{ properties?: unknown; geometry?: unknown }>;
  if (root.type === 'FeatureCollection') {
    if (!Array.isArray(root.features)) throw new GreenmineError('GEOJSON_STRUCTURE', `${file}: FeatureCollection without a "features" array`, { file, path: 'features' });
    raw = root.features as typeof raw;
  } else if (root.type === 'Feature') {
    raw = [root];
  } else if (root.type === 'Polygon' || root.type === 'MultiPolygon' || root.type === 'GeometryCollection') {
    raw = [{ properties: {}, geometry: root }];
  } else {
    throw new GreenmineError('GEOJSON_STRUCTURE', `${file}: expected a FeatureCollection, Feature, Polygon or MultiPolygon, got type ${JSON.stringify(root.type)}`, { file, path: 'type' });
  }
  const features: SourceFeature[] = [];
  raw.forEach((f, i) => {
    const where = { file, feature: i + 1 };
    const polygons = polygonsOf(f?.geometry, where);
    if (polygons.length === 0) {
      const type = (f?.geometry as { type?: unknown } | null | undefined)?.type;
      findings.push({ code: 'LICENSE_FEATURE_NOT_POLYGON', severity: 'warning', message: `feature ${i + 1} has ${type ? `a ${String(type)}` : 'no geometry'}, not a polygon; skipped`, where });
      return;
    }
    const props = f.properties && typeof f.properties === 'object' ? (f.properties as Record<string, unknown>) : {};
    features.push({ index: i + 1, attributes: props, polygons });
  });
  if (features.length === 0) throw new GreenmineError('LICENSE_NO_POLYGONS', `${file}: no Polygon or MultiPolygon feature`, { file });
  return licensesFromFeatures(features, crs, file, findings);
}
