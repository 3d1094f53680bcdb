/** GeoJSON tracks: Points with `properties.time`, or (Multi)LineStrings with `properties.times` or `coordTimes`. */

import { basename } from 'node:path';
import { type Finding, GreenmineError } from '../errors.js';
import { parseJson } from '../io/json.js';
import { DEFAULT_TIME_ZONE } from '../io/time.js';
import { badPosition, buildTrackSet, parseTime, type RawFix } from './build.js';
import type { BadRow, TrackSet } from './model.js';
import type { TrackReadOptions } from './options.js';

type Json = Record<string, unknown>;

export function parseTrackGeoJson(bytes: Uint8Array, file: string, options: TrackReadOptions = {}): TrackSet {
  const doc = (parseJson(new TextDecoder('utf-8').decode(bytes), file, 'GEOJSON_SYNTAX', 'GeoJSON track') ?? {}) as Json;
  const features: Json[] = doc.type === 'FeatureCollection' && Array.isArray(doc.features) ? (doc.features as Json[]) : doc.type === 'Feature' ? [doc] : [];
  if (features.length === 0) throw new GreenmineError('GEOJSON_STRUCTURE', `${file}: expected a Feature or FeatureCollection of Points or LineStrings`, { file });
  const fixes: RawFix[] = [];
  const bad: BadRow[] = [];
  const findings: Finding[] = [];
  let rows = 0;
  const fallbackDevice = options.deviceId ?? basename(file).replace(/\.[^.]+$/, '');
  const zone = options.timeZone ?? options.defaultOffsetMin ?? DEFAULT_TIME_ZONE;
  features.forEach((feature, fi) => {
    const props = (feature.properties ?? {}) as Json;
    const geometry = (feature.geometry ?? {}) as Json;
    const device = String(props.device ?? props.deviceId ?? props.name ?? fallbackDevice);
    const add = (pos: unknown, timeValue: unknown, where: number): void => {
      rows++;
      const p = pos as number[];
      if (!Array.isArray(p) || p.length < 2) return void bad.push({ line: where, reason: 'not a position' });
      const reason = badPosition(Number(p[0]), Number(p[1]));
      if (reason) return void bad.push({ line: where, reason });
      const t = typeof timeValue === 'number' ? (timeValue > 1e11 ? timeValue / 1000 : timeValue) : parseTime(String(timeValue ?? ''), zone).t;
      if (Number.isNaN(t)) return void bad.push({ line: where, reason: `unreadable time ${JSON.stringify(timeValue)}` });
      fixes.push({ device, t, lon: Number(p[0]), lat: Number(p[1]), ele: p.length > 2 ? Number(p[2]) : NaN, hdop: NaN, speed: NaN });
    };
    if (geometry.type === 'Point') add(geometry.coordinates, props.time ?? props.timestamp, fi + 1);
    else if (geometry.type === 'LineString' || geometry.type === 'MultiLineString') {
      const lines = (geometry.type === 'LineString' ? [geometry.coordinates] : geometry.coordinates) as unknown[][];
      const times = (props.coordTimes ?? props.times) as unknown[] | unknown[][] | undefined;
      if (!Array.isArray(times)) {
        bad.push({ line: fi + 1, reason: 'LineString without properties.times or coordTimes' });
        rows++;
        return;
      }
      lines.forEach((coords, li) => {
        const t = (geometry.type === 'LineString' ? times : times[li]) as unknown[];
        coords.forEach((pos, pi) => add(pos, Array.isArray(t) ? t[pi] : undefined, fi + 1));
      });
    } else {
      rows++;
      bad.push({ line: fi + 1, reason: `geometry ${String(geometry.type)} is not a Point or LineString` });
    }
  });
  return buildTrackSet(file, fixes, rows, bad, findings, options.frame);
}
