import type { Finding } from '../errors.js';

/**
 * One device's positions as flat typed arrays (index i is fix i), sorted by
 * time. Coordinates are WGS 84 lon/lat (CGCS2000 is the same at GNSS accuracy);
 * GCJ-02/BD-09 input is converted at load. Missing optional values are NaN.
 */
export interface Track {
  deviceId: string;
  /** Unix time in seconds (fractions kept). */
  timeS: Float64Array;
  lon: Float64Array;
  lat: Float64Array;
  /** Elevation in metres as the source gives it (GNSS: ellipsoidal height), or null when the source has none. */
  eleM: Float64Array | null;
  /** Horizontal dilution of precision (or accuracy) where the source gives it. */
  hdop: Float64Array | null;
  speedMps: Float64Array | null;
}

/** A row or point that could not be read, with where it was. */
export interface BadRow {
  line: number;
  reason: string;
}

export interface TrackSet {
  source: string;
  tracks: Track[];
  /** Rows or points read (good and bad). */
  rows: number;
  /** Rows that were not used, with their line (or point) number and why: the first 10 000 (all are counted in badCount). */
  bad: BadRow[];
  /** How many rows were not used. */
  badCount: number;
  /** Exact duplicate fixes (same device, time and position) removed. */
  duplicates: number;
  findings: Finding[];
}

export function fixCount(set: TrackSet): number {
  return set.tracks.reduce((n, t) => n + t.timeS.length, 0);
}
