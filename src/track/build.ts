/**
 * Shared end of every track reader: raw fixes per device → sorted,
 * de-duplicated, offset-corrected typed-array tracks, with the bad rows
 * counted and a file that is mostly bad refused.
 */
import { parseFrame, toWgs84, type FrameName } from '../crs/index.js';
import { GreenmineError, type Finding } from '../errors.js';
import type { BadRow, Track, TrackSet } from './model.js';

export interface RawFix {
  device: string;
  t: number;
  lon: number;
  lat: number;
  ele: number;
  hdop: number;
  speed: number;
  /** The line (or point) of the file it came from, for bad-row reports. */
  line?: number;
}

/** More than this share of bad rows fails the file. */
const MAX_BAD_SHARE = 0.5;

export function buildTrackSet(source: string, fixes: RawFix[], rows: number, bad: BadRow[], findings: Finding[], frameName: FrameName = 'WGS84'): TrackSet {
  const frame = parseFrame(frameName, `${source}: frame`);
  // Clocks that cannot be right (year 9999, 0001) are bad rows, named, never silently kept.
  if (fixes.some((f) => badTime(f.t) !== null)) {
    fixes = fixes.filter((f) => {
      const reason = badTime(f.t);
      if (reason) bad.push({ line: f.line ?? 0, reason });
      return reason === null;
    });
  }
  if (rows > 0 && bad.length / rows > MAX_BAD_SHARE) {
    const sample = bad.slice(0, 5).map((b) => `line ${b.line}: ${b.reason}`).join('; ');
    throw new GreenmineError('TRACK_MOSTLY_BAD', `${source}: ${bad.length} of ${rows} rows could not be read (${sample})`, { file: source, line: bad[0]?.line });
  }
  if (fixes.length === 0) throw new GreenmineError('TRACK_EMPTY', `${source}: no positions with a time`, { file: source });
  if (bad.length > 0) {
    findings.push({ code: 'TRACK_BAD_ROWS', severity: 'warning', message: `${bad.length} row(s) skipped: ${bad.slice(0, 5).map((b) => `line ${b.line} (${b.reason})`).join(', ')}${bad.length > 5 ? ', …' : ''}`, where: { file: source } });
  }
  const byDevice = new Map<string, RawFix[]>();
  for (const f of fixes) {
    let list = byDevice.get(f.device);
    if (!list) byDevice.set(f.device, (list = []));
    list.push(f);
  }
  let duplicates = 0;
  const tracks: Track[] = [];
  for (const [device, list] of byDevice) {
    let outOfOrder = 0;
    for (let i = 1; i < list.length; i++) if (list[i]!.t < list[i - 1]!.t) outOfOrder++;
    if (outOfOrder > 0) {
      list.sort((a, b) => a.t - b.t);
      findings.push({ code: 'TRACK_UNSORTED', severity: 'warning', message: `device ${device}: ${outOfOrder} fix(es) out of time order; sorted`, where: { file: source } });
    }
    const kept = list.filter((f, i) => {
      const prev = list[i - 1];
      const dup = prev !== undefined && prev.t === f.t && prev.lon === f.lon && prev.lat === f.lat;
      if (dup) duplicates++;
      return !dup;
    });
    const n = kept.length;
    const track: Track = {
      deviceId: device,
      timeS: new Float64Array(n),
      lon: new Float64Array(n),
      lat: new Float64Array(n),
      eleM: kept.some((f) => !Number.isNaN(f.ele)) ? new Float64Array(n) : null,
      hdop: kept.some((f) => !Number.isNaN(f.hdop)) ? new Float64Array(n) : null,
      speedMps: kept.some((f) => !Number.isNaN(f.speed)) ? new Float64Array(n) : null,
    };
    kept.forEach((f, i) => {
      const [lon, lat] = frame === 'WGS84' ? [f.lon, f.lat] : toWgs84(frame, f.lon, f.lat);
      track.timeS[i] = f.t;
      track.lon[i] = lon;
      track.lat[i] = lat;
      if (track.eleM) track.eleM[i] = f.ele;
      if (track.hdop) track.hdop[i] = f.hdop;
      if (track.speedMps) track.speedMps[i] = f.speed;
    });
    tracks.push(track);
  }
  if (duplicates > 0) findings.push({ code: 'TRACK_DUPLICATES', severity: 'warning', message: `${duplicates} duplicate fix(es) removed`, where: { file: source } });
  if (frame !== 'WGS84') findings.push({ code: 'COORD_OFFSET_REMOVED', severity: 'warning', message: `positions declared ${frame} and converted to WGS 84`, where: { file: source } });
  return { source, tracks, rows, bad, duplicates, findings };
}

/** A decimal number as a GNSS log writes it (no hex, no blanks, no Infinity); NaN otherwise. */
export function decimal(text: string | undefined): number {
  if (text === undefined) return NaN;
  const s = text.trim();
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : NaN;
}

/** A position check shared by the readers: finite, and a plausible lon/lat. */
export function badPosition(lon: number, lat: number): string | null {
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return 'position is not a number';
  // Receivers without a fix report 0, 0: a point in the Gulf of Guinea, not a mine.
  if (lon === 0 && lat === 0) return 'position 0, 0 (a receiver without a fix)';
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    return Math.abs(lon) <= 90 && Math.abs(lat) <= 180 ? `latitude ${lat} out of range (longitude and latitude swapped?)` : `position ${lon}, ${lat} out of range`;
  }
  return null;
}

/**
 * Parse a time: ISO 8601 with or without zone and fractions, `YYYY-MM-DD hh:mm:ss`,
 * `YYYY/MM/DD hh:mm:ss`, or Unix seconds/milliseconds. Times without a zone are
 * read in `defaultOffsetMin` (minutes east of UTC). NaN when unreadable.
 */
export function parseTime(text: string, defaultOffsetMin: number): { t: number; zoned: boolean } {
  const s = text.trim();
  if (/^\d{9,10}(\.\d+)?$/.test(s)) return { t: Number(s), zoned: true };
  if (/^\d{12,13}$/.test(s)) return { t: Number(s) / 1000, zoned: true };
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return { t: NaN, zoned: false };
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (!validDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 60) return { t: NaN, zoned: false };
  const utcMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
  let offsetMin = defaultOffsetMin;
  if (zone) {
    if (zone.toUpperCase() === 'Z') offsetMin = 0;
    else {
      const z = zone.replace(':', '');
      const hours = Number(z.slice(1, 3));
      const minutes = Number(z.slice(3, 5));
      // Real offsets run from −12:00 to +14:00 with minutes below 60.
      if (hours > 14 || minutes > 59) return { t: NaN, zoned: false };
      offsetMin = (z[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
    }
  }
  return { t: utcMs / 1000 - offsetMin * 60 + (frac ? Number(frac) : 0), zoned: zone !== undefined };
}

/** A calendar date that exists (2023-02-31 does not: Date.UTC would roll it into March). */
export function validDate(year: number, month: number, day: number): boolean {
  if (!(Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(day) && month >= 1 && month <= 12 && day >= 1)) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** GNSS time starts in 1980; a fix dated before it, or more than a day ahead of now, is a misread clock. */
export function badTime(t: number): string | null {
  const year = new Date(t * 1000).getUTCFullYear();
  if (!Number.isFinite(t)) return 'time is not a number';
  if (t < Date.UTC(1980, 0, 6) / 1000) return `time in ${year}, before GNSS time began (1980)`;
  if (t > Date.now() / 1000 + 86400) return `time in ${year}, in the future`;
  return null;
}
