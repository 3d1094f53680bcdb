import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { parseFrame } from '../crs/index.js';
import { checkInputFile, readInput } from '../io/files.js';
import { parseTrackCsv, streamTrackCsv } from './csv.js';
import { parseTrackGeoJson } from './geojson.js';
import { parseGpx } from './gpx.js';
import type { TrackSet } from './model.js';
import { parseNmea } from './nmea.js';
import type { TrackReadOptions } from './options.js';

/**
 * The track formats, as geotiff.js registers decoders: each with its file
 * extensions, a sniff of its first characters for files without one, its
 * parser, and a streaming reader where files get large. The first format
 * whose extension matches wins; else the first whose sniff does; else CSV.
 */
export interface TrackFormatDef {
  name: string;
  extensions: string[];
  sniff(head: string): boolean;
  parse(bytes: Uint8Array, file: string, options: TrackReadOptions): TrackSet;
  /** Read from disk without holding the file (CSV). */
  stream?(file: string, options: TrackReadOptions): TrackSet;
}

export const TRACK_FORMATS = [
  { name: 'gpx', extensions: ['.gpx'], sniff: (h: string) => h.startsWith('<'), parse: parseGpx },
  { name: 'geojson', extensions: ['.geojson', '.json'], sniff: (h: string) => h.startsWith('{'), parse: parseTrackGeoJson },
  { name: 'nmea', extensions: ['.nmea', '.nma'], sniff: (h: string) => h.startsWith('$'), parse: parseNmea },
  { name: 'csv', extensions: ['.csv', '.tsv'], sniff: () => true, parse: parseTrackCsv, stream: streamTrackCsv },
] as const satisfies readonly TrackFormatDef[];

export type TrackFormat = (typeof TRACK_FORMATS)[number]['name'];

/** The names of the track formats (for messages and the CLI). */
export const TRACK_FORMAT_NAMES: readonly TrackFormat[] = TRACK_FORMATS.map((f) => f.name);

function formatDef(name: TrackFormat): TrackFormatDef {
  return TRACK_FORMATS.find((f) => f.name === name)!;
}

export function detectTrackFormat(file: string, bytes: Uint8Array): TrackFormat {
  const ext = extname(file).toLowerCase();
  const byExtension = TRACK_FORMATS.find((f) => (f.extensions as readonly string[]).includes(ext));
  if (byExtension) return byExtension.name;
  const head = new TextDecoder()
    .decode(bytes.subarray(0, 200))
    .replace(/^\uFEFF/, '')
    .trimStart();
  return TRACK_FORMATS.find((f) => f.sniff(head))!.name;
}

export function loadTracksFromBytes(bytes: Uint8Array, file: string, given: TrackReadOptions & { format?: TrackFormat } = {}): TrackSet {
  // One spelling of the frame from here on (gcj02 and GCJ02 alike; an unknown frame is an error, never BD-09).
  const options = given.frame === undefined ? given : { ...given, frame: parseFrame(given.frame, `${file}: frame`) };
  return formatDef(options.format ?? detectTrackFormat(file, bytes)).parse(bytes, file, options);
}

/** Read a track file (GPX, CSV, NMEA or GeoJSON) into per-device tracks. CSV is streamed from disk (fleet exports run to millions of rows). */
export function loadTracks(file: string, options: TrackReadOptions & { format?: TrackFormat } = {}): TrackSet {
  const format = formatDef(options.format ?? detectTrackFormat(file, readHead(file)));
  if (format.stream) return format.stream(file, options.frame === undefined ? options : { ...options, frame: parseFrame(options.frame, `${file}: frame`) });
  return loadTracksFromBytes(readInput(file, 'track'), file, { ...options, format: format.name as TrackFormat });
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
