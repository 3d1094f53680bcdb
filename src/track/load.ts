import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { GreenmineError } from '../errors.js';
import { parseTrackCsv } from './csv.js';
import { parseTrackGeoJson } from './geojson.js';
import { parseGpx } from './gpx.js';
import type { TrackSet } from './model.js';
import { parseNmea } from './nmea.js';
import type { TrackReadOptions } from './options.js';

export type TrackFormat = 'gpx' | 'csv' | 'nmea' | 'geojson';

export function detectTrackFormat(file: string, bytes: Uint8Array): TrackFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.gpx') return 'gpx';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.nmea' || ext === '.nma') return 'nmea';
  if (ext === '.geojson' || ext === '.json') return 'geojson';
  const head = new TextDecoder().decode(bytes.subarray(0, 200)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'gpx';
  if (head.startsWith('{')) return 'geojson';
  if (head.startsWith('$')) return 'nmea';
  return 'csv';
}

export function loadTracksFromBytes(bytes: Uint8Array, file: string, options: TrackReadOptions & { format?: TrackFormat } = {}): TrackSet {
  switch (options.format ?? detectTrackFormat(file, bytes)) {
    case 'gpx':
      return parseGpx(bytes, file, options);
    case 'csv':
      return parseTrackCsv(bytes, file, options);
    case 'nmea':
      return parseNmea(bytes, file, options);
    case 'geojson':
      return parseTrackGeoJson(bytes, file, options);
  }
}

/** Read a track file (GPX, CSV, NMEA or GeoJSON) into per-device tracks. */
export function loadTracks(file: string, options: TrackReadOptions & { format?: TrackFormat } = {}): TrackSet {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GreenmineError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`, { file });
  }
  return loadTracksFromBytes(bytes, file, options);
}
