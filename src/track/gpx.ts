/** GPX 1.0 and 1.1 tracks, routes and waypoints (fast-xml-parser). GPX times are UTC by the standard. */
import { basename } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { type Finding, GreenmineError } from '../errors.js';
import { decodeXml, parseXmlText } from '../io/xml.js';
import { badPosition, buildTrackSet, parseTime, type RawFix } from './build.js';
import type { BadRow, TrackSet } from './model.js';
import type { TrackReadOptions } from './options.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['trk', 'trkseg', 'trkpt', 'wpt', 'rte', 'rtept'].includes(name),
});

type Node = Record<string, unknown>;

const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? String((v as Node)['#text'] ?? '') : String(v));

/** The value of the first element named `key` anywhere below `node` (extensions nest vendor elements). */
function deep(node: unknown, key: string): string {
  if (!node || typeof node !== 'object') return '';
  for (const [k, v] of Object.entries(node as Node)) {
    if (k.toLowerCase() === key) return text(Array.isArray(v) ? v[0] : v);
    if (typeof v === 'object') {
      const hit = deep(v, key);
      if (hit) return hit;
    }
  }
  return '';
}

/** Line numbers of each <tag …> opening in document order. */
function tagLines(source: string, tag: string): number[] {
  const lines: number[] = [];
  const re = new RegExp(`<(?:\\w+:)?${tag}[\\s>/]`, 'g');
  let line = 1;
  let last = 0;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    for (let i = last; i < m.index; i++) if (source.charCodeAt(i) === 10) line++;
    last = m.index;
    lines.push(line);
  }
  return lines;
}

export function parseGpx(bytes: Uint8Array, file: string, options: TrackReadOptions = {}): TrackSet {
  const source = decodeXml(bytes, file, 'GPX_SYNTAX');
  const parsed = parseXmlText(source, file, 'GPX_SYNTAX', 'GPX document', parser) as Node;
  const gpx = (typeof parsed.gpx === 'object' && parsed.gpx !== null ? parsed.gpx : {}) as Node;
  if (!('gpx' in parsed)) throw new GreenmineError('GPX_STRUCTURE', `${file}: not a GPX document (no <gpx> root element)`, { file });
  const tracks = (gpx.trk as Node[] | undefined) ?? [];
  const device = options.deviceId ?? (text((gpx.metadata as Node | undefined)?.name) || text(tracks[0]?.name) || basename(file));
  const fixes: RawFix[] = [];
  const bad: BadRow[] = [];
  const findings: Finding[] = [];
  let rows = 0;
  const read = (points: Node[], lines: number[], offset: number): number => {
    points.forEach((p, i) => {
      rows++;
      const line = lines[offset + i] ?? 0;
      const lon = Number(p['@_lon']);
      const lat = Number(p['@_lat']);
      const reason = p['@_lon'] === undefined || p['@_lat'] === undefined ? 'lat/lon attribute missing' : badPosition(lon, lat);
      if (reason) return void bad.push({ line, reason });
      const timeText = text(p.time);
      if (!timeText) return void bad.push({ line, reason: 'no <time>' });
      const { t } = parseTime(timeText, 0);
      if (Number.isNaN(t)) return void bad.push({ line, reason: `unreadable time "${timeText}"` });
      const ele = text(p.ele);
      const hdop = text(p.hdop) || deep(p.extensions, 'hdop');
      const speed = text(p.speed) || deep(p.extensions, 'speed');
      fixes.push({ device, t, lon, lat, ele: ele ? Number(ele) : NaN, hdop: hdop ? Number(hdop) : NaN, speed: speed ? Number(speed) : NaN });
    });
    return offset + points.length;
  };
  let offset = 0;
  const trkLines = tagLines(source, 'trkpt');
  for (const trk of tracks) for (const seg of (trk.trkseg as Node[] | undefined) ?? []) offset = read((seg.trkpt as Node[] | undefined) ?? [], trkLines, offset);
  offset = 0;
  const rteLines = tagLines(source, 'rtept');
  for (const rte of (gpx.rte as Node[] | undefined) ?? []) offset = read((rte.rtept as Node[] | undefined) ?? [], rteLines, offset);
  read((gpx.wpt as Node[] | undefined) ?? [], tagLines(source, 'wpt'), 0);
  if (rows === 0) throw new GreenmineError('TRACK_EMPTY', `${file}: no trkpt, rtept or wpt`, { file });
  return buildTrackSet(file, fixes, rows, bad, findings, options.frame);
}
