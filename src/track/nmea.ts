/**
 * NMEA 0183 logs: $GPRMC/$GNRMC (date, position, speed) and $GPGGA/$GNGGA
 * (position, HDOP, altitude above mean sea level). Checksums are verified;
 * a GGA and an RMC of the same second become one fix.
 */
import { basename } from 'node:path';
import { type Finding, GreenmineError } from '../errors.js';
import { badPosition, buildTrackSet, type RawFix, validDate } from './build.js';
import type { BadRow, TrackSet } from './model.js';
import type { TrackReadOptions } from './options.js';

const KNOT_MPS = 1852 / 3600;

function checksumOk(sentence: string): boolean | null {
  const star = sentence.lastIndexOf('*');
  if (star < 0) return null;
  let sum = 0;
  for (let i = 1; i < star; i++) sum ^= sentence.charCodeAt(i);
  return sum === parseInt(sentence.slice(star + 1, star + 3), 16);
}

function coordinate(value: string, hemisphere: string, degreeDigits: number): number {
  // ddmm.mmmm (latitude) or dddmm.mmmm (longitude): whole degrees, then minutes below 60.
  if (!new RegExp(`^\\d{${degreeDigits}}\\d{2}(\\.\\d+)?$`).test(value)) return NaN;
  const deg = Number(value.slice(0, degreeDigits));
  const min = Number(value.slice(degreeDigits));
  if (min >= 60) return NaN;
  const v = deg + min / 60;
  return hemisphere === 'S' || hemisphere === 'W' ? -v : hemisphere === 'N' || hemisphere === 'E' ? v : NaN;
}

function secondsOfDay(hhmmss: string): number {
  if (!/^\d{6}(\.\d+)?$/.test(hhmmss)) return NaN;
  return Number(hhmmss.slice(0, 2)) * 3600 + Number(hhmmss.slice(2, 4)) * 60 + Number(hhmmss.slice(4));
}

export function parseNmea(bytes: Uint8Array, file: string, options: TrackReadOptions = {}): TrackSet {
  const lines = new TextDecoder('latin1').decode(bytes).split(/\r\n|\r|\n/);
  const device = options.deviceId ?? basename(file).replace(/\.[^.]+$/, '');
  const bad: BadRow[] = [];
  const findings: Finding[] = [];
  const fixes: RawFix[] = [];
  let rows = 0;
  let dayS = options.date ? Date.parse(`${options.date}T00:00:00Z`) / 1000 : NaN;
  // The fix of the current second, completed by whichever of GGA/RMC comes second.
  let last: RawFix | null = null;
  let lastSod = NaN;
  const pendingGga: Array<{ fix: RawFix; sod: number; line: number }> = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const lineNo = i + 1;
    if (!line.startsWith('$')) {
      if (line) {
        rows++;
        bad.push({ line: lineNo, reason: 'not an NMEA sentence' });
      }
      return;
    }
    const type = line.slice(3, 6);
    if (type !== 'RMC' && type !== 'GGA') return; // other sentences carry no position fix
    rows++;
    const ok = checksumOk(line);
    if (ok === false) return void bad.push({ line: lineNo, reason: 'checksum mismatch' });
    if (ok === null) return void bad.push({ line: lineNo, reason: 'no checksum' });
    const f = line.slice(0, line.lastIndexOf('*')).split(',');
    const sod = secondsOfDay(f[1] ?? '');
    if (Number.isNaN(sod)) return void bad.push({ line: lineNo, reason: `unreadable time "${f[1]}"` });
    if (type === 'RMC') {
      if (f[2] !== 'A') return void bad.push({ line: lineNo, reason: 'RMC status V (no valid fix)' });
      const date = f[9] ?? '';
      if (!/^\d{6}$/.test(date) || !validDate(2000 + Number(date.slice(4, 6)), Number(date.slice(2, 4)), Number(date.slice(0, 2)))) return void bad.push({ line: lineNo, reason: `unreadable date "${date}"` });
      dayS = Date.UTC(2000 + Number(date.slice(4, 6)), Number(date.slice(2, 4)) - 1, Number(date.slice(0, 2))) / 1000;
      const lat = coordinate(f[3] ?? '', f[4] ?? '', 2);
      const lon = coordinate(f[5] ?? '', f[6] ?? '', 3);
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return void bad.push({ line: lineNo, reason: 'unreadable position' });
      const off = badPosition(lon, lat);
      if (off) return void bad.push({ line: lineNo, reason: off });
      const speed = f[7] ? Number(f[7]) * KNOT_MPS : NaN;
      // Date the GGAs that came before the first RMC.
      for (const p of pendingGga.splice(0)) {
        p.fix.t = dayS + p.sod - (p.sod > sod + 43200 ? 86400 : 0);
        fixes.push(p.fix);
      }
      if (last && lastSod === sod && Number.isNaN(last.speed)) {
        last.speed = speed;
        return;
      }
      last = { device, t: dayS + sod, lon, lat, ele: NaN, hdop: NaN, speed, line: lineNo };
      lastSod = sod;
      fixes.push(last);
    } else {
      if (f[6] === '0' || f[6] === '') return void bad.push({ line: lineNo, reason: 'GGA fix quality 0 (no fix)' });
      const lat = coordinate(f[2] ?? '', f[3] ?? '', 2);
      const lon = coordinate(f[4] ?? '', f[5] ?? '', 3);
      if (!Number.isFinite(lat) || !Number.isFinite(lon)) return void bad.push({ line: lineNo, reason: 'unreadable position' });
      const off = badPosition(lon, lat);
      if (off) return void bad.push({ line: lineNo, reason: off });
      const hdop = f[8] ? Number(f[8]) : NaN;
      const ele = f[9] ? Number(f[9]) : NaN;
      if (last && lastSod === sod) {
        last.hdop = hdop;
        last.ele = ele;
        return;
      }
      const fix: RawFix = { device, t: dayS + sod, lon, lat, ele, hdop, speed: NaN, line: lineNo };
      last = fix;
      lastSod = sod;
      if (Number.isNaN(dayS)) pendingGga.push({ fix, sod, line: lineNo });
      else fixes.push(fix);
    }
  });
  if (pendingGga.length > 0) {
    throw new GreenmineError('TRACK_NMEA_NO_DATE', `${file}: ${pendingGga.length} $GPGGA fix(es) but no $GPRMC gives the date; give the date (the date option of loadTracks, YYYY-MM-DD)`, { file, line: pendingGga[0]!.line });
  }
  if (rows === 0) throw new GreenmineError('TRACK_EMPTY', `${file}: no $GPRMC or $GPGGA sentence`, { file });
  findings.push({ code: 'TRACK_NMEA_ALTITUDE', severity: 'warning', message: 'NMEA altitudes are above mean sea level (GGA field 9), not ellipsoidal heights', where: { file } });
  return buildTrackSet(file, fixes, rows, bad, findings, options.frame);
}
