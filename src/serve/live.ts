/**
 * Live alarms from the batch engines: the fence's `EventEngine` and the dust
 * `DustMonitor` fed one message at a time, with a reorder window per device,
 * open and closed alarms with ids that do not change across restarts, and
 * state that saves to JSON (`save` / `restore`) for checkpoints.
 *
 * Fixes within the reorder window are applied at once to a speculative state
 * (`head`), so an alarm opens as soon as the rule fires; the committed state
 * advances only by fixes older than the window, in time order, and only it
 * closes alarms — so the closed alarms are exactly the batch API's events.
 * A fix that arrives out of order inside the window replays the window from
 * the committed state; an open alarm that the replay no longer supports is
 * closed with `retracted: true`. A fix older than the committed state is
 * late: counted and refused, never applied out of order.
 */
import { createHash } from 'node:crypto';
import { type DeviceState, type EventEngine, type FenceEvent, type FenceEventType, FIX_ELE, FIX_LAT, FIX_LON, FIX_SLOTS, FIX_T, type SavedDeviceState } from '../fence/events.js';
import { type DustAlarm, DustMonitor, type DustRule, type Pollutant } from '../sensors/dust.js';

export type AlarmType = FenceEventType | 'dust';

/** An alarm message (`greenmine/alarms/<licenseId>`, SSE, webhooks). */
export interface Alarm {
  /** Stable: a hash of the kind, subject, license or rule and start time; the same after a restart. */
  id: string;
  type: AlarmType;
  state: 'open' | 'closed';
  device?: string;
  station?: string;
  licenseId: string | null;
  rule?: string;
  /** ISO 8601 with the service's offset; `startS`/`endS` the same in Unix seconds. */
  start: string;
  end?: string;
  startS: number;
  endS?: number;
  maxDistanceM?: number | null;
  fixes?: number;
  /** Dust: the highest window mean (µg/m³). */
  peak?: number;
  /** Wash: seconds in a wash zone within the window before leaving. */
  washDwellS?: number;
  /** Closed because fixes that arrived late (within the reorder window) changed the track: the alarm did not happen. */
  retracted?: true;
}

export type PushResult = 'ok' | 'late' | 'duplicate';

export function alarmId(kind: string, subject: string, scope: string | null, startS: number): string {
  return createHash('sha1')
    .update(`${kind}\u0000${subject}\u0000${scope ?? ''}\u0000${startS}`)
    .digest('hex')
    .slice(0, 20);
}

interface LiveDevice {
  committed: DeviceState;
  /** `committed` with the pending fixes applied; null when none are pending. */
  head: DeviceState | null;
  /** Fixes in the window, in time order: [t, lon, lat, ele] each. */
  pending: number[];
  lastCommittedT: number;
  /** Open alarms announced and not yet closed: id → the event as announced (null when none: most devices). */
  announced: Map<string, FenceEvent> | null;
  /** Events the speculative state closed that the committed state has not (yet); null when none. */
  specClosed: Set<string> | null;
}

export interface SavedLiveDevice {
  committed: SavedDeviceState;
  pending: number[];
  lastCommittedT: number | null;
  announced: Array<[string, FenceEvent]>;
}

/** What a fence alarm sink receives. */
export type AlarmSink = (alarm: Alarm) => void;

const eventKey = (e: FenceEvent): string => alarmId(e.type, e.device, e.licenseId, e.startS);

export class LiveFence {
  private readonly devices = new Map<string, LiveDevice>();
  private readonly fix = new Float64Array(FIX_SLOTS);
  private readonly closed: FenceEvent[] = [];
  private readonly opens: FenceEvent[] = [];

  /** Called with each fix as the committed state takes it (in time order per device): rules that need no speculation, e.g. washing. */
  onCommit: ((device: string, t: number, lon: number, lat: number, sink: AlarmSink) => void) | null = null;

  constructor(
    readonly engine: EventEngine,
    readonly reorderWindowS: number,
    private readonly iso: (s: number) => string,
  ) {}

  get deviceCount(): number {
    return this.devices.size;
  }

  /** One fix of a device; alarms it opens or closes go to `sink`. */
  push(deviceId: string, t: number, lon: number, lat: number, ele: number, sink: AlarmSink): PushResult {
    let dev = this.devices.get(deviceId);
    if (!dev) {
      dev = { committed: this.engine.newState(deviceId), head: null, pending: [], lastCommittedT: -Infinity, announced: null, specClosed: null };
      this.devices.set(deviceId, dev);
    }
    if (!(t > dev.lastCommittedT)) return t === dev.lastCommittedT ? 'duplicate' : 'late';
    const p = dev.pending;
    let k = p.length;
    while (k > 0 && p[k - 4]! > t) k -= 4;
    if (k > 0 && p[k - 4] === t) return 'duplicate';
    const closed = this.closed;
    if (this.reorderWindowS === 0) {
      this.advance(dev.committed, t, lon, lat, ele);
      this.onCommit?.(deviceId, t, lon, lat, sink);
      dev.lastCommittedT = t;
      for (const e of closed.splice(0)) this.close(dev, e, sink);
      this.announceOpen(dev, dev.committed, sink);
      return 'ok';
    }
    const inOrder = k === p.length;
    p.splice(k, 0, t, lon, lat, ele);
    if (inOrder) {
      dev.head ??= this.clone(dev.committed);
      this.advance(dev.head, t, lon, lat, ele);
    } else {
      dev.head = this.clone(dev.committed);
      dev.specClosed = null;
      for (let i = 0; i < p.length; i += 4) this.advance(dev.head, p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!);
    }
    for (const e of closed.splice(0)) {
      const id = eventKey(e);
      (dev.specClosed ??= new Set()).add(id);
      if (!dev.announced?.has(id)) this.open(dev, id, e, sink);
    }
    // Commit the fixes the window has passed.
    const horizon = p[p.length - 4]! - this.reorderWindowS;
    let n = 0;
    while (n < p.length && p[n]! <= horizon) {
      this.advance(dev.committed, p[n]!, p[n + 1]!, p[n + 2]!, p[n + 3]!);
      this.onCommit?.(deviceId, p[n]!, p[n + 1]!, p[n + 2]!, sink);
      dev.lastCommittedT = p[n]!;
      n += 4;
    }
    if (n > 0) {
      p.splice(0, n);
      if (p.length === 0) dev.head = null;
      for (const e of closed.splice(0)) this.close(dev, e, sink);
    }
    const opened = this.announceOpen(dev, dev.head ?? dev.committed, sink);
    if (!inOrder && dev.announced) {
      for (const [id, e] of dev.announced) {
        if (opened.has(id) || dev.specClosed?.has(id)) continue;
        dev.announced.delete(id);
        sink({ ...this.fenceAlarm(id, e, 'closed'), retracted: true });
      }
    }
    return 'ok';
  }

  private advance(s: DeviceState, t: number, lon: number, lat: number, ele: number): void {
    const fix = this.fix;
    fix[FIX_T] = t;
    fix[FIX_LON] = lon;
    fix[FIX_LAT] = lat;
    fix[FIX_ELE] = ele;
    this.engine.advance(s, fix, this.closed);
  }

  private clone(s: DeviceState): DeviceState {
    return this.engine.restoreState(this.engine.saveState(s));
  }

  private static readonly NONE: ReadonlySet<string> = new Set();

  /** Announce the qualifying open runs of `s` not yet announced; returns their ids (when any run is open). */
  private announceOpen(dev: LiveDevice, s: DeviceState, sink: AlarmSink): ReadonlySet<string> {
    if (!this.engine.hasOpenRun(s)) return LiveFence.NONE;
    const opens = this.opens;
    this.engine.openEvents(s, opens);
    const ids = new Set<string>();
    for (const e of opens.splice(0)) {
      const id = eventKey(e);
      ids.add(id);
      if (!dev.announced?.has(id)) this.open(dev, id, e, sink);
    }
    return ids;
  }

  private open(dev: LiveDevice, id: string, e: FenceEvent, sink: AlarmSink): void {
    (dev.announced ??= new Map()).set(id, e);
    sink(this.fenceAlarm(id, e, 'open'));
  }

  /** A committed (final) event: closed, after its open when that was never announced. */
  private close(dev: LiveDevice, e: FenceEvent, sink: AlarmSink): void {
    const id = eventKey(e);
    if (!dev.announced?.has(id)) sink(this.fenceAlarm(id, e, 'open'));
    if (dev.announced?.delete(id) && dev.announced.size === 0) dev.announced = null;
    if (dev.specClosed?.delete(id) && dev.specClosed.size === 0) dev.specClosed = null;
    sink(this.fenceAlarm(id, e, 'closed'));
  }

  private fenceAlarm(id: string, e: FenceEvent, state: 'open' | 'closed'): Alarm {
    const a: Alarm = { id, type: e.type, state, device: e.device, licenseId: e.licenseId, start: this.iso(e.startS), startS: e.startS, maxDistanceM: e.maxDistanceM, fixes: e.fixes };
    if (state === 'closed') {
      a.end = this.iso(e.endS);
      a.endS = e.endS;
    }
    return a;
  }

  /**
   * End of the stream (a replayed file, a test): apply the pending fixes and
   * close every open run, as the batch API does at the end of a track.
   */
  flush(sink: AlarmSink): void {
    for (const [id, dev] of this.devices) {
      const p = dev.pending;
      for (let i = 0; i < p.length; i += 4) {
        this.advance(dev.committed, p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!);
        this.onCommit?.(id, p[i]!, p[i + 1]!, p[i + 2]!, sink);
      }
      if (p.length) dev.lastCommittedT = p[p.length - 4]!;
      p.length = 0;
      dev.head = null;
      this.engine.finish(dev.committed, this.closed);
      for (const e of this.closed.splice(0)) this.close(dev, e, sink);
    }
  }

  /** The last position applied to each device (speculative state included), for the live page. */
  *positions(): Generator<{ device: string; t: number; lon: number; lat: number; open: number }> {
    for (const [device, dev] of this.devices) {
      const s = dev.head ?? dev.committed;
      if (Number.isFinite(s.prevT)) yield { device, t: s.prevT, lon: s.prevLon, lat: s.prevLat, open: dev.announced?.size ?? 0 };
    }
  }

  /** The alarms open now (announced, not closed). */
  *openAlarms(): Generator<Alarm> {
    for (const dev of this.devices.values()) for (const [id, e] of dev.announced ?? []) yield this.fenceAlarm(id, e, 'open');
  }

  save(): Record<string, SavedLiveDevice> {
    const out: Record<string, SavedLiveDevice> = {};
    for (const [id, dev] of this.devices) {
      out[id] = {
        committed: this.engine.saveState(dev.committed),
        pending: dev.pending.map((x) => (Number.isFinite(x) ? x : null)) as number[],
        lastCommittedT: Number.isFinite(dev.lastCommittedT) ? dev.lastCommittedT : null,
        announced: [...(dev.announced ?? [])],
      };
    }
    return out;
  }

  /** The state `save` returned; the speculative states are rebuilt from the pending fixes (announcing nothing new). */
  restore(saved: Record<string, SavedLiveDevice>): void {
    this.devices.clear();
    for (const [id, d] of Object.entries(saved)) {
      const dev: LiveDevice = {
        committed: this.engine.restoreState(d.committed),
        head: null,
        pending: d.pending.map((x) => (x === null ? NaN : x)),
        lastCommittedT: d.lastCommittedT ?? -Infinity,
        announced: d.announced.length ? new Map(d.announced) : null,
        specClosed: null,
      };
      if (dev.pending.length) {
        dev.head = this.clone(dev.committed);
        const p = dev.pending;
        for (let i = 0; i < p.length; i += 4) this.advance(dev.head, p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!);
        for (const e of this.closed.splice(0)) (dev.specClosed ??= new Set()).add(eventKey(e));
      }
      this.devices.set(id, dev);
    }
  }
}

/** Values of one reading message by pollutant (µg/m³; NaN when absent). */
export interface ReadingValues {
  TSP: number;
  PM10: number;
  'PM2.5': number;
}

const POLLUTANTS: Pollutant[] = ['TSP', 'PM10', 'PM2.5'];

interface LiveStation {
  /** Readings in the window, in time order: [t, TSP, PM10, PM2.5] each. */
  pending: number[];
  lastCommittedT: number;
  announced: Set<string>;
}

/**
 * Dust alarms live: per rule a `DustMonitor` (the batch `dust` command's
 * engine), readings held for the reorder window and applied in time order.
 * An alarm opens when the window mean that starts it is applied.
 */
export class LiveDust {
  readonly monitors: DustMonitor[];
  private readonly stations = new Map<string, LiveStation>();

  constructor(
    readonly rules: DustRule[],
    readonly reorderWindowS: number,
    private readonly iso: (s: number) => string,
    private readonly licenseOf: (station: string) => string | null,
  ) {
    this.monitors = rules.map((r) => new DustMonitor(r));
  }

  push(station: string, t: number, values: ReadingValues, sink: AlarmSink): PushResult {
    let st = this.stations.get(station);
    if (!st) this.stations.set(station, (st = { pending: [], lastCommittedT: -Infinity, announced: new Set() }));
    if (!(t > st.lastCommittedT)) return t === st.lastCommittedT ? 'duplicate' : 'late';
    const p = st.pending;
    let k = p.length;
    while (k > 0 && p[k - 4]! > t) k -= 4;
    if (k > 0 && p[k - 4] === t) return 'duplicate';
    p.splice(k, 0, t, values.TSP, values.PM10, values['PM2.5']);
    this.commit(station, st, p[p.length - 4]! - this.reorderWindowS, sink);
    return 'ok';
  }

  /** Apply a station's readings up to `horizon`, in time order. */
  private commit(station: string, st: LiveStation, horizon: number, sink: AlarmSink): void {
    const p = st.pending;
    let n = 0;
    while (n < p.length && p[n]! <= horizon) {
      for (const [r, monitor] of this.monitors.entries()) {
        const j = POLLUTANTS.indexOf(this.rules[r]!.pollutant);
        const v = p[n + 1 + j]!;
        if (Number.isNaN(v)) continue;
        for (const a of monitor.push(station, p[n]!, this.rules[r]!.pollutant, v)) this.close(st, a, sink);
        const open = monitor.openAlarm(station);
        if (open) {
          const id = alarmId('dust', station, open.rule, open.start);
          if (!st.announced.has(id)) {
            st.announced.add(id);
            sink(this.dustAlarm(id, open, 'open'));
          }
        }
      }
      st.lastCommittedT = p[n]!;
      n += 4;
    }
    p.splice(0, n);
  }

  private close(st: LiveStation | undefined, a: DustAlarm, sink: AlarmSink): void {
    const id = alarmId('dust', a.station, a.rule, a.start);
    if (!st?.announced.has(id)) sink(this.dustAlarm(id, a, 'open'));
    st?.announced.delete(id);
    sink(this.dustAlarm(id, a, 'closed'));
  }

  /** End of the stream: apply what the window holds and close every alarm, as the batch command does at the end of its data. */
  flush(sink: AlarmSink): void {
    for (const [station, st] of this.stations) this.commit(station, st, Infinity, sink);
    for (const m of this.monitors) for (const a of m.flush()) this.close(this.stations.get(a.station), a, sink);
  }

  private dustAlarm(id: string, a: DustAlarm, state: 'open' | 'closed'): Alarm {
    const alarm: Alarm = { id, type: 'dust', state, station: a.station, licenseId: this.licenseOf(a.station), rule: a.rule, start: this.iso(a.start), startS: a.start, peak: a.peakUgM3 };
    if (state === 'closed') {
      alarm.end = this.iso(a.end);
      alarm.endS = a.end;
    }
    return alarm;
  }

  *openAlarms(): Generator<Alarm> {
    for (const [station] of this.stations) {
      for (const m of this.monitors) {
        const a = m.openAlarm(station);
        if (a) yield this.dustAlarm(alarmId('dust', station, a.rule, a.start), a, 'open');
      }
    }
  }

  save(): { stations: Record<string, { pending: Array<number | null>; lastCommittedT: number | null; announced: string[] }>; monitors: Array<Record<string, unknown>> } {
    const stations: Record<string, { pending: Array<number | null>; lastCommittedT: number | null; announced: string[] }> = {};
    for (const [id, s] of this.stations) stations[id] = { pending: s.pending.map((x) => (Number.isFinite(x) ? x : null)), lastCommittedT: Number.isFinite(s.lastCommittedT) ? s.lastCommittedT : null, announced: [...s.announced] };
    return { stations, monitors: this.monitors.map((m) => m.save()) };
  }

  restore(saved: ReturnType<LiveDust['save']>): void {
    this.stations.clear();
    for (const [id, s] of Object.entries(saved.stations)) {
      this.stations.set(id, { pending: s.pending.map((x) => (x === null ? NaN : x)), lastCommittedT: s.lastCommittedT ?? -Infinity, announced: new Set(s.announced) });
    }
    saved.monitors.forEach((m, i) => this.monitors[i]?.restore(m));
  }
}
