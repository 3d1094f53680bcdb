/**
 * The live service: messages in (MQTT, HTTP) → checks → the write-ahead log
 * → `LiveFence` / `LiveDust` → alarms out (MQTT QoS 1, Server-Sent Events,
 * webhooks). Transport-free: `src/serve/mqtt.ts` and `src/serve/http.ts`
 * call `ingest`, and subscribe to `onAlarm`.
 */
import { hostname } from 'node:os';
import { crsFromEpsg } from '../crs/index.js';
import { toWgs84 } from '../crs/offsets.js';
import { GreenmineError } from '../errors.js';
import { EventEngine } from '../fence/events.js';
import { FenceIndex } from '../fence/fence-index.js';
import { fenceSearchRadiusM } from '../fence/report.js';
import { WashMonitor } from '../fence/wash.js';
import { isoLocal } from '../io/time.js';
import { loadLicenses } from '../license/load.js';
import type { License } from '../license/model.js';
import { licensesToGeoJson } from '../license/write.js';
import { loadStations } from '../sensors/dust.js';
import { badPosition, badTime, parseTime } from '../track/build.js';
import type { ServeConfig } from './config.js';
import { type Alarm, alarmId, LiveDust, LiveFence, type PushResult, type ReadingValues, type SavedLiveDevice } from './live.js';
import { StateStore } from './store.js';

/** A message refused: its code and why (published on greenmine/errors). */
export class MessageError extends Error {
  constructor(
    readonly code: 'MSG_BAD_JSON' | 'MSG_BAD_FIX' | 'MSG_BAD_READING' | 'MSG_LATE' | 'MSG_TOPIC',
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceState {
  fence: Record<string, SavedLiveDevice>;
  dust: ReturnType<LiveDust['save']>;
  wash?: Record<string, unknown>;
  /** Alarms handed to the broker and not yet acknowledged by it: published again after a restart. */
  outbox: Alarm[];
  metrics: Metrics;
}

export interface Metrics {
  fixesIn: number;
  readingsIn: number;
  late: number;
  duplicates: number;
  malformed: Record<string, number>;
  alarmsOut: Record<string, number>;
}

export interface NormalFix {
  device: string;
  t: number;
  lon: number;
  lat: number;
  ele: number;
}

const MAX_ID_CHARS = 128;

/** The subject of a topic (its last level) when the message names none. */
function lastLevel(topic: string): string {
  const i = topic.lastIndexOf('/');
  return i >= 0 ? topic.slice(i + 1) : '';
}

const hasControl = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 32) return true;
  return false;
};

function subjectOf(value: unknown, topic: string, field: string, code: 'MSG_BAD_FIX' | 'MSG_BAD_READING'): string {
  const id = value === undefined ? lastLevel(topic) : typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  if (!id || id.length > MAX_ID_CHARS || hasControl(id)) throw new MessageError(code, `${field} missing or not a name of 1–${MAX_ID_CHARS} characters`);
  return id;
}

function timeOf(value: unknown, timeZone: string, code: 'MSG_BAD_FIX' | 'MSG_BAD_READING'): number {
  let t: number;
  if (typeof value === 'number') t = value;
  else if (typeof value === 'string') t = parseTime(value, timeZone).t;
  else throw new MessageError(code, 't missing (ISO 8601 with offset, or Unix seconds)');
  const bad = badTime(t);
  if (bad) throw new MessageError(code, `t: ${bad}`);
  return t;
}

/** A payload's text (null for an object already parsed). */
function payloadText(payload: string | Uint8Array | object): string | null {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  return null;
}

export function parseObject(payload: string | Uint8Array | object): Record<string, unknown> {
  if (typeof payload === 'object' && !(payload instanceof Uint8Array)) return payload as Record<string, unknown>;
  const text = payloadText(payload)!;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new MessageError('MSG_BAD_JSON', `not JSON (${text.length} bytes)`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new MessageError('MSG_BAD_JSON', 'not a JSON object');
  return doc as Record<string, unknown>;
}

/** A position message checked and in WGS 84. */
export function parsePosition(topic: string, m: Record<string, unknown>, timeZone: string): NormalFix {
  const device = subjectOf(m.device, topic, 'device', 'MSG_BAD_FIX');
  const t = timeOf(m.t, timeZone, 'MSG_BAD_FIX');
  let lon = m.lon,
    lat = m.lat;
  if (typeof lon !== 'number' || typeof lat !== 'number') throw new MessageError('MSG_BAD_FIX', 'lon and lat must be numbers (degrees)');
  const bad = badPosition(lon, lat);
  if (bad) throw new MessageError('MSG_BAD_FIX', bad);
  const ele = m.ele === undefined || m.ele === null ? NaN : m.ele;
  if (typeof ele !== 'number' || Math.abs(ele) > 10_000) throw new MessageError('MSG_BAD_FIX', 'ele must be a number of metres within ±10 000');
  if (m.frame !== undefined && m.frame !== 'wgs84') {
    if (m.frame !== 'gcj02' && m.frame !== 'bd09') throw new MessageError('MSG_BAD_FIX', `frame "${String(m.frame).slice(0, 20)}" is not wgs84, gcj02 or bd09`);
    [lon, lat] = toWgs84(m.frame, lon, lat);
  }
  return { device, t, lon: lon as number, lat: lat as number, ele };
}

const UNIT_FACTORS: Record<string, number> = { 'ug/m3': 1, 'µg/m3': 1, 'μg/m3': 1, 'µg/m³': 1, 'μg/m³': 1, 'ug/m³': 1, 'mg/m3': 1000, 'mg/m³': 1000 };

/** A reading message checked, values in µg/m³ (NaN when absent). */
export function parseReading(topic: string, m: Record<string, unknown>, timeZone: string): { station: string; t: number; values: ReadingValues } {
  const station = subjectOf(m.station, topic, 'station', 'MSG_BAD_READING');
  const t = timeOf(m.t, timeZone, 'MSG_BAD_READING');
  const unit = m.unit === undefined ? 'µg/m3' : String(m.unit).toLowerCase();
  const factor = UNIT_FACTORS[unit];
  if (factor === undefined) throw new MessageError('MSG_BAD_READING', `unit "${unit.slice(0, 20)}" is not µg/m3 or mg/m3`);
  const value = (key: string): number => {
    const v = m[key];
    if (v === undefined || v === null) return NaN;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new MessageError('MSG_BAD_READING', `${key} must be a number ≥ 0`);
    return v * factor;
  };
  const values: ReadingValues = { TSP: value('tsp'), PM10: value('pm10'), 'PM2.5': value('pm25') };
  if (Number.isNaN(values.TSP) && Number.isNaN(values.PM10) && Number.isNaN(values['PM2.5'])) throw new MessageError('MSG_BAD_READING', 'no tsp, pm10 or pm25 value');
  return { station, t, values };
}

/** An MQTT topic level from a license id ('/', '+', '#' and controls replaced). */
export const topicLevel = (id: string | null): string => (id === null ? 'none' : [...id].map((c) => (c === '/' || c === '+' || c === '#' || c.charCodeAt(0) < 32 ? '_' : c)).join('') || 'none');

export interface ServiceInputs {
  licenses: License[];
  fence: FenceIndex;
  stationLicense: Map<string, string | null>;
  wash: { zones: FenceIndex; exits: FenceIndex | null } | null;
}

export interface ServiceEvents {
  /** Every alarm, in order (after replay, the alarms the log produced that were never delivered). */
  alarm: (alarm: Alarm) => void;
  /** A message refused. */
  error: (error: { code: string; message: string; topic: string; at: string }) => void;
}

export class LiveService {
  readonly fenceIndex: FenceIndex;
  readonly fence: LiveFence;
  readonly dust: LiveDust;
  readonly store: StateStore<ServiceState>;
  readonly licenses: License[];
  readonly wash: WashMonitor | null;
  readonly metrics: Metrics = { fixesIn: 0, readingsIn: 0, late: 0, duplicates: 0, malformed: {}, alarmsOut: {} };
  readonly startedAt = Date.now();
  /** Seconds between now and the time of the last fix received. */
  lagS = NaN;
  lastCheckpoint: string | null = null;
  readonly instance = `${hostname()}:${process.pid}`;
  /** Alarms handed to a transport that confirms delivery, until it does (keyed by id and state). */
  readonly outbox = new Map<string, Alarm>();
  private readonly alarmListeners: Array<ServiceEvents['alarm']> = [];
  private readonly errorListeners: Array<ServiceEvents['error']> = [];
  private readonly iso: (s: number) => string;
  private readonly sink = (alarm: Alarm): void => this.deliver(alarm);
  private replaying = false;
  private readonly replayed: Alarm[] = [];

  private constructor(
    readonly config: ServeConfig,
    inputs: ServiceInputs,
    stateDir: string,
    holderGone?: (instance: string | null) => boolean,
  ) {
    this.licenses = inputs.licenses;
    this.iso = (s) => isoLocal(s, config.timeZone);
    this.fenceIndex = inputs.fence;
    const floors = inputs.licenses.map((l) => l.elevationM?.min ?? NaN);
    this.fence = new LiveFence(new EventEngine(this.fenceIndex, config.eventOptions, floors), config.reorderWindowS, this.iso);
    this.dust = new LiveDust(config.dustRules, config.reorderWindowS, this.iso, (s) => inputs.stationLicense.get(s) ?? null);
    this.wash = inputs.wash
      ? new WashMonitor(this.fenceIndex, inputs.wash.zones, { minWashS: config.thresholds.minWashS, withinS: config.thresholds.washWithinS, toleranceM: config.eventOptions.toleranceM }, inputs.wash.exits ?? undefined)
      : null;
    if (this.wash) {
      const wash = this.wash;
      // Washing is judged on committed fixes (final, in time order): its alarms open and close together.
      this.fence.onCommit = (device, t, lon, lat, sink) => {
        for (const e of wash.push(device, t, lon, lat)) {
          const id = alarmId('wash', device, e.licenseId, e.startS);
          const a: Alarm = { id, type: 'wash', state: 'open', device, licenseId: e.licenseId, start: this.iso(e.startS), startS: e.startS, washDwellS: e.washDwellS };
          sink(a);
          sink({ ...a, state: 'closed', end: this.iso(e.endS), endS: e.endS });
        }
      };
    }
    this.store = StateStore.open<ServiceState>(stateDir, config.durable, config.cluster?.instance ?? null, holderGone);
  }

  /** What every service of a configuration shares: the licenses and their fence, stations placed, wash zones. */
  static async loadInputs(config: ServeConfig): Promise<ServiceInputs> {
    const licenses: License[] = [];
    for (const file of config.licenseFiles) licenses.push(...(await loadLicenses(file)));
    const fence = FenceIndex.build(licenses, { searchRadiusM: fenceSearchRadiusM(config.eventOptions) });
    const stationLicense = new Map<string, string | null>();
    if (config.stationsFile) {
      for (const s of loadStations(config.stationsFile)) {
        const i = fence.locate(s.lon, s.lat);
        stationLicense.set(s.id, i >= 0 ? fence.licenseIds[i]! : null);
      }
    }
    const wash = config.wash ? { zones: FenceIndex.build(await loadLicenses(config.wash.zonesFile)), exits: config.wash.exitsFile ? FenceIndex.build(await loadLicenses(config.wash.exitsFile)) : null } : null;
    return { licenses, fence, stationLicense, wash };
  }

  /** A service over inputs already loaded, in its own state folder (a cluster's partition). */
  static fromInputs(config: ServeConfig, inputs: ServiceInputs, stateDir: string, holderGone?: (instance: string | null) => boolean): LiveService {
    const service = new LiveService(config, inputs, stateDir, holderGone);
    service.recover();
    return service;
  }

  /** Load the inputs (or take them), take the state folder, restore the checkpoint and replay the log. */
  static async open(config: ServeConfig, inputs?: ServiceInputs, stateDir = config.stateDir): Promise<LiveService> {
    const service = new LiveService(config, inputs ?? (await LiveService.loadInputs(config)), stateDir);
    service.recover();
    return service;
  }

  private recover(): void {
    const cp = this.store.checkpoint;
    if (cp) {
      this.fence.restore(cp.state.fence);
      this.dust.restore(cp.state.dust);
      if (cp.state.wash) this.wash?.restore(cp.state.wash);
      Object.assign(this.metrics, cp.state.metrics);
      for (const a of cp.state.outbox) this.outbox.set(`${a.id}:${a.state}`, a);
    }
    const delivered = new Set<string>();
    for (const e of this.store.replay) if (e.kind === 'a') delivered.add(String(e.body));
    this.replaying = true;
    for (const e of this.store.replay) {
      if (e.kind === 'p' || e.kind === 'q') {
        const body = String(e.body);
        const tab = body.indexOf('\t');
        const topic = body.slice(0, tab);
        try {
          const m = parseObject(body.slice(tab + 1));
          if (e.kind === 'p') this.applyFix(parsePosition(topic, m, this.config.timeZone));
          else {
            const r = parseReading(topic, m, this.config.timeZone);
            this.applyReading(r.station, r.t, r.values);
          }
        } catch {
          // accepted before, so it parses; a log edited by hand is skipped
        }
      } else if (e.kind === 'f') {
        const [device, t, lon, lat, ele] = e.body as [string, number, number, number, number | null];
        this.applyFix({ device, t, lon, lat, ele: ele ?? NaN });
      } else if (e.kind === 'r') {
        const [station, t, tsp, pm10, pm25] = e.body as [string, number, number | null, number | null, number | null];
        this.applyReading(station, t, { TSP: tsp ?? NaN, PM10: pm10 ?? NaN, 'PM2.5': pm25 ?? NaN });
      }
    }
    this.replaying = false;
    for (const a of this.replayed) {
      const key = `${a.id}:${a.state}`;
      if (!delivered.has(key)) this.outbox.set(key, a);
    }
    for (const key of delivered) this.outbox.delete(key);
    this.replayed.length = 0;
  }

  /** Alarms to deliver again after a restart: handed out before the crash and never confirmed. */
  pendingAlarms(): Alarm[] {
    return [...this.outbox.values()];
  }

  on<K extends keyof ServiceEvents>(event: K, listener: ServiceEvents[K]): void {
    if (event === 'alarm') this.alarmListeners.push(listener as ServiceEvents['alarm']);
    else this.errorListeners.push(listener as ServiceEvents['error']);
  }

  off<K extends keyof ServiceEvents>(event: K, listener: ServiceEvents[K]): void {
    const list: unknown[] = event === 'alarm' ? this.alarmListeners : this.errorListeners;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  }

  /** A transport confirmed an alarm (the broker acknowledged it): logged, so a restart does not send it again. */
  confirmed(alarm: Alarm): void {
    const key = `${alarm.id}:${alarm.state}`;
    if (!this.outbox.delete(key)) return;
    this.store.log('a', key);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.store.flush();
      });
    }
  }

  private flushQueued = false;

  private deliver(alarm: Alarm): void {
    if (this.replaying) {
      this.replayed.push(alarm);
      return;
    }
    const key = alarm.retracted ? 'retracted' : alarm.type;
    this.metrics.alarmsOut[key] = (this.metrics.alarmsOut[key] ?? 0) + 1;
    for (const l of this.alarmListeners) l(alarm);
  }

  /** While a cluster replays a partition's recent messages on takeover: late fixes are ones the previous owner applied. */
  quietLate = false;

  /** Refused message: counted and reported. */
  reject(topic: string, err: unknown): void {
    const code = err instanceof MessageError ? err.code : err instanceof GreenmineError ? err.code : 'MSG_BAD_JSON';
    if (!(err instanceof MessageError) && !(err instanceof GreenmineError)) throw err;
    if (this.quietLate && code === 'MSG_LATE') {
      this.metrics.duplicates++;
      return;
    }
    if (code === 'MSG_LATE') this.metrics.late++;
    else this.metrics.malformed[code] = (this.metrics.malformed[code] ?? 0) + 1;
    const report = { code, message: (err as Error).message, topic: topic.slice(0, 256), at: new Date().toISOString() };
    for (const l of this.errorListeners) l(report);
  }

  private count(result: PushResult, topic: string, what: string): void {
    if (result === 'duplicate') this.metrics.duplicates++;
    else if (result === 'late') this.reject(topic, new MessageError('MSG_LATE', `${what} is older than the ${this.config.reorderWindowS} s reorder window`));
  }

  private applyFix(f: NormalFix): PushResult {
    return this.fence.push(f.device, f.t, f.lon, f.lat, f.ele, this.sink);
  }

  private applyReading(station: string, t: number, values: ReadingValues): PushResult {
    return this.dust.push(station, t, values, this.sink);
  }

  /**
   * The log entry of a message: as received (`p`/`q`: topic, tab, text: no number is formatted
   * on the hot path) when that fits on one line, else the normalised values (`f`/`r`).
   */
  private logMessage(raw: 'p' | 'q', topic: string, text: string | null, normalised: () => string): void {
    if (text !== null && !text.includes('\n') && !topic.includes('\t') && !topic.includes('\n')) this.store.logJson(raw, `${topic}\t${text}`);
    else this.store.logJson(raw === 'p' ? 'f' : 'r', normalised());
  }

  /** One position message (the device from the message, else the topic's last level). Errors are reported, never thrown. */
  ingestPosition(topic: string, payload: string | Uint8Array | object): boolean {
    const text = payloadText(payload);
    let fix: NormalFix;
    try {
      fix = parsePosition(topic, parseObject(text ?? payload), this.config.timeZone);
    } catch (err) {
      this.reject(topic, err);
      return false;
    }
    this.metrics.fixesIn++;
    this.lagS = Date.now() / 1000 - fix.t;
    this.logMessage('p', topic, text, () => `[${JSON.stringify(fix.device)},${fix.t},${fix.lon},${fix.lat},${Number.isNaN(fix.ele) ? 'null' : fix.ele}]`);
    this.count(this.applyFix(fix), topic, `fix of ${fix.device} at ${this.iso(fix.t)}`);
    return true;
  }

  ingestReading(topic: string, payload: string | Uint8Array | object): boolean {
    const text = payloadText(payload);
    let r: ReturnType<typeof parseReading>;
    try {
      r = parseReading(topic, parseObject(text ?? payload), this.config.timeZone);
    } catch (err) {
      this.reject(topic, err);
      return false;
    }
    this.metrics.readingsIn++;
    const v = r.values;
    const nul = (x: number): number | null => (Number.isNaN(x) ? null : x);
    this.logMessage('q', topic, text, () => JSON.stringify([r.station, r.t, nul(v.TSP), nul(v.PM10), nul(v['PM2.5'])]));
    this.count(this.applyReading(r.station, r.t, v), topic, `reading of ${r.station} at ${this.iso(r.t)}`);
    return true;
  }

  /** Route by topic: greenmine/positions/… or greenmine/readings/…. */
  ingest(topic: string, payload: string | Uint8Array | object): boolean {
    if (topic.startsWith('greenmine/positions/')) return this.ingestPosition(topic, payload);
    if (topic.startsWith('greenmine/readings/')) return this.ingestReading(topic, payload);
    this.reject(topic, new MessageError('MSG_TOPIC', 'not greenmine/positions/<device> or greenmine/readings/<station>'));
    return false;
  }

  /** Save the state (the log restarts empty). */
  checkpoint(): void {
    this.store.save({ fence: this.fence.save(), dust: this.dust.save(), ...(this.wash ? { wash: this.wash.save() } : {}), outbox: [...this.outbox.values()], metrics: this.metrics });
    this.lastCheckpoint = new Date().toISOString();
  }

  close(): void {
    this.store.close();
  }

  /** Prometheus text exposition. */
  metricsText(extra: Record<string, number> = {}): string {
    const m = this.metrics;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) lines.push(`${name}${labels} ${Number.isFinite(v) ? v : 'NaN'}`);
    };
    metric('greenmine_fixes_total', 'counter', 'Position messages accepted.', [['', m.fixesIn]]);
    metric('greenmine_readings_total', 'counter', 'Dust readings accepted.', [['', m.readingsIn]]);
    metric('greenmine_late_total', 'counter', 'Fixes and readings older than the reorder window (refused).', [['', m.late]]);
    metric('greenmine_duplicates_total', 'counter', 'Fixes and readings received twice (redelivery), applied once.', [['', m.duplicates]]);
    metric(
      'greenmine_malformed_total',
      'counter',
      'Messages refused, by code.',
      Object.entries(m.malformed).map(([code, n]) => [`{code="${code}"}`, n]),
    );
    metric(
      'greenmine_alarms_total',
      'counter',
      'Alarm messages sent (open and closed), by type.',
      Object.entries(m.alarmsOut).map(([type, n]) => [`{type="${type}"}`, n]),
    );
    metric('greenmine_devices', 'gauge', 'Devices with state.', [['', this.fence.deviceCount]]);
    metric('greenmine_lag_seconds', 'gauge', 'Now minus the time of the last fix received.', [['', this.lagS]]);
    metric('greenmine_outbox', 'gauge', 'Alarms sent and not yet acknowledged by the broker.', [['', this.outbox.size]]);
    for (const [name, v] of Object.entries(extra)) metric(`greenmine_${name}`, 'gauge', name.replace(/_/g, ' '), [['', v]]);
    return `${lines.join('\n')}\n`;
  }

  /** The licenses as GeoJSON (WGS 84) for the live page. */
  licensesGeoJson(): object {
    return licensesToGeoJson(this.licenses, crsFromEpsg(4326));
  }
}
