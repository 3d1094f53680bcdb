/**
 * Dust monitoring (R4.1, R5.4): readings from sensor platforms, over-limit
 * alarms by configurable rules (pollutant, averaging window, limit, allowed
 * exceedances per day), data completeness per station, and monitors at the
 * key positions. One rule engine serves the batch run and the streaming
 * monitor (`DustMonitor.push`), so both give the same alarms.
 */

import { type Finding, GreenmineError } from '../errors.js';
import { readInput } from '../io/files.js';
import { decodeText } from '../io/text.js';
import { DEFAULT_TIME_ZONE } from '../io/time.js';
import { parseTime } from '../track/build.js';

export type Pollutant = 'PM10' | 'PM2.5' | 'TSP';

export interface Reading {
  station: string;
  timeS: number;
  pollutant: Pollutant;
  /** µg/m³ (readings in mg/m³ are converted). */
  valueUgM3: number;
}

export interface DustRule {
  name: string;
  pollutant: Pollutant;
  /** Rolling window (trailing, over the readings in the last `windowMin`) or calendar window (aligned periods, Beijing time). */
  window: 'rolling' | 'calendar';
  windowMin: number;
  limitUgM3: number;
  /** Exceeding windows tolerated per calendar day before they count as alarms (default 0). */
  allowedPerDay?: number;
}

export const PRESETS: Record<string, DustRule> = {
  gb16297: { name: 'GB 16297-1996 fugitive particulates at the site boundary, 1.0 mg/m³ (1-hour mean)', pollutant: 'TSP', window: 'rolling', windowMin: 60, limitUgM3: 1000 },
  'gb3095-pm10': { name: 'GB 3095-2012 PM10 class II, 150 µg/m³ (24-hour mean)', pollutant: 'PM10', window: 'calendar', windowMin: 1440, limitUgM3: 150 },
};

export interface DustAlarm {
  station: string;
  rule: string;
  start: number;
  end: number;
  /** Highest window mean during the alarm, µg/m³. */
  peakUgM3: number;
  /** Mean of the window means during the alarm, µg/m³. */
  meanUgM3: number;
  windows: number;
}

const BEIJING_OFFSET_S = 8 * 3600;

/** A preset name or a JSON rule `{name, pollutant, window, windowMin, limitUgM3, allowedPerDay}`. */
export function parseRule(text: string, source = 'rule'): DustRule {
  const preset = PRESETS[text.trim().toLowerCase()];
  if (preset) return preset;
  let r: Partial<DustRule>;
  try {
    r = JSON.parse(text) as Partial<DustRule>;
  } catch {
    throw new GreenmineError('DUST_RULE', `${source}: "${text.slice(0, 40)}" is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a JSON rule`);
  }
  if (!['PM10', 'PM2.5', 'TSP'].includes(String(r.pollutant)) || !['rolling', 'calendar'].includes(String(r.window)) || !(Number(r.windowMin) > 0) || !(Number(r.limitUgM3) > 0)) {
    throw new GreenmineError('DUST_RULE', `${source}: a rule needs pollutant (PM10, PM2.5, TSP), window (rolling, calendar), windowMin > 0 and limitUgM3 > 0`);
  }
  return {
    name: r.name ?? `${r.pollutant} ${r.limitUgM3} µg/m³ ${r.window} ${r.windowMin} min`,
    pollutant: r.pollutant as Pollutant,
    window: r.window as DustRule['window'],
    windowMin: Number(r.windowMin),
    limitUgM3: Number(r.limitUgM3),
    allowedPerDay: r.allowedPerDay ?? 0,
  };
}

const COLUMNS = {
  time: /^(time|timestamp|datetime|date_?time|监测时间|时间|采集时间|数据时间)/i,
  station: /^(station|station_?id|site|device|monitor|站点|站点编号|点位|设备|设备编号|监测点)/i,
  unit: /^(unit|单位)$/i,
};

function unitFactor(text: string): number | null {
  if (/mg\s*\/?\s*m/i.test(text)) return 1000;
  if (/(µ|μ|u)g\s*\/?\s*m/i.test(text)) return 1;
  return null;
}

/** Readings CSV: time, station, then PM10 / PM2.5 / TSP columns whose header carries the unit (µg/m³ or mg/m³); a unit column may override per row. */
export function parseReadings(bytes: Uint8Array, file: string, timeZone: string = DEFAULT_TIME_ZONE): { readings: Reading[]; bad: Array<{ line: number; reason: string }>; findings: Finding[] } {
  const { text } = decodeText(bytes, file);
  const lines = text.split(/\r\n|\r|\n/);
  const findings: Finding[] = [];
  // The header may come again further down (exports appended to each other), possibly with other units.
  let sep = ',';
  let iTime = -1,
    iStation = -1,
    iUnit = -1;
  let pollutants: Array<{ index: number; pollutant: Pollutant; factor: number | null }> = [];
  const readHeader = (headerLine: string, lineNo: number): void => {
    sep = [',', ';', '\t'].map((x) => [x, headerLine.split(x).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
    const header = headerLine.split(sep).map((h) => h.trim().replace(/^\uFEFF/, ''));
    const col = (re: RegExp): number => header.findIndex((h) => re.test(h));
    iTime = col(COLUMNS.time);
    iStation = col(COLUMNS.station);
    iUnit = col(COLUMNS.unit);
    pollutants = [];
    header.forEach((h, i) => {
      const p: Pollutant | null = /pm\s*2\.?5/i.test(h) ? 'PM2.5' : /pm\s*10/i.test(h) ? 'PM10' : /tsp|总悬浮/i.test(h) ? 'TSP' : null;
      if (p) pollutants.push({ index: i, pollutant: p, factor: unitFactor(h) });
    });
    if (iTime < 0 || iStation < 0 || pollutants.length === 0) {
      throw new GreenmineError('DUST_CSV_COLUMNS', `${file}, line ${lineNo}: expected time, station and PM10/PM2.5/TSP columns in "${headerLine.slice(0, 120)}"`, { file, line: lineNo });
    }
    for (const p of pollutants) {
      if (p.factor === null && iUnit < 0) findings.push({ code: 'DUST_UNIT_ASSUMED', severity: 'warning', message: `${file}, line ${lineNo}: column "${header[p.index]}" names no unit; µg/m³ assumed`, where: { file, line: lineNo } });
    }
  };
  readHeader(lines[0] ?? '', 1);
  const readings: Reading[] = [];
  const bad: Array<{ line: number; reason: string }> = [];
  let zoneless = 0;
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (!line.trim()) continue;
    const cells = line.split(sep);
    if (COLUMNS.time.test((cells[iTime] ?? '').trim()) && Number.isNaN(parseTime(cells[iTime] ?? '', timeZone).t)) {
      readHeader(line, li + 1);
      continue;
    }
    const { t, zoned } = parseTime(cells[iTime] ?? '', timeZone);
    if (!zoned && !Number.isNaN(t)) zoneless++;
    if (Number.isNaN(t)) {
      bad.push({ line: li + 1, reason: `unreadable time "${cells[iTime]}"` });
      continue;
    }
    const station = (cells[iStation] ?? '').trim();
    if (!station) {
      bad.push({ line: li + 1, reason: 'no station' });
      continue;
    }
    const rowFactor = iUnit >= 0 ? unitFactor(cells[iUnit] ?? '') : null;
    for (const p of pollutants) {
      const raw = (cells[p.index] ?? '').trim();
      if (raw === '') continue; // a missing value is a gap, counted by completeness
      const v = Number(raw);
      if (!Number.isFinite(v) || v < 0) {
        bad.push({ line: li + 1, reason: `${p.pollutant} "${raw}" is not a concentration` });
        continue;
      }
      // A unit column applies to the columns whose header names no unit.
      readings.push({ station, timeS: t, pollutant: p.pollutant, valueUgM3: v * (p.factor ?? rowFactor ?? 1) });
    }
  }
  if (bad.length)
    findings.push({
      code: 'DUST_BAD_ROWS',
      severity: 'warning',
      message: `${bad.length} row(s) skipped: ${bad
        .slice(0, 5)
        .map((b) => `line ${b.line} (${b.reason})`)
        .join(', ')}`,
      where: { file },
    });
  readings.sort((a, b) => a.timeS - b.timeS || a.station.localeCompare(b.station));
  if (zoneless > 0) findings.push({ code: 'TIME_ZONE_ASSUMED', severity: 'warning', message: `${file}: ${zoneless} reading time(s) without a zone read in ${timeZone}`, where: { file } });
  return { readings, bad, findings };
}

interface StationState {
  window: Array<[number, number]>; // [time, value] of the rolling window
  sum: number;
  calendarKey: number;
  calendarSum: number;
  calendarN: number;
  dayKey: number;
  dayExceed: number;
  open: DustAlarm | null;
  lastT: number;
}

/** The rule engine: readings in time order per station → alarms. */
export class DustMonitor {
  private states = new Map<string, StationState>();

  constructor(readonly rule: DustRule) {}

  private state(station: string): StationState {
    let s = this.states.get(station);
    if (!s) this.states.set(station, (s = { window: [], sum: 0, calendarKey: NaN, calendarSum: 0, calendarN: 0, dayKey: NaN, dayExceed: 0, open: null, lastT: -Infinity }));
    return s;
  }

  /** One window result (from `start` to t, mean m): extends or closes the station's alarm. */
  private judge(station: string, s: StationState, t: number, mean: number, out: DustAlarm[], start = t): void {
    const day = Math.floor((t + BEIJING_OFFSET_S) / 86400);
    if (day !== s.dayKey) {
      s.dayKey = day;
      s.dayExceed = 0;
    }
    const over = mean > this.rule.limitUgM3;
    if (over) s.dayExceed++;
    if (over && s.dayExceed > (this.rule.allowedPerDay ?? 0)) {
      if (!s.open) s.open = { station, rule: this.rule.name, start, end: t, peakUgM3: mean, meanUgM3: 0, windows: 0 };
      const a = s.open;
      a.end = t;
      a.peakUgM3 = Math.max(a.peakUgM3, mean);
      a.meanUgM3 += mean;
      a.windows++;
    } else if (s.open) {
      out.push(this.finishAlarm(s.open));
      s.open = null;
    }
  }

  private finishAlarm(a: DustAlarm): DustAlarm {
    return { ...a, meanUgM3: a.meanUgM3 / a.windows };
  }

  /** Push one reading (per station in time order); returns the alarms it closes. */
  push(station: string, timeS: number, pollutant: Pollutant, valueUgM3: number): DustAlarm[] {
    const out: DustAlarm[] = [];
    if (pollutant !== this.rule.pollutant) return out;
    const s = this.state(station);
    if (timeS < s.lastT) throw new GreenmineError('DUST_OUT_OF_ORDER', `station ${station}: reading at ${timeS} is earlier than the previous one`);
    s.lastT = timeS;
    const w = this.rule.windowMin * 60;
    if (this.rule.window === 'rolling') {
      s.window.push([timeS, valueUgM3]);
      s.sum += valueUgM3;
      while (s.window.length && s.window[0]![0] <= timeS - w) s.sum -= s.window.shift()![1];
      this.judge(station, s, timeS, s.sum / s.window.length, out);
    } else {
      const key = Math.floor((timeS + BEIJING_OFFSET_S) / w);
      if (key !== s.calendarKey && s.calendarN > 0) {
        this.judge(station, s, s.calendarKey * w + w - BEIJING_OFFSET_S, s.calendarSum / s.calendarN, out, s.calendarKey * w - BEIJING_OFFSET_S);
        s.calendarSum = 0;
        s.calendarN = 0;
      }
      s.calendarKey = key;
      s.calendarSum += valueUgM3;
      s.calendarN++;
    }
    return out;
  }

  /** The station's alarm still open (its mean over the windows so far), or null. */
  openAlarm(station: string): DustAlarm | null {
    const open = this.states.get(station)?.open;
    return open ? this.finishAlarm(open) : null;
  }

  /** Every station's state as JSON (a checkpoint; NaN keys saved as null). */
  save(): Record<string, unknown> {
    return Object.fromEntries(
      [...this.states].map(([k, s]) => [k, { ...s, calendarKey: Number.isNaN(s.calendarKey) ? null : s.calendarKey, dayKey: Number.isNaN(s.dayKey) ? null : s.dayKey, lastT: Number.isFinite(s.lastT) ? s.lastT : null }]),
    );
  }

  /** The state `save` returned. */
  restore(saved: Record<string, unknown>): void {
    this.states.clear();
    for (const [k, v] of Object.entries(saved)) {
      const s = v as Record<string, unknown>;
      this.states.set(k, { ...(s as unknown as StationState), calendarKey: s.calendarKey === null ? NaN : Number(s.calendarKey), dayKey: s.dayKey === null ? NaN : Number(s.dayKey), lastT: s.lastT === null ? -Infinity : Number(s.lastT) });
    }
  }

  /** Close everything (end of data). */
  flush(): DustAlarm[] {
    const out: DustAlarm[] = [];
    for (const [station, s] of this.states) {
      if (this.rule.window === 'calendar' && s.calendarN > 0) {
        const w = this.rule.windowMin * 60;
        this.judge(station, s, s.calendarKey * w + w - BEIJING_OFFSET_S, s.calendarSum / s.calendarN, out, s.calendarKey * w - BEIJING_OFFSET_S);
        s.calendarN = 0;
      }
      if (s.open) out.push(this.finishAlarm(s.open));
      s.open = null;
    }
    return out.sort((a, b) => a.start - b.start || a.station.localeCompare(b.station));
  }
}

export interface Station {
  id: string;
  lon: number;
  lat: number;
  role: string | null;
}

/** Stations CSV: id, lon, lat[, role] (站点, 经度, 纬度, 位置/类型). */
export function parseStations(bytes: Uint8Array, file: string): Station[] {
  const { text } = decodeText(bytes, file);
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim());
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().replace(/^\uFEFF/, ''));
  const col = (re: RegExp): number => header.findIndex((h) => re.test(h));
  const iId = col(COLUMNS.station),
    iLon = col(/^(lon|lng|longitude|经度)/i),
    iLat = col(/^(lat|latitude|纬度)/i),
    iRole = col(/^(role|position|type|位置|类型|部位)/i);
  if (iId < 0 || iLon < 0 || iLat < 0) throw new GreenmineError('DUST_STATIONS', `${file}, line 1: expected station, lon and lat columns`, { file, line: 1 });
  return lines.slice(1).map((l, i) => {
    const c = l.split(',');
    const lon = Number(c[iLon]),
      lat = Number(c[iLat]);
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) throw new GreenmineError('DUST_STATIONS', `${file}, line ${i + 2}: position "${c[iLon]}, ${c[iLat]}" is not lon, lat`, { file, line: i + 2 });
    return { id: c[iId]!.trim(), lon, lat, role: iRole >= 0 ? (c[iRole] ?? '').trim() || null : null };
  });
}

export interface DustReport {
  rule: DustRule;
  stations: Array<{ id: string; role: string | null; readings: number; completeness: number; intervalS: number | null; silent: boolean }>;
  alarms: DustAlarm[];
  /** Key positions (processing plant, haul road, boundary…) with the nearest station and its distance. */
  keyPositions: Array<{ role: string; station: string | null; distanceM: number | null; covered: boolean }>;
  findings: Finding[];
}

/** Alarms, completeness and key positions for a set of readings. */
export function analyseDust(readings: Reading[], stations: Station[], rule: DustRule, options: { keyPositions?: Array<{ role: string; lon: number; lat: number }>; keyDistanceM?: number; minCompleteness?: number } = {}): DustReport {
  const monitor = new DustMonitor(rule);
  const alarms: DustAlarm[] = [];
  for (const r of readings) alarms.push(...monitor.push(r.station, r.timeS, r.pollutant, r.valueUgM3));
  alarms.push(...monitor.flush());
  alarms.sort((a, b) => a.start - b.start || a.station.localeCompare(b.station));
  const findings: Finding[] = [];
  // Completeness: readings present ÷ expected at the station's own median interval over the whole period.
  const ids = new Set([...stations.map((s) => s.id), ...readings.map((r) => r.station)]);
  const first = readings.length ? readings[0]!.timeS : 0;
  const last = readings.length ? readings[readings.length - 1]!.timeS : 0;
  const perStation = [...ids].sort().map((id) => {
    const times = [...new Set(readings.filter((r) => r.station === id && r.pollutant === rule.pollutant).map((r) => r.timeS))].sort((a, b) => a - b);
    const gaps = times
      .slice(1)
      .map((t, i) => t - times[i]!)
      .sort((a, b) => a - b);
    const intervalS = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : null;
    const expected = intervalS ? Math.floor((last - first) / intervalS) + 1 : 0;
    const completeness = expected ? Math.min(1, times.length / expected) : 0;
    const silent = completeness < (options.minCompleteness ?? 0.75);
    if (silent) findings.push({ code: 'DUST_STATION_SILENT', severity: 'warning', message: `station ${id}: ${(completeness * 100).toFixed(0)} % of the expected ${rule.pollutant} readings`, where: { path: id } });
    return { id, role: stations.find((s) => s.id === id)?.role ?? null, readings: times.length, completeness, intervalS, silent };
  });
  const keyDistanceM = options.keyDistanceM ?? 100;
  const metres = (a: { lon: number; lat: number }, b: { lon: number; lat: number }): number => Math.hypot((a.lon - b.lon) * 111_320 * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180), (a.lat - b.lat) * 110_574);
  const keyPositions = (options.keyPositions ?? []).map((k) => {
    let best: Station | null = null;
    let bestM = Infinity;
    for (const s of stations) {
      const d = metres(k, s);
      if (d < bestM) [best, bestM] = [s, d];
    }
    const covered = best !== null && bestM <= keyDistanceM;
    if (!covered)
      findings.push({
        code: 'DUST_KEY_POSITION_UNMONITORED',
        severity: 'warning',
        message: `no dust monitor within ${keyDistanceM} m of the ${k.role}${best ? ` (nearest: ${best.id}, ${bestM.toFixed(0)} m)` : ''}`,
        where: { path: k.role },
      });
    return { role: k.role, station: best?.id ?? null, distanceM: best ? bestM : null, covered };
  });
  return { rule, stations: perStation, alarms, keyPositions, findings };
}

export function loadReadings(path: string, timeZone: string = DEFAULT_TIME_ZONE): ReturnType<typeof parseReadings> {
  return parseReadings(readInput(path), path, timeZone);
}

export function loadStations(path: string): Station[] {
  return parseStations(readInput(path), path);
}
