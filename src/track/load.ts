import { closeSync, openSync, readSync } from 'node:fs';
import { checkInputFile, readInput } from '../io/files.js';
import { extname } from 'node:path';
import { parseFrame } from '../crs/index.js';
import { parseTrackCsv, streamTrackCsv } from './csv.js';
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

export function loadTracksFromBytes(bytes: Uint8Array, file: string, given: TrackReadOptions & { format?: TrackFormat } = {}): TrackSet {
  // One spelling of the frame from here on (gcj02 and GCJ02 alike; an unknown frame is an error, never BD-09).
  const options = given.frame === undefined ? given : { ...given, frame: parseFrame(given.frame, `${file}: frame`) };
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

/** Read a track file (GPX, CSV, NMEA or GeoJSON) into per-device tracks. CSV is streamed from disk (fleet exports run to millions of rows). */
export function loadTracks(file: string, options: TrackReadOptions & { format?: TrackFormat } = {}): TrackSet {
  const format = options.format ?? detectTrackFormat(file, readHead(file));
  if (format === 'csv') return streamTrackCsv(file, options.frame === undefined ? options : { ...options, frame: parseFrame(options.frame, `${file}: frame`) });
  return loadTracksFromBytes(readInput(file, 'track'), file, { ...options, format });
}

/** The first bytes of a file (to tell its format), through the same checks as every input. */
function readHead(file: string): Uint8Array {
  checkInputFile(file, 'track');
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(256);
    return head.subarray(0, readSync(fd, head, 0, 256, 0));
  } finally {
    closeSync(fd);
  }
}
