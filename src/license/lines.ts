/**
 * Line layers (haul-road centrelines, R3.2) from GeoJSON: LineString and
 * MultiLineString features in WGS 84 (RFC 7946) or in the CRS of a legacy
 * `crs` member, returned as WGS 84 lon/lat polylines.
 */
import { createTransform, crsFromEpsg, parseCrs } from '../crs/index.js';
import { GreenmineError } from '../errors.js';
import { readInput } from '../io/files.js';
import { parseJson } from '../io/json.js';

type Json = Record<string, unknown>;

export function parseLinesGeoJson(bytes: Uint8Array, file: string): number[][][] {
  const doc = parseJson(new TextDecoder('utf-8').decode(bytes), file, 'GEOJSON_SYNTAX', 'GeoJSON line layer') as Json | null;
  const features: Json[] = doc?.type === 'FeatureCollection' && Array.isArray(doc.features) ? (doc.features as Json[]) : doc?.type === 'Feature' ? [doc] : [];
  if (features.length === 0) throw new GreenmineError('GEOJSON_STRUCTURE', `${file}: expected a Feature or FeatureCollection of LineStrings`, { file });
  const crsName = ((doc?.crs as Json | undefined)?.properties as Json | undefined)?.name;
  const transform = typeof crsName === 'string' ? createTransform(parseCrs(crsName, { source: `${file}: crs` }), crsFromEpsg(4326)) : null;
  const lines: number[][][] = [];
  features.forEach((f, i) => {
    const g = f.geometry as Json | null;
    const parts = g?.type === 'LineString' ? [g.coordinates] : g?.type === 'MultiLineString' ? (g.coordinates as unknown[]) : null;
    if (!parts) throw new GreenmineError('GEOJSON_STRUCTURE', `${file}, feature ${i + 1}: a ${String(g?.type ?? 'null')} geometry; a road layer holds LineStrings`, { file, feature: i + 1 });
    for (const part of parts) {
      if (!Array.isArray(part) || part.length < 2) throw new GreenmineError('GEOJSON_STRUCTURE', `${file}, feature ${i + 1}: a line needs two positions or more`, { file, feature: i + 1 });
      lines.push(
        part.map((p, k) => {
          const [x, y] = Array.isArray(p) ? (p as unknown[]) : [];
          if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y))
            throw new GreenmineError('LICENSE_BAD_COORDINATE', `${file}, feature ${i + 1}, position ${k + 1}: not [x, y] numbers`, { file, feature: i + 1 });
          const [lon, lat] = transform ? transform.point(x, y) : [x, y];
          if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90))
            throw new GreenmineError('COORD_OUTSIDE_CRS_AREA', `${file}, feature ${i + 1}, position ${k + 1}: not a longitude and latitude (give the layer's CRS in a "crs" member)`, { file, feature: i + 1 });
          return [lon, lat];
        }),
      );
    }
  });
  return lines;
}

export function loadLines(file: string): number[][][] {
  return parseLinesGeoJson(readInput(file, 'line layer'), file);
}
