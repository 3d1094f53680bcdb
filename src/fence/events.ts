/**
 * Fence events from tracks: out-of-bounds excursions (越界), crossings between
 * sparse fixes, pre-warnings (预警), fixes below the licensed floor (超层),
 * runs outside every license (provincial mode) and positioning feed gaps.
 *
 * One per-device state machine (`DeviceState.step`) serves both the batch API
 * (`detectEvents`, which locates all fixes first in one typed-array pass) and
 * the streaming monitor (`FenceMonitor.push`), so both give the same events.
 */
import { DEFAULT_THRESHOLDS } from '../audit/options.js';
import { GreenmineError } from '../errors.js';
import type { Track } from '../track/model.js';
import type { FenceIndex } from './fence-index.js';

export type FenceEventType = 'out-of-bounds' | 'crossing' | 'pre-warning' | 'below-floor' | 'outside-all' | 'gap' | 'wash';

export interface FenceEvent {
  type: FenceEventType;
  device: string;
  /** The license concerned: the one the device was last inside, else the nearest; null when none is known. */
  licenseId: string | null;
  startS: number;
  endS: number;
  durationS: number;
  fixes: number;
  /**
   * out-of-bounds / outside-all / crossing: the largest distance outside (m);
   * pre-warning: the closest approach to the boundary from inside (m; 0 when a fix was on or just past it, within the tolerance);
   * below-floor: the largest depth below the floor (m); gap: null.
   */
  maxDistanceM: number | null;
  /** Index (in the device's fix sequence) of the first and last fix of the event. */
  startIndex: number;
  endIndex: number;
  /** Index of the first fix back within the fence after an excursion, or null when the track ends outside. */
  firstBackIndex: number | null;
}

export interface EventOptions {
  /** GNSS noise allowance: a fix counts as outside only beyond this distance (default 5 m). */
  toleranceM?: number;
  /** Drop runs shorter than this (default 0 s). */
  minDurationS?: number;
  /** Drop runs with fewer fixes (default 1). */
  minFixes?: number;
  /** Pre-warning for fixes inside but within this distance of the boundary (default 0: off). */
  warnDistanceM?: number;
  /** Report gaps between fixes longer than this (default 0: off). */
  maxGapS?: number;
  /** Check the straight segment between consecutive inside fixes (default true). */
  segmentCheck?: boolean;
  /** Vertical allowance below the licensed floor (default 1 m). */
  verticalToleranceM?: number;
  /**
   * Added to the licensed elevations before comparing with fix elevations:
   * GNSS gives ellipsoidal heights, licenses normal heights (1985 national
   * height datum); in Zhejiang the difference (geoid undulation) is about
   * +8 to +12 m. Default 0 (fix elevations already normal heights).
   */
  heightOffsetM?: number;
  /** 'license' (default): excursions from the licenses; 'province': runs inside no license ('outside-all'). */
  mode?: 'license' | 'province';
}

type Resolved = Required<EventOptions>;

function resolve(options: EventOptions): Resolved {
  const r: Resolved = {
    toleranceM: options.toleranceM ?? DEFAULT_THRESHOLDS.fenceToleranceM,
    minDurationS: options.minDurationS ?? 0,
    minFixes: options.minFixes ?? 1,
    warnDistanceM: options.warnDistanceM ?? 0,
    maxGapS: options.maxGapS ?? 0,
    segmentCheck: options.segmentCheck ?? true,
    verticalToleranceM: options.verticalToleranceM ?? 1,
    heightOffsetM: options.heightOffsetM ?? 0,
    mode: options.mode ?? 'license',
  };
  for (const key of ['toleranceM', 'minDurationS', 'minFixes', 'warnDistanceM', 'maxGapS', 'verticalToleranceM'] as const) {
    if (!(r[key] >= 0) || !Number.isFinite(r[key])) throw new GreenmineError('FENCE_BAD_OPTION', `${key} must be a finite number ≥ 0, got ${r[key]}`);
  }
  if (!Number.isFinite(r.heightOffsetM)) throw new GreenmineError('FENCE_BAD_OPTION', `heightOffsetM must be finite, got ${r.heightOffsetM}`);
  return r;
}

/** JSON has no NaN or ±Infinity: they are saved as strings. */
type SavedNumber = number | 'NaN' | 'Infinity' | '-Infinity';
const num = (x: number): SavedNumber => (Number.isFinite(x) ? x : (String(x) as SavedNumber));
const unnum = (x: SavedNumber): number => (typeof x === 'number' ? x : Number(x));

type SavedRun = [startIndex: number, startS: number, endIndex: number, endS: number, fixes: number, extreme: SavedNumber, license: string | null];

/** A device's fence state as JSON (`EventEngine.saveState`). */
export interface SavedDeviceState {
  device: string;
  n: SavedNumber[];
  home: string | null;
  nearest: string | null;
  witness: [string, number, number, number] | null;
  out: SavedRun | null;
  warn: SavedRun | null;
  floor: SavedRun | null;
}

interface Run {
  startIndex: number;
  startS: number;
  endIndex: number;
  endS: number;
  fixes: number;
  extreme: number;
  license: number;
}

const METRES_PER_DEG_LAT = 110_574;

/** Slots of the fix array given to `EventEngine.step`; query3 writes four values from FIX_LICENSE on. */
export const FIX_T = 0;
export const FIX_LON = 1;
export const FIX_LAT = 2;
export const FIX_ELE = 3;
export const FIX_LICENSE = 4;
/** NaN when the distance at FIX_LICENSE + 1 is measured; else it is a lower bound, and this slot an upper bound. */
export const FIX_HIGH = 8;
export const FIX_SLOTS = 9;

/** Metres per degree of latitude, at most (the poles): with it, moves are never underestimated. */
const MAX_METRES_PER_DEG_LAT = 111_700;
/** Safety factor on moves against the fence's plane distances (GK scale ≤ 1.0003 within 1.5° of a zone's meridian). */
const MOVE_FACTOR = 1.01;

/** Per-device state: the open runs and the previous fix. */
export class DeviceState {
  index = 0;
  prevT = NaN;
  prevLon = NaN;
  prevLat = NaN;
  prevD = NaN;
  prevEdge = -1;
  home = -1;
  /**
   * Bounds of the last fix's signed distance (equal when measured): a fix that moved m metres
   * since lies within [lowD − m, highD + m], since the distance is 1-Lipschitz.
   */
  lowD = NaN;
  highD = NaN;
  nearest = -1;
  /** The latitude cosMax was computed around: the largest cos(latitude) within 0.05° of it. */
  cosLat = NaN;
  cosMax = 1;
  /**
   * A boundary point of license `witnessLicense` ([block, x, y], see FenceIndex.witnessDistanceM), to bound the
   * distance of far fixes; allocated on a device's first far excursion (most devices never have one).
   */
  witness: Float64Array | null = null;
  witnessLicense = -1;
  out: Run | null = null;
  warn: Run | null = null;
  floor: Run | null = null;

  constructor(readonly device: string) {}
}

export class EventEngine {
  private readonly o: Resolved;
  private readonly stack = new Float64Array(4 * 64);
  private readonly floorsM: Float64Array;
  /** No pre-warnings and no licensed floors: fixes need only the excursion rules. */
  private readonly plain: boolean;

  /** `floorsM[license]`: the licensed floor (开采标高 min) per license index, NaN when not licensed. */
  constructor(
    readonly fence: FenceIndex,
    options: EventOptions = {},
    floorsM?: ArrayLike<number>,
  ) {
    this.o = resolve(options);
    this.floorsM = new Float64Array(fence.licenseCount).fill(NaN);
    if (floorsM) this.floorsM.set(floorsM);
    this.plain = !(this.o.warnDistanceM > 0) && !this.floorsM.some((f) => !Number.isNaN(f));
  }

  newState(device: string): DeviceState {
    return new DeviceState(device);
  }

  private id(license: number): string | null {
    return license >= 0 ? this.fence.licenseIds[license]! : null;
  }

  private emit(s: DeviceState, type: FenceEventType, run: Run, firstBack: number | null, out: FenceEvent[]): void {
    const durationS = run.endS - run.startS;
    if (run.fixes < this.o.minFixes || durationS < this.o.minDurationS) return;
    out.push(this.event(s, type, run, firstBack));
  }

  private event(s: DeviceState, type: FenceEventType, run: Run, firstBack: number | null): FenceEvent {
    const durationS = run.endS - run.startS;
    return {
      type,
      device: s.device,
      licenseId: this.id(run.license),
      startS: run.startS,
      endS: run.endS,
      durationS,
      fixes: run.fixes,
      maxDistanceM: Number.isFinite(run.extreme) ? run.extreme : null,
      startIndex: run.startIndex,
      endIndex: run.endIndex,
      firstBackIndex: firstBack,
    };
  }

  /**
   * The runs still open on a device that already qualify as events (enough
   * fixes and duration): what `finish` would close now. A live service
   * announces them as open alarms; each becomes, unchanged in type, license
   * and start, the event the batch API reports once the run ends.
   */
  openEvents(s: DeviceState, out: FenceEvent[]): void {
    if (s.out) this.emit(s, this.o.mode === 'province' ? 'outside-all' : 'out-of-bounds', s.out, null, out);
    if (s.warn) this.emit(s, 'pre-warning', s.warn, null, out);
    if (s.floor) this.emit(s, 'below-floor', s.floor, null, out);
  }

  /** Whether a device has a run open (qualified or not). */
  hasOpenRun(s: DeviceState): boolean {
    return s.out !== null || s.warn !== null || s.floor !== null;
  }

  /**
   * A device's state as plain JSON (licenses by id, so a checkpoint survives a
   * change of the license set: runs of a license no longer there keep no
   * license, the cached boundary witness is dropped).
   */
  saveState(s: DeviceState): SavedDeviceState {
    const ids = this.fence.licenseIds;
    const lic = (i: number): string | null => (i >= 0 ? ids[i]! : null);
    const run = (r: Run | null): SavedRun | null => (r ? [r.startIndex, r.startS, r.endIndex, r.endS, r.fixes, num(r.extreme), lic(r.license)] : null);
    return {
      device: s.device,
      n: [s.index, s.prevT, s.prevLon, s.prevLat, s.prevD, s.prevEdge, s.lowD, s.highD, s.cosLat, s.cosMax].map(num),
      home: lic(s.home),
      nearest: lic(s.nearest),
      witness: s.witnessLicense >= 0 && s.witness ? [lic(s.witnessLicense)!, s.witness[0]!, s.witness[1]!, s.witness[2]!] : null,
      out: run(s.out),
      warn: run(s.warn),
      floor: run(s.floor),
    };
  }

  restoreState(saved: SavedDeviceState): DeviceState {
    const s = new DeviceState(saved.device);
    const index = new Map(this.fence.licenseIds.map((id, i) => [id, i]));
    const lic = (id: string | null): number => (id === null ? -1 : (index.get(id) ?? -1));
    const n = saved.n.map(unnum);
    [s.index, s.prevT, s.prevLon, s.prevLat, s.prevD, s.prevEdge, s.lowD, s.highD, s.cosLat, s.cosMax] = n as [number, number, number, number, number, number, number, number, number, number];
    s.home = lic(saved.home);
    s.nearest = lic(saved.nearest);
    if (saved.witness && lic(saved.witness[0]) >= 0 && this.fence.licenseIds.length === index.size) {
      s.witnessLicense = lic(saved.witness[0]);
      s.witness = Float64Array.from(saved.witness.slice(1) as number[]);
    }
    const run = (r: SavedRun | null): Run | null => (r ? { startIndex: r[0], startS: r[1], endIndex: r[2], endS: r[3], fixes: r[4], extreme: unnum(r[5]), license: lic(r[6]) } : null);
    s.out = run(saved.out);
    s.warn = run(saved.warn);
    s.floor = run(saved.floor);
    return s;
  }

  /**
   * Locate one fix of a device and advance it (time, position and elevation
   * in `fix`, see FIX_*). While an excursion goes on and the fix can be
   * neither back within the tolerance nor beyond the run's maximum — by the
   * previous fix's distance bounds widened by the distance moved (distances
   * are 1-Lipschitz) — it is not located: it is certainly outside every
   * license, and the events are the same as when every fix is located.
   */
  advance(s: DeviceState, fix: Float64Array, out: FenceEvent[]): void {
    const lon = fix[FIX_LON]!,
      lat = fix[FIX_LAT]!;
    const r = s.out;
    if (r && s.index > 0) {
      // cos(latitude), at most, over a 0.1° band (recomputed when the fixes leave it).
      if (Math.abs(lat - s.cosLat) > 0.05 || Math.abs(s.prevLat - s.cosLat) > 0.05) {
        s.cosLat = lat;
        s.cosMax = Math.cos((Math.max(0, Math.abs(lat) - 0.05) * Math.PI) / 180);
      }
      const mx = (lon - s.prevLon) * 111_320 * s.cosMax,
        my = (lat - s.prevLat) * MAX_METRES_PER_DEG_LAT;
      const movedM = Math.sqrt(mx * mx + my * my) * MOVE_FACTOR;
      const low = s.lowD - movedM,
        high = s.highD + movedM;
      if (low > this.o.toleranceM && (this.o.mode === 'province' || (s.home >= 0 && high <= r.extreme))) {
        if (this.plain && !(this.o.maxGapS > 0)) {
          // What `step` does with such a fix when there are no pre-warnings, floors or gap checks, inline.
          const i = s.index++;
          r.endIndex = i;
          r.endS = fix[FIX_T]!;
          r.fixes++;
          if (r.license < 0) r.license = s.home >= 0 ? s.home : s.nearest;
          s.prevT = fix[FIX_T]!;
          s.prevLon = lon;
          s.prevLat = lat;
          s.prevD = s.lowD = low;
          s.highD = high;
          s.prevEdge = -1;
          return;
        }
        fix[FIX_LICENSE] = -1;
        fix[FIX_LICENSE + 1] = low;
        fix[FIX_LICENSE + 2] = s.nearest;
        fix[FIX_LICENSE + 3] = -1;
        fix[FIX_HIGH] = high;
        this.step(s, fix, out);
        return;
      }
    }
    this.fence.query3(lon, lat, fix, FIX_LICENSE);
    fix[FIX_HIGH] = NaN;
    this.step(s, fix, out);
  }

  /**
   * Advance one device by one fix whose location is already known, given in
   * `fix` (see FIX_*): time, position, elevation, then as `FenceIndex.query3`
   * writes them at FIX_LICENSE: the containing license or -1, the signed
   * distance (±Infinity beyond the search radius), the nearest license or -1
   * and the edge measured to. (A typed array, so no number is boxed per fix.)
   * Closed events go to `out`.
   */
  step(s: DeviceState, fix: Float64Array, out: FenceEvent[]): void {
    const t = fix[FIX_T]!,
      lon = fix[FIX_LON]!,
      lat = fix[FIX_LAT]!,
      ele = fix[FIX_ELE]!;
    const license = fix[FIX_LICENSE]!,
      d = fix[FIX_LICENSE + 1]!,
      nearest = fix[FIX_LICENSE + 2]!,
      edge = fix[FIX_LICENSE + 3]!;
    // Not measured (see `advance`): d is a lower bound beyond the tolerance, high an upper bound within the run's maximum.
    const high = fix[FIX_HIGH]!;
    const measured = Number.isNaN(high);
    const o = this.o;
    const i = s.index++;
    if (license >= 0) s.home = license;
    const homeOrNearest = s.home >= 0 ? s.home : nearest;
    // An upper bound of the distance an excursion records for this fix (to the license it left): the
    // measured distance when that license is the nearest.
    let highD = !measured ? high : d !== Infinity && (nearest === homeOrNearest || o.mode === 'province') ? d : Infinity;

    if (o.maxGapS > 0 && t - s.prevT > o.maxGapS) {
      out.push({ type: 'gap', device: s.device, licenseId: this.id(homeOrNearest), startS: s.prevT, endS: t, durationS: t - s.prevT, fixes: 0, maxDistanceM: null, startIndex: i - 1, endIndex: i, firstBackIndex: null });
    }

    const isOut = d > o.toleranceM;
    // Excursions (or, provincially, runs inside no license).
    if (isOut) {
      if (!s.out) s.out = { startIndex: i, startS: t, endIndex: i, endS: t, fixes: 0, extreme: -Infinity, license: homeOrNearest };
      const r = s.out;
      let distance = measured ? d : -Infinity;
      if (distance === Infinity && o.mode === 'license' && homeOrNearest >= 0) {
        // Beyond the search radius: the distance to the license matters only when it beats the run's
        // maximum. The distance to the boundary point found last (the witness) bounds it from above;
        // measure only when that bound does not settle it.
        const witnessM = s.witnessLicense === homeOrNearest ? this.fence.witnessDistanceM(s.witness!, lon, lat) : Infinity;
        if (witnessM <= r.extreme) {
          distance = -Infinity;
          highD = witnessM;
        } else {
          // The exact distance (and the boundary point it is measured to, the next witness).
          distance = highD = this.fence.outsideDistanceM(homeOrNearest, lon, lat, (s.witness ??= new Float64Array(3)));
          s.witnessLicense = homeOrNearest;
        }
      }
      r.endIndex = i;
      r.endS = t;
      r.fixes++;
      if (distance > r.extreme) r.extreme = distance;
      if (r.license < 0) r.license = homeOrNearest;
    } else {
      if (s.out) {
        this.emit(s, o.mode === 'province' ? 'outside-all' : 'out-of-bounds', s.out, i, out);
        s.out = null;
      } else if (o.segmentCheck && i > 0 && !(s.prevD > o.toleranceM)) {
        // The whole segment is at most (d₀ + d₁ + length)/2 out, and its length at most the metres of its
        // latitude and longitude differences (1.11 m per 1e-5° of either): most segments stop here.
        const reachM = (s.prevD + d + Math.abs(lon - s.prevLon) * 111_320 + Math.abs(lat - s.prevLat) * METRES_PER_DEG_LAT) / 2;
        // Both fixes measured to the same edge and within the tolerance of it: the distance to an edge is
        // convex along the segment, so no point between them is farther out than the two fixes.
        const sameEdge = edge >= 0 && edge === s.prevEdge && -d <= o.toleranceM && -s.prevD <= o.toleranceM;
        if (reachM > o.toleranceM && !sameEdge) this.checkSegment(s, t, lon, lat, d, homeOrNearest, i, out);
      }
    }

    s.prevT = t;
    s.prevLon = lon;
    s.prevLat = lat;
    s.prevD = d;
    s.prevEdge = edge;
    // Beyond the search radius the distance is at least the radius.
    s.lowD = d === Infinity ? this.fence.searchRadiusM : d;
    s.highD = highD;
    if (measured) s.nearest = nearest;
    if (this.plain) return;

    // Pre-warning: within the fence (inside, or outside within the tolerance) but close to the boundary.
    const warning = o.warnDistanceM > 0 && !isOut && -d < o.warnDistanceM;
    if (warning) {
      if (!s.warn) s.warn = { startIndex: i, startS: t, endIndex: i, endS: t, fixes: 0, extreme: Infinity, license: homeOrNearest };
      s.warn.endIndex = i;
      s.warn.endS = t;
      s.warn.fixes++;
      const approach = d < 0 ? -d : 0;
      if (approach < s.warn.extreme) s.warn.extreme = approach;
    } else if (s.warn) {
      this.emit(s, 'pre-warning', s.warn, null, out);
      s.warn = null;
    }

    // Depth: below the licensed floor.
    const floor = license >= 0 ? this.floorsM[license]! : NaN;
    const depth = floor + o.heightOffsetM - ele;
    if (depth > o.verticalToleranceM) {
      if (!s.floor) s.floor = { startIndex: i, startS: t, endIndex: i, endS: t, fixes: 0, extreme: -Infinity, license };
      s.floor.endIndex = i;
      s.floor.endS = t;
      s.floor.fixes++;
      if (depth > s.floor.extreme) s.floor.extreme = depth;
    } else if (s.floor) {
      this.emit(s, 'below-floor', s.floor, null, out);
      s.floor = null;
    }
  }

  /**
   * Two consecutive fixes within the fence: does the straight segment between
   * them leave it by more than the tolerance? The signed distance is
   * 1-Lipschitz along the segment, so on a piece [a, b] of length h with end
   * distances dₐ, d_b it cannot exceed (dₐ + d_b + h)/2. Pieces are bisected
   * (depth first, on a fixed stack) only while that bound exceeds both the
   * tolerance and the best distance found (to 1 cm), so a segment that stays
   * inside costs a handful of queries.
   */
  private checkSegment(s: DeviceState, t: number, lon: number, lat: number, d: number, license: number, i: number, out: FenceEvent[]): void {
    const o = this.o;
    const dLon = Math.abs(lon - s.prevLon),
      dLat = Math.abs(lat - s.prevLat);
    const ex = dLon * 111_320 * Math.cos((lat * Math.PI) / 180),
      ey = dLat * METRES_PER_DEG_LAT;
    const lengthM = Math.sqrt(ex * ex + ey * ey);
    const stack = this.stack;
    let top = 0;
    let best = -Infinity;
    stack[0] = 0;
    stack[1] = 1;
    stack[2] = s.prevD;
    stack[3] = d;
    top = 4;
    while (top > 0) {
      top -= 4;
      const a = stack[top]!,
        b = stack[top + 1]!,
        da = stack[top + 2]!,
        db = stack[top + 3]!;
      const h = (b - a) * lengthM;
      const bound = (da + db + h) / 2;
      if (bound <= o.toleranceM || bound <= best + 0.01 || h < 0.01) continue;
      const m = (a + b) / 2;
      const mLon = s.prevLon + m * (lon - s.prevLon);
      const mLat = s.prevLat + m * (lat - s.prevLat);
      let dm = this.fence.signedDistanceM(mLon, mLat);
      if (dm === Infinity) dm = license >= 0 ? this.fence.distanceToLicenseM(license, mLon, mLat) : this.fence.searchRadiusM;
      if (dm > best) best = dm;
      if (top + 8 > stack.length) continue; // depth limit (h halves each level; 64 levels is far below 1 cm)
      stack[top] = a;
      stack[top + 1] = m;
      stack[top + 2] = da;
      stack[top + 3] = dm;
      stack[top + 4] = m;
      stack[top + 5] = b;
      stack[top + 6] = dm;
      stack[top + 7] = db;
      top += 8;
    }
    if (best > o.toleranceM) {
      this.emit(s, 'crossing', { startIndex: i - 1, startS: s.prevT, endIndex: i, endS: t, fixes: 2, extreme: best, license }, i, out);
    }
  }

  /** Close every open run of a device (end of track or stream). */
  finish(s: DeviceState, out: FenceEvent[]): void {
    if (s.out) this.emit(s, this.o.mode === 'province' ? 'outside-all' : 'out-of-bounds', s.out, null, out);
    if (s.warn) this.emit(s, 'pre-warning', s.warn, null, out);
    if (s.floor) this.emit(s, 'below-floor', s.floor, null, out);
    s.out = s.warn = s.floor = null;
  }
}

const byStart = (a: FenceEvent, b: FenceEvent): number => a.startS - b.startS || a.startIndex - b.startIndex || a.type.localeCompare(b.type);

/** Events of one track against a fence (batch: one sweep that locates and steps each fix). */
export function detectEvents(fence: FenceIndex, track: Track, options: EventOptions = {}, floorsM?: ArrayLike<number>): FenceEvent[] {
  const engine = new EventEngine(fence, options, floorsM);
  const n = track.timeS.length;
  const state = engine.newState(track.deviceId);
  const events: FenceEvent[] = [];
  const { timeS, lon, lat, eleM: ele } = track;
  // Locate and step fix by fix: no per-track arrays, and each fix is still in cache when stepped.
  const fix = new Float64Array(FIX_SLOTS);
  for (let i = 0; i < n; i++) {
    const x = lon[i]!,
      y = lat[i]!;
    fix[FIX_T] = timeS[i]!;
    fix[FIX_LON] = x;
    fix[FIX_LAT] = y;
    fix[FIX_ELE] = ele ? ele[i]! : NaN;
    engine.advance(state, fix, events);
  }
  engine.finish(state, events);
  return events.sort(byStart);
}

/** What `push` returns when a fix closes no event (shared, frozen). */
const NO_EVENTS: readonly FenceEvent[] = Object.freeze([]);

/**
 * Streaming monitor with per-device state: `push` one fix at a time (in time
 * order per device) and receive the events it closes; `flush` closes the rest.
 */
export class FenceMonitor {
  private readonly engine: EventEngine;
  private readonly devices = new Map<string, DeviceState>();
  private readonly scratch = new Float64Array(FIX_SLOTS);

  constructor(
    readonly fence: FenceIndex,
    options: EventOptions = {},
    floorsM?: ArrayLike<number>,
  ) {
    this.engine = new EventEngine(fence, options, floorsM);
  }

  push(deviceId: string, timeS: number, lon: number, lat: number, eleM = NaN): readonly FenceEvent[] {
    let state = this.devices.get(deviceId);
    if (!state) this.devices.set(deviceId, (state = this.engine.newState(deviceId)));
    if (timeS < state.prevT) throw new GreenmineError('FENCE_OUT_OF_ORDER', `device ${deviceId}: fix at ${timeS} is earlier than the previous one (${state.prevT}); push fixes in time order`);
    const fix = this.scratch;
    fix[FIX_T] = timeS;
    fix[FIX_LON] = lon;
    fix[FIX_LAT] = lat;
    fix[FIX_ELE] = eleM;
    this.engine.advance(state, fix, this.closed);
    // Nothing is allocated for a fix that closes no event (most of them).
    return this.closed.length ? this.closed.splice(0) : NO_EVENTS;
  }

  private readonly closed: FenceEvent[] = [];

  flush(): FenceEvent[] {
    const out: FenceEvent[] = [];
    for (const state of this.devices.values()) this.engine.finish(state, out);
    return out.sort(byStart);
  }
}
