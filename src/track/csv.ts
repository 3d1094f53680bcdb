/**
 * CSV from fleet platforms: columns found by their header in Chinese or
 * English, separator `,` `;` or tab, UTF-8 or GBK. The coordinate frame is
 * declared (option) or read from the header (经度(GCJ02), 百度…); otherwise
 * WGS 84 is assumed, with a warning.
 */

import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { OffsetFrame } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { checkInputFile } from '../io/files.js';
import { decodeText, normaliseEncoding } from '../io/text.js';
import { checkTimeZone, DEFAULT_TIME_ZONE } from '../io/time.js';
import { BadRows, badPosition, buildTrackSet, decimal, FixColumns, parseTime } from './build.js';
import type { TrackSet } from './model.js';
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

/**
 * A CSV track read line by line (from bytes in memory or streamed from disk):
 * the header names the columns, every row is a fix or a bad row with its
 * reason. Fixes go into typed columns, so memory follows the fixes, not the text.
 */
class CsvTrackReader {
  private readonly file: string;
  private readonly options: TrackReadOptions;
  private headerIndex = -1;
  private header: string[] = [];
  private sep = ',';
  private idx = { time: -1, lon: -1, lat: -1, device: -1, speed: -1, ele: -1, hdop: -1 };
  private speedIsKmh = false;
  private frame: OffsetFrame | null = null;
  private readonly findings: Finding[] = [];
  private readonly fixes = new FixColumns();
  private readonly bad = new BadRows();
  private rows = 0;
  private zoneless = 0;
  private readonly zone: number | string;
  private readonly device: string;

  constructor(file: string, options: TrackReadOptions) {
    this.file = file;
    this.options = options;
    this.zone = options.timeZone !== undefined ? checkTimeZone(options.timeZone) : (options.defaultOffsetMin ?? DEFAULT_TIME_ZONE);
    this.device = options.deviceId ?? basename(file).replace(/\.[^.]+$/, '');
  }

  private readHeader(headerLine: string, lineNo: number): void {
    const { file } = this;
    this.headerIndex = lineNo;
    this.sep = [',', ';', '\t'].map((s) => [s, headerLine.split(s).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
    const header = splitLine(headerLine, this.sep).map((h) => h.trim().replace(/^\uFEFF/, ''));
    this.header = header;
    const col = (key: keyof typeof COLUMNS): number => header.findIndex((h) => COLUMNS[key].test(h));
    const idx = { time: col('time'), lon: col('lon'), lat: col('lat'), device: col('device'), speed: col('speed'), ele: col('ele'), hdop: col('hdop') };
    this.idx = idx;
    const missing = (['time', 'lon', 'lat'] as const).filter((k) => idx[k] < 0);
    if (missing.length) {
      throw new GreenmineError('TRACK_CSV_COLUMNS', `${file}, line ${lineNo}: no ${missing.join(', ')} column in the header "${headerLine.slice(0, 120)}" (expected e.g. time/时间/定位时间, lon/经度, lat/纬度)`, { file, line: lineNo });
    }
    this.speedIsKmh = idx.speed >= 0 && /km|公里/i.test(header[idx.speed]!);
    this.frame = this.options.frame ? (this.options.frame as OffsetFrame) : frameFromHeader(`${header[idx.lon]} ${header[idx.lat]}`);
    if (!this.frame) {
      this.frame = 'WGS84';
      this.findings.push({ code: 'TRACK_FRAME_ASSUMED', severity: 'warning', message: 'the coordinate frame is not declared; WGS 84 assumed (declare the gcj02 or bd09 frame for Chinese platform exports)', where: { file } });
    }
  }

  line(line: string, lineNo: number): void {
    if (line.trim() === '') return;
    if (this.headerIndex < 0) {
      this.readHeader(line, lineNo);
      return;
    }
    this.rows++;
    const { idx, header } = this;
    const cells = splitLine(line, this.sep);
    if (cells.length < header.length && cells.length <= Math.max(idx.time, idx.lon, idx.lat)) {
      this.bad.push({ line: lineNo, reason: `${cells.length} field(s), expected ${header.length}` });
      return;
    }
    const lon = decimal(cells[idx.lon]);
    const lat = decimal(cells[idx.lat]);
    const reason = cells[idx.lon]!.trim() === '' || cells[idx.lat]!.trim() === '' ? 'empty position' : badPosition(lon, lat);
    if (reason) {
      this.bad.push({ line: lineNo, reason });
      return;
    }
    const { t, zoned } = parseTime(cells[idx.time]!, this.zone);
    if (Number.isNaN(t)) {
      this.bad.push({ line: lineNo, reason: `unreadable time "${cells[idx.time]!.slice(0, 40)}"` });
      return;
    }
    if (!zoned) this.zoneless++;
    const num = (i: number): number => (i >= 0 ? decimal(cells[i]) : NaN);
    const speed = num(idx.speed);
    const device = idx.device >= 0 && cells[idx.device]!.trim() ? cells[idx.device]!.trim() : this.device;
    this.fixes.push(device, t, lon, lat, num(idx.ele), num(idx.hdop), this.speedIsKmh ? speed / 3.6 : speed, lineNo);
  }

  finish(): TrackSet {
    const { file } = this;
    if (this.headerIndex < 0) throw new GreenmineError('TRACK_EMPTY', `${file}: empty file`, { file });
    if (this.zoneless > 0) {
      this.findings.push({ code: 'TRACK_TIME_ZONE_ASSUMED', severity: 'warning', message: `${this.zoneless} time(s) without a zone read ${zoneText(this.zone)}`, where: { file } });
    }
    return buildTrackSet(file, this.fixes, this.rows, this.bad, this.findings, this.frame ?? 'WGS84');
  }
}

/** Feed `text` to `sink` line by line (\r\n, \n or \r); returns the unfinished last line when `partial`. */
function eachLine(text: string, first: number, sink: (line: string, lineNo: number) => void, partial: boolean): { rest: string; next: number } {
  let lineNo = first;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    if (c === 13 && i + 1 === text.length && partial) break; // a \r that may be half of \r\n
    sink(text.slice(start, i), lineNo++);
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    start = i + 1;
  }
  const rest = text.slice(start);
  if (!partial && rest.length) sink(rest, lineNo++);
  return { rest: partial ? rest : '', next: lineNo };
}

export function parseTrackCsv(bytes: Uint8Array, file: string, options: TrackReadOptions = {}): TrackSet {
  const { text } = decodeText(bytes, file, options.encoding);
  const reader = new CsvTrackReader(file, options);
  eachLine(text, 1, (l, n) => reader.line(l, n), false);
  return reader.finish();
}

/** Bytes read from disk at a time by the streaming reader. */
const CHUNK_BYTES = 8 << 20;

/**
 * A CSV track streamed from disk in chunks: memory follows the fixes (typed
 * columns), never the size of the text. UTF-8 unless the encoding is named;
 * a file that is not UTF-8 is read again as GBK.
 */
export function streamTrackCsv(file: string, options: TrackReadOptions = {}, chunkBytes = CHUNK_BYTES): TrackSet {
  checkInputFile(file, 'track');
  const encodings = options.encoding ? [normaliseEncoding(options.encoding, file)] : ['utf-8', 'gb18030'];
  for (const encoding of encodings) {
    const decoder = new TextDecoder(encoding, { fatal: true });
    const reader = new CsvTrackReader(file, options);
    const fd = openSync(file, 'r');
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let carried = '';
    let lineNo = 1;
    let first = true;
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunkBytes, null);
        let text = decoder.decode(chunk.subarray(0, n), { stream: n > 0 });
        if (first) text = text.replace(/^\uFEFF/, '');
        first = false;
        const r = eachLine(carried + text, lineNo, (l, k) => reader.line(l, k), n > 0);
        carried = r.rest;
        lineNo = r.next;
        if (n === 0) break;
      }
    } catch (err) {
      if (err instanceof TypeError && encoding !== encodings.at(-1)) continue; // not this encoding: try the next
      if (err instanceof TypeError) {
        throw new GreenmineError(options.encoding ? 'ENCODING_MISMATCH' : 'ENCODING_UNKNOWN', `${file}: the file is not ${options.encoding ? `valid ${encoding}` : 'UTF-8 or GBK'} text`, { file });
      }
      throw err;
    } finally {
      closeSync(fd);
    }
    return reader.finish();
  }
  throw new GreenmineError('ENCODING_UNKNOWN', `${file}: the file is neither UTF-8 nor GBK text`, { file });
}

/** How zone-less times were read: "in Asia/Shanghai" or "as UTC+08:00". */
function zoneText(zone: number | string): string {
  if (typeof zone === 'string') return `in ${zone}`;
  const sign = zone >= 0 ? '+' : '-';
  return `as UTC${sign}${String(Math.floor(Math.abs(zone) / 60)).padStart(2, '0')}:${String(Math.abs(zone) % 60).padStart(2, '0')}`;
}
