export { parseTime } from './build.js';
export { parseTrackCsv, streamTrackCsv } from './csv.js';
export { parseTrackGeoJson } from './geojson.js';
export { parseGpx } from './gpx.js';
export { detectTrackFormat, loadTracks, loadTracksFromBytes, TRACK_FORMAT_NAMES, TRACK_FORMATS, type TrackFormat, type TrackFormatDef } from './load.js';
export { type BadRow, fixCount, type Track, type TrackSet } from './model.js';
export { parseNmea } from './nmea.js';
export type { TrackReadOptions } from './options.js';
export { deriveRoads, type RoadOptions } from './roads.js';
