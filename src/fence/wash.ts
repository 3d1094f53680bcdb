/**
 * Truck washing (R4.2, 车辆冲洗): every exit of a truck from its site must be
 * preceded by a dwell of at least `minWashS` in a wash zone within the
 * `withinS` before the exit. An exit is the step from a fix within the site
 * (inside, or outside by no more than the tolerance) to a fix beyond it; when
 * exit zones are given, only steps whose last fix within the site, or first
 * fix beyond it, lies in an exit zone count as exits (other steps out of the
 * site are excursions, reported by the fence).
 */
import { DEFAULT_THRESHOLDS } from '../audit/options.js';
import { GreenmineError } from '../errors.js';
import type { Track } from '../track/model.js';
import type { FenceEvent } from './events.js';
import type { FenceIndex } from './fence-index.js';

export interface WashOptions {
  /** Shortest acceptable dwell in a wash zone before an exit (default 60 s). */
  minWashS?: number;
  /** How long before the exit the dwell must fall (default 600 s). */
  withinS?: number;
  /** Allowance before a fix counts as outside the site (default 5 m). */
  toleranceM?: number;
}

export interface WashEvent extends FenceEvent {
  type: 'wash';
  /** Time spent in wash zones within the window before the exit, seconds. */
  washDwellS: number;
}

function resolveWash(options: WashOptions): Required<WashOptions> {
  const r = { minWashS: options.minWashS ?? DEFAULT_THRESHOLDS.minWashS, withinS: options.withinS ?? DEFAULT_THRESHOLDS.washWithinS, toleranceM: options.toleranceM ?? DEFAULT_THRESHOLDS.fenceToleranceM };
  for (const [key, v] of Object.entries(r)) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new GreenmineError('FENCE_BAD_OPTION', `${key} must be a finite number ≥ 0, got ${v}`);
  }
  return r;
}

/**
 * Wash violations of one track. `site` is the fence of the site (its licenses),
 * `washZones` a fence built from the wash-zone polygons, `exits` one built
 * from exit-zone polygons (optional).
 */
export function detectWashViolations(site: FenceIndex, washZones: FenceIndex, track: Track, options: WashOptions = {}, exits?: FenceIndex): WashEvent[] {
  // The streaming monitor over the whole track: one implementation of the rule for both uses.
  const monitor = new WashMonitor(site, washZones, options, exits);
  const events: WashEvent[] = [];
  for (let i = 0; i < track.timeS.length; i++) events.push(...monitor.push(track.deviceId, track.timeS[i]!, track.lon[i]!, track.lat[i]!));
  return events;
}

interface WashState {
  device: string;
  index: number;
  prevT: number;
  prevDistance: number;
  prevInWash: boolean;
  prevInExit: boolean;
  home: number;
  washedS: number;
  /** Recent fixes (time, cumulative wash time at that fix) as a queue over growable arrays. */
  times: Float64Array;
  washed: Float64Array;
  head: number;
  tail: number;
}

/** What `push` returns when a fix closes no event (shared, frozen): nothing is allocated per fix. */
const NO_WASH_EVENTS: readonly WashEvent[] = Object.freeze([]);

/**
 * Streaming wash rule with per-device state: `push` one fix at a time (in time
 * order per device) and receive the violation it reveals; `detectWashViolations`
 * runs it over a whole track. Memory per device is the fixes of the last
 * `withinS` seconds.
 */
export class WashMonitor {
  private readonly devices = new Map<string, WashState>();
  private readonly scratch = new Float64Array(3);
  private readonly minWashS: number;
  private readonly withinS: number;
  private readonly toleranceM: number;

  constructor(
    readonly site: FenceIndex,
    readonly washZones: FenceIndex,
    options: WashOptions = {},
    readonly exits?: FenceIndex,
  ) {
    ({ minWashS: this.minWashS, withinS: this.withinS, toleranceM: this.toleranceM } = resolveWash(options));
  }

  /** Every device's state as JSON (a checkpoint); licenses by id. */
  save(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const num = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
    for (const [id, s] of this.devices) {
      out[id] = [
        s.index,
        num(s.prevT),
        num(s.prevDistance),
        s.prevInWash,
        s.prevInExit,
        s.home >= 0 ? this.site.licenseIds[s.home]! : null,
        s.washedS,
        Array.from(s.times.subarray(s.head, s.tail)),
        Array.from(s.washed.subarray(s.head, s.tail)),
      ];
    }
    return out;
  }

  /** The state `save` returned. */
  restore(saved: Record<string, unknown>): void {
    this.devices.clear();
    const index = new Map(this.site.licenseIds.map((id, i) => [id, i]));
    for (const [id, v] of Object.entries(saved)) {
      const [n, prevT, prevDistance, prevInWash, prevInExit, home, washedS, times, washed] = v as [number, number | string, number | string, boolean, boolean, string | null, number, number[], number[]];
      const size = Math.max(64, times.length * 2);
      const t = new Float64Array(size),
        w = new Float64Array(size);
      t.set(times);
      w.set(washed);
      this.devices.set(id, {
        device: id,
        index: n,
        prevT: Number(prevT),
        prevDistance: Number(prevDistance),
        prevInWash,
        prevInExit,
        home: home === null ? -1 : (index.get(home) ?? -1),
        washedS,
        times: t,
        washed: w,
        head: 0,
        tail: times.length,
      });
    }
  }

  push(deviceId: string, timeS: number, lon: number, lat: number): readonly WashEvent[] {
    let s = this.devices.get(deviceId);
    if (!s) {
      s = { device: deviceId, index: 0, prevT: NaN, prevDistance: NaN, prevInWash: false, prevInExit: false, home: -1, washedS: 0, times: new Float64Array(64), washed: new Float64Array(64), head: 0, tail: 0 };
      this.devices.set(deviceId, s);
    }
    if (timeS < s.prevT) throw new GreenmineError('FENCE_OUT_OF_ORDER', `device ${deviceId}: fix at ${timeS} is earlier than the previous one (${s.prevT}); push fixes in time order`);
    const q = this.site.query3(lon, lat, this.scratch);
    const license = q[0]!,
      distance = q[1]!;
    const inWash = this.washZones.locate(lon, lat) >= 0;
    const inExit = this.exits ? this.exits.locate(lon, lat) >= 0 : true;
    const i = s.index++;
    let out: readonly WashEvent[] = NO_WASH_EVENTS;
    if (i > 0) {
      if (s.prevInWash && inWash) s.washedS += timeS - s.prevT;
      const leaving = s.prevDistance <= this.toleranceM && distance > this.toleranceM;
      if (leaving && (!this.exits || s.prevInExit || inExit)) {
        const exitT = s.prevT;
        while (s.times[s.head]! < exitT - this.withinS) s.head++;
        // The cumulative wash time at the previous fix is the last one queued.
        const dwellS = s.washed[s.tail - 1]! - s.washed[s.head]!;
        if (dwellS < this.minWashS) {
          out = [
            {
              type: 'wash',
              device: deviceId,
              licenseId: s.home >= 0 ? this.site.licenseIds[s.home]! : null,
              startS: exitT,
              endS: timeS,
              durationS: timeS - exitT,
              fixes: 2,
              maxDistanceM: null,
              startIndex: i - 1,
              endIndex: i,
              firstBackIndex: null,
              washDwellS: dwellS,
            },
          ];
        }
      }
    }
    // Queue this fix; drop what no later exit can need (older than this fix's time − withinS).
    while (s.head < s.tail && s.times[s.head]! < timeS - this.withinS) s.head++;
    if (s.tail === s.times.length) {
      const live = s.tail - s.head;
      const size = live * 2 > s.times.length ? s.times.length * 2 : s.times.length;
      const times = new Float64Array(size),
        washed = new Float64Array(size);
      times.set(s.times.subarray(s.head, s.tail));
      washed.set(s.washed.subarray(s.head, s.tail));
      [s.times, s.washed, s.head, s.tail] = [times, washed, 0, live];
    }
    s.times[s.tail] = timeS;
    s.washed[s.tail++] = s.washedS;
    if (license >= 0) s.home = license;
    s.prevT = timeS;
    s.prevDistance = distance;
    s.prevInWash = inWash;
    s.prevInExit = inExit;
    return out;
  }
}
