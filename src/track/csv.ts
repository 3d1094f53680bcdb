/**
 * CSV from fleet platforms: columns found by their header in Chinese or
 * English, separator `,` `;` or tab, UTF-8 or GBK. The coordinate frame is
 * declared (option) or read from the header (经度(GCJ02), 百度…); otherwise
 * WGS 84 is assumed, with a warning.
 */
import { basename } from 'node:path';
import type { OffsetFrame } from '../crs/index.js';
import { GreenmineError, type Finding } from '../errors.js';
import { decodeText } from '../io/text.js';
import { badPosition, buildTrackSet, decimal, parseTime, type RawFix } from './build.js';
import type { BadRow, TrackSet } from './model.js';
import type { TrackReadOptions } from './options.js';

const COLUMNS: Record<'time' | 'lon' | 'lat' | 'device' | 'speed' | 'ele' | 'hdop', RegExp> = {
  time: /^(time|timestamp|datetime|date_?time|gps_?time|utc|时间|定位时间|gps时间|上报时间|采集时间)/i,
  lon: /^(lon|lng|long|longitude|x_?lon|经度)/i,
  lat: /^(lat|latitude|纬度)/i,
  device: /^(device|device_?id|vehicle|plate|imei|terminal|id|车牌|车牌号|设备号|设备编号|终端号|设备)/i,
  speed: /^(speed|速度)/i,
  ele: /^(ele|elevation|alt|altitude|height|高程|海拔|高度)/i,
  hdop: /^(hdop|accuracy|精度)/i,
};

/** Split one CSV line on `sep`, honouring double quotes ("" inside quotes is a quote). */
export function splitLine(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function frameFromHeader(header: string): OffsetFrame | null {
  if (/gcj|火星|高德|amap|腾讯/i.test(header)) return 'GCJ02';
  if (/bd-?09|百度|baidu/i.test(header)) return 'BD09';
  if (/wgs|gps84|cgcs|2000/i.test(header)) return 'WGS84';
  return null;
}

export function parseTrackCsv(bytes: Uint8Array, file: string, options: TrackReadOptions = {}): TrackSet {
  const { text } = decodeText(bytes, file, options.encoding);
  const lines = text.split(/\r\n|\r|\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new GreenmineError('TRACK_EMPTY', `${file}: empty file`, { file });
  const headerLine = lines[headerIndex]!;
  const sep = [',', ';', '\t'].map((s) => [s, headerLine.split(s).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const header = splitLine(headerLine, sep).map((h) => h.trim().replace(/^\uFEFF/, ''));
  const col = (key: keyof typeof COLUMNS): number => header.findIndex((h) => COLUMNS[key].test(h));
  const idx = { time: col('time'), lon: col('lon'), lat: col('lat'), device: col('device'), speed: col('speed'), ele: col('ele'), hdop: col('hdop') };
  const missing = (['time', 'lon', 'lat'] as const).filter((k) => idx[k] < 0);
  if (missing.length) {
    throw new GreenmineError('TRACK_CSV_COLUMNS', `${file}, line ${headerIndex + 1}: no ${missing.join(', ')} column in the header "${headerLine.slice(0, 120)}" (expected e.g. time/时间/定位时间, lon/经度, lat/纬度)`, { file, line: headerIndex + 1 });
  }
  const findings: Finding[] = [];
  let frame = options.frame ?? frameFromHeader(`${header[idx.lon]} ${header[idx.lat]}`);
  if (!frame) {
    frame = 'WGS84';
    findings.push({ code: 'TRACK_FRAME_ASSUMED', severity: 'warning', message: 'the coordinate frame is not declared; WGS 84 assumed (declare --frame gcj02 or bd09 for Chinese platform exports)', where: { file } });
  }
  const offsetMin = options.defaultOffsetMin ?? 480;
  const device = options.deviceId ?? basename(file).replace(/\.[^.]+$/, '');
  const fixes: RawFix[] = [];
  const bad: BadRow[] = [];
  let rows = 0;
  let zoneless = 0;
  const num = (cells: string[], i: number): number => (i >= 0 ? decimal(cells[i]) : NaN);
  for (let li = headerIndex + 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    rows++;
    const cells = splitLine(line, sep);
    const lineNo = li + 1;
    if (cells.length < header.length - 0 && cells.length <= Math.max(idx.time, idx.lon, idx.lat)) {
      bad.push({ line: lineNo, reason: `${cells.length} field(s), expected ${header.length}` });
      continue;
    }
    const lon = decimal(cells[idx.lon]);
    const lat = decimal(cells[idx.lat]);
    const reason = cells[idx.lon]!.trim() === '' || cells[idx.lat]!.trim() === '' ? 'empty position' : badPosition(lon, lat);
    if (reason) {
      bad.push({ line: lineNo, reason });
      continue;
    }
    const { t, zoned } = parseTime(cells[idx.time]!, offsetMin);
    if (Number.isNaN(t)) {
      bad.push({ line: lineNo, reason: `unreadable time "${cells[idx.time]}"` });
      continue;
    }
    if (!zoned) zoneless++;
    const speedKmh = num(cells, idx.speed);
    const speedIsKmh = idx.speed >= 0 && /km|公里/i.test(header[idx.speed]!);
    fixes.push({
      device: idx.device >= 0 && cells[idx.device]!.trim() ? cells[idx.device]!.trim() : device,
      t,
      lon,
      lat,
      ele: num(cells, idx.ele),
      hdop: num(cells, idx.hdop),
      speed: speedIsKmh ? speedKmh / 3.6 : speedKmh,
      line: lineNo,
    });
  }
  if (zoneless > 0) {
    const sign = offsetMin >= 0 ? '+' : '-';
    const hh = String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0');
    findings.push({ code: 'TRACK_TIME_ZONE_ASSUMED', severity: 'warning', message: `${zoneless} time(s) without a zone read as UTC${sign}${hh}:${String(Math.abs(offsetMin) % 60).padStart(2, '0')}`, where: { file } });
  }
  return buildTrackSet(file, fixes, rows, bad, findings, frame);
}
