/**
 * Shared end of every track reader: raw fixes per device → sorted,
 * de-duplicated, offset-corrected typed-array tracks, with the bad rows
 * counted and a file that is mostly bad refused.
 */

import { type FrameName, parseFrame, toWgs84 } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { wallToUtcMs } from '../io/time.js';
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
/** Bad rows kept with their line and reason; all are counted (TrackSet.badCount). */
export const MAX_BAD_ROWS_KEPT = 10_000;

/**
 * Fixes as growable columns: 8 bytes per value, the optional ones (elevation,
 * HDOP, speed) only once a row has them. A 10⁷-row CSV costs ≈ 40 bytes per
 * fix here instead of an object per row.
 */
export class FixColumns {
  length = 0;
  t = new Float64Array(1024);
  lon = new Float64Array(1024);
  lat = new Float64Array(1024);
  line = new Int32Array(1024);
  device = new Uint32Array(1024);
  ele: Float64Array | null = null;
  hdop: Float64Array | null = null;
  speed: Float64Array | null = null;
  readonly deviceNames: string[] = [];
  private readonly deviceIndex = new Map<string, number>();

  private grow(): void {
    const cap = Math.ceil(this.t.length * 1.5);
    const more = <T extends Float64Array | Int32Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.t = more(this.t);
    this.lon = more(this.lon);
    this.lat = more(this.lat);
    this.line = more(this.line);
    this.device = more(this.device);
    if (this.ele) this.ele = more(this.ele);
    if (this.hdop) this.hdop = more(this.hdop);
    if (this.speed) this.speed = more(this.speed);
  }

  private optional(which: 'ele' | 'hdop' | 'speed'): Float64Array {
    const a = new Float64Array(this.t.length).fill(NaN);
    this[which] = a;
    return a;
  }

  push(device: string, t: number, lon: number, lat: number, ele: number, hdop: number, speed: number, line: number): void {
    if (this.length === this.t.length) this.grow();
    let d = this.deviceIndex.get(device);
    if (d === undefined) {
      d = this.deviceNames.length;
      this.deviceNames.push(device);
      this.deviceIndex.set(device, d);
    }
    const i = this.length++;
    this.t[i] = t;
    this.lon[i] = lon;
    this.lat[i] = lat;
    this.line[i] = line;
    this.device[i] = d;
    if (!Number.isNaN(ele)) (this.ele ?? this.optional('ele'))[i] = ele;
    if (!Number.isNaN(hdop)) (this.hdop ?? this.optional('hdop'))[i] = hdop;
    if (!Number.isNaN(speed)) (this.speed ?? this.optional('speed'))[i] = speed;
  }

  static from(fixes: RawFix[]): FixColumns {
    const c = new FixColumns();
    for (const f of fixes) c.push(f.device, f.t, f.lon, f.lat, f.ele, f.hdop, f.speed, f.line ?? 0);
    return c;
  }
}

/** Bad rows as readers collect them: the first MAX_BAD_ROWS_KEPT with line and reason, and the count of all. */
export class BadRows {
  readonly kept: BadRow[] = [];
  count = 0;
  push(row: BadRow): void {
    this.count++;
    if (this.kept.length < MAX_BAD_ROWS_KEPT) this.kept.push(row);
  }
  get length(): number {
    return this.count;
  }
  slice(a: number, b: number): BadRow[] {
    return this.kept.slice(a, b);
  }
}

export function buildTrackSet(source: string, fixes: RawFix[] | FixColumns, rows: number, badRows: BadRow[] | BadRows, findings: Finding[], frameName: FrameName = 'WGS84'): TrackSet {
  const frame = parseFrame(frameName, `${source}: frame`);
  const cols = fixes instanceof FixColumns ? fixes : FixColumns.from(fixes);
  const bad = badRows instanceof BadRows ? badRows : new BadRows();
  if (!(badRows instanceof BadRows)) for (const b of badRows) bad.push(b);
  // Clocks that cannot be right (year 9999, 0001) are bad rows, named, never silently kept.
  const n0 = cols.length;
  const keep = new Uint8Array(n0).fill(1);
  for (let i = 0; i < n0; i++) {
    const reason = badTime(cols.t[i]!);
    if (reason) {
      keep[i] = 0;
      bad.push({ line: cols.line[i]!, reason });
    }
  }
  if (rows > 0 && bad.count / rows > MAX_BAD_SHARE) {
    const sample = bad
      .slice(0, 5)
      .map((b) => `line ${b.line}: ${b.reason}`)
      .join('; ');
    throw new GreenmineError('TRACK_MOSTLY_BAD', `${source}: ${bad.count} of ${rows} rows could not be read (${sample})`, { file: source, line: bad.kept[0]?.line });
  }
  if (!keep.some((k) => k === 1)) throw new GreenmineError('TRACK_EMPTY', `${source}: no positions with a time`, { file: source });
  if (bad.count > 0) {
    findings.push({
      code: 'TRACK_BAD_ROWS',
      severity: 'warning',
      message: `${bad.count} row(s) skipped: ${bad
        .slice(0, 5)
        .map((b) => `line ${b.line} (${b.reason})`)
        .join(', ')}${bad.count > 5 ? ', …' : ''}`,
      where: { file: source },
    });
  }
  // Group by device (counting sort on the device index, file order kept within a device).
  const nDevices = cols.deviceNames.length;
  const start = new Int32Array(nDevices + 1);
  for (let i = 0; i < n0; i++) if (keep[i]) start[cols.device[i]! + 1]!++;
  for (let d = 0; d < nDevices; d++) start[d + 1]! += start[d]!;
  const order = new Int32Array(start[nDevices]!);
  const fill = start.slice(0, nDevices);
  for (let i = 0; i < n0; i++) if (keep[i]) order[fill[cols.device[i]!]!++] = i;
  let duplicates = 0;
  const tracks: Track[] = [];
  for (let d = 0; d < nDevices; d++) {
    const idx = order.subarray(start[d]!, start[d + 1]!);
    if (idx.length === 0) continue;
    const device = cols.deviceNames[d]!;
    let outOfOrder = 0;
    for (let k = 1; k < idx.length; k++) if (cols.t[idx[k]!]! < cols.t[idx[k - 1]!]!) outOfOrder++;
    if (outOfOrder > 0) {
      // A stable sort by time (file order among equal times).
      const sorted = Array.from(idx).sort((a, b) => cols.t[a]! - cols.t[b]! || a - b);
      idx.set(sorted);
      findings.push({ code: 'TRACK_UNSORTED', severity: 'warning', message: `device ${device}: ${outOfOrder} fix(es) out of time order; sorted`, where: { file: source } });
    }
    let n = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      const p = k > 0 ? idx[k - 1]! : -1;
      if (p >= 0 && cols.t[p] === cols.t[i] && cols.lon[p] === cols.lon[i] && cols.lat[p] === cols.lat[i]) {
        duplicates++;
        continue;
      }
      idx[n++] = i;
    }
    const has = (a: Float64Array | null): boolean => {
      if (!a) return false;
      for (let k = 0; k < n; k++) if (!Number.isNaN(a[idx[k]!]!)) return true;
      return false;
    };
    const track: Track = {
      deviceId: device,
      timeS: new Float64Array(n),
      lon: new Float64Array(n),
      lat: new Float64Array(n),
      eleM: has(cols.ele) ? new Float64Array(n) : null,
      hdop: has(cols.hdop) ? new Float64Array(n) : null,
      speedMps: has(cols.speed) ? new Float64Array(n) : null,
    };
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      let lon = cols.lon[i]!;
      let lat = cols.lat[i]!;
      if (frame !== 'WGS84') [lon, lat] = toWgs84(frame, lon, lat);
      track.timeS[k] = cols.t[i]!;
      track.lon[k] = lon;
      track.lat[k] = lat;
      if (track.eleM) track.eleM[k] = cols.ele![i]!;
      if (track.hdop) track.hdop[k] = cols.hdop![i]!;
      if (track.speedMps) track.speedMps[k] = cols.speed![i]!;
    }
    tracks.push(track);
  }
  if (duplicates > 0) findings.push({ code: 'TRACK_DUPLICATES', severity: 'warning', message: `${duplicates} duplicate fix(es) removed`, where: { file: source } });
  if (frame !== 'WGS84') findings.push({ code: 'COORD_OFFSET_REMOVED', severity: 'warning', message: `positions declared ${frame} and converted to WGS 84`, where: { file: source } });
  return { source, tracks, rows, bad: bad.kept, badCount: bad.count, duplicates, findings };
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
 * read in `defaultZone`: minutes east of UTC, or an IANA zone name (its offset at that
 * time, DST included). NaN when unreadable.
 */
export function parseTime(text: string, defaultZone: number | string): { t: number; zoned: boolean } {
  const s = text.trim();
  if (/^\d{9,10}(\.\d+)?$/.test(s)) return { t: Number(s), zoned: true };
  if (/^\d{12,13}$/.test(s)) return { t: Number(s) / 1000, zoned: true };
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return { t: NaN, zoned: false };
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  if (!validDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 60) return { t: NaN, zoned: false };
  const utcMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
  if (!zone && typeof defaultZone === 'string') {
    return { t: wallToUtcMs(defaultZone, Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec ?? 0)) / 1000 + (frac ? Number(frac) : 0), zoned: false };
  }
  let offsetMin = typeof defaultZone === 'number' ? defaultZone : 0;
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
