/** The live engines without transport: equal to the batch API, in order and out of it, across a save/restore. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fleetTracks, interleave, jumble } from '../bench/fleet.js';
import { detectEvents, EventEngine, type EventOptions, type FenceEvent, FenceIndex } from '../src/fence/index.js';
import { isoLocal } from '../src/io/time.js';
import { loadLicenses } from '../src/license/index.js';
import { analyseDust, loadReadings, PRESETS } from '../src/sensors/index.js';
import { readBody } from '../src/serve/http.js';
import { type Alarm, LiveDust, LiveFence } from '../src/serve/live.js';
import { StateStore } from '../src/serve/store.js';
import { loadTracks } from '../src/track/index.js';
import { fixture } from './helpers.js';

const [license] = await loadLicenses(fixture('scene-a/license_corners.txt'));
const fence = FenceIndex.build([license!]);
const [excavator] = loadTracks(fixture('scene-a/excavator.csv')).tracks;
const iso = (s: number): string => isoLocal(s);

function batchEvents(tracks: ReturnType<typeof fleetTracks>, options: EventOptions): FenceEvent[] {
  return tracks.flatMap((t) => detectEvents(fence, t, options)).sort(order);
}
const order = (a: { startS: number; device: string; type: string }, b: { startS: number; device: string; type: string }): number => a.startS - b.startS || a.device.localeCompare(b.device) || a.type.localeCompare(b.type);

/** The final (closed, not retracted) alarms as events to compare with the batch API. */
function closedAsEvents(alarms: Alarm[]): Array<Pick<FenceEvent, 'type' | 'device' | 'licenseId' | 'startS' | 'endS' | 'maxDistanceM' | 'fixes'>> {
  return alarms
    .filter((a) => a.state === 'closed' && !a.retracted)
    .map((a) => ({ type: a.type as FenceEvent['type'], device: a.device!, licenseId: a.licenseId, startS: a.startS, endS: a.endS!, maxDistanceM: a.maxDistanceM ?? null, fixes: a.fixes! }))
    .sort(order);
}
const pick = (e: FenceEvent) => ({ type: e.type, device: e.device, licenseId: e.licenseId, startS: e.startS, endS: e.endS, maxDistanceM: e.maxDistanceM, fixes: e.fixes });

/** Every id is opened once and closed once, the open first. */
function expectPaired(alarms: Alarm[]): void {
  const seen = new Map<string, string[]>();
  for (const a of alarms) seen.set(a.id, [...(seen.get(a.id) ?? []), a.state]);
  for (const states of seen.values()) expect(states).toEqual(['open', 'closed']);
}

describe('live fence', () => {
  const options: EventOptions = { toleranceM: 5, warnDistanceM: 8, maxGapS: 8 };

  it('the reference track in order: the batch events, each opened when its rule fires and closed once', () => {
    const live = new LiveFence(new EventEngine(fence, options), 30, iso);
    const alarms: Alarm[] = [];
    const openedAt = new Map<string, number>();
    for (let i = 0; i < excavator!.timeS.length; i++) {
      expect(live.push('exc', excavator!.timeS[i]!, excavator!.lon[i]!, excavator!.lat[i]!, NaN, (a) => alarms.push(a))).toBe('ok');
      for (const a of alarms) if (a.state === 'open' && !openedAt.has(a.id)) openedAt.set(a.id, excavator!.timeS[i]!);
    }
    live.flush((a) => alarms.push(a));
    const batch = detectEvents(fence, { ...excavator!, deviceId: 'exc' }, options);
    expect(batch.filter((e) => e.type === 'out-of-bounds').length).toBeGreaterThan(0);
    expect(closedAsEvents(alarms)).toEqual(batch.map(pick).sort(order));
    expectPaired(alarms);
    // An excursion opens on its first fix beyond the tolerance (min fixes 1), not when it ends.
    for (const a of alarms.filter((x) => x.type === 'out-of-bounds' && x.state === 'open')) expect(openedAt.get(a.id)).toBe(a.startS);
  });

  it('200 interleaved devices arriving out of order within the window: the batch events; late and duplicate fixes refused', () => {
    const tracks = fleetTracks(excavator!, 200, 7);
    const fixes = jumble(interleave(tracks), 20, 3);
    const live = new LiveFence(new EventEngine(fence, options), 30, iso);
    const alarms: Alarm[] = [];
    const sink = (a: Alarm): void => {
      alarms.push(a);
    };
    let outOfOrder = 0;
    const last = new Map<string, number>();
    for (const f of fixes) {
      if (f.t < (last.get(f.device) ?? -Infinity)) outOfOrder++;
      last.set(f.device, Math.max(f.t, last.get(f.device) ?? -Infinity));
      expect(live.push(f.device, f.t, f.lon, f.lat, NaN, sink)).toBe('ok');
    }
    expect(outOfOrder).toBeGreaterThan(1000);
    // The same fix again, and one older than the window.
    const f = fixes[fixes.length - 1]!;
    expect(live.push(f.device, f.t, f.lon, f.lat, NaN, sink)).toBe('duplicate');
    expect(live.push(f.device, f.t - 3600, f.lon, f.lat, NaN, sink)).toBe('late');
    live.flush(sink);
    const batch = batchEvents(tracks, options);
    expect(batch.length).toBeGreaterThan(200);
    expect(closedAsEvents(alarms)).toEqual(batch.map(pick));
    // Per id the messages alternate open, closed (an id retracted can come back when later fixes restore the
    // order that made it), and the last one is a closed message that is final exactly for the batch's events.
    const byId = new Map<string, Alarm[]>();
    for (const a of alarms) byId.set(a.id, [...(byId.get(a.id) ?? []), a]);
    let retracted = 0;
    for (const list of byId.values()) {
      list.forEach((a, i) => expect(a.state).toBe(i % 2 === 0 ? 'open' : 'closed'));
      expect(list.at(-1)!.state).toBe('closed');
      expect(list.slice(0, -1).every((a) => a.state === 'open' || a.retracted)).toBe(true);
      retracted += list.filter((a) => a.retracted).length;
    }
    expect(byId.size).toBe(batch.length + [...byId.values()].filter((l) => l.at(-1)!.retracted).length);
    expect(retracted).toBeGreaterThan(0);
  });

  it('a window of 0 applies fixes at once (in order) and refuses older ones', () => {
    const live = new LiveFence(new EventEngine(fence, options), 0, iso);
    const alarms: Alarm[] = [];
    for (let i = 0; i < excavator!.timeS.length; i++) live.push('exc', excavator!.timeS[i]!, excavator!.lon[i]!, excavator!.lat[i]!, NaN, (a) => alarms.push(a));
    expect(live.push('exc', excavator!.timeS[3]!, excavator!.lon[3]!, excavator!.lat[3]!, NaN, () => {})).toBe('late');
    live.flush((a) => alarms.push(a));
    expect(closedAsEvents(alarms)).toEqual(
      detectEvents(fence, { ...excavator!, deviceId: 'exc' }, options)
        .map(pick)
        .sort(order),
    );
  });

  it('saved and restored mid-excursion through JSON: the same alarms as an uninterrupted run, none announced twice', () => {
    const tracks = fleetTracks(excavator!, 20, 11);
    const fixes = jumble(interleave(tracks), 10, 5);
    const engine = new EventEngine(fence, options);
    const whole: Alarm[] = [];
    const a = new LiveFence(engine, 30, iso);
    for (const f of fixes) a.push(f.device, f.t, f.lon, f.lat, NaN, (x) => whole.push(x));
    a.flush((x) => whole.push(x));

    const parts: Alarm[] = [];
    let b = new LiveFence(engine, 30, iso);
    const cut = Math.floor(fixes.length * 0.55);
    for (const f of fixes.slice(0, cut)) b.push(f.device, f.t, f.lon, f.lat, NaN, (x) => parts.push(x));
    expect([...b.openAlarms()].length).toBeGreaterThan(0); // mid-excursion
    const saved = JSON.parse(JSON.stringify(b.save()));
    b = new LiveFence(new EventEngine(FenceIndex.build([license!]), options), 30, iso);
    b.restore(saved);
    for (const f of fixes.slice(cut)) b.push(f.device, f.t, f.lon, f.lat, NaN, (x) => parts.push(x));
    b.flush((x) => parts.push(x));
    expect(parts.map((x) => `${x.id}:${x.state}:${x.endS ?? ''}`).sort()).toEqual(whole.map((x) => `${x.id}:${x.state}:${x.endS ?? ''}`).sort());
  });

  it('a late fix that cancels an excursion within the window retracts its open alarm', () => {
    // Two fixes inside, then one far outside (announced open), then the fix that truly came before it — and after it
    // in time, back inside — arrives: with the window, the excursion still stands (a single outside fix); now
    // make the late fix be the same time as the outside one (a duplicate) and instead shift time: a fix inside at
    // t = 25 makes no change. So build the case where reordering changes the run: outside fix at t=30 arrives first
    // labelled with its device's clock, then a fix at t=20 with a GNSS jump back — the open alarm (start 30) is
    // replaced by one starting at 20.
    const live = new LiveFence(new EventEngine(fence, { toleranceM: 5 }), 30, iso);
    const alarms: Alarm[] = [];
    const inside = [excavator!.lon[0]!, excavator!.lat[0]!];
    expect(fence.signedDistanceM(inside[0]!, inside[1]!)).toBeLessThan(-5);
    const far = [inside[0]! + 0.01, inside[1]!];
    expect(fence.signedDistanceM(far[0]!, far[1]!)).toBeGreaterThan(5);
    const t0 = excavator!.timeS[0]!;
    live.push('d', t0, inside[0]!, inside[1]!, NaN, (a) => alarms.push(a));
    live.push('d', t0 + 30, far[0]!, far[1]!, NaN, (a) => alarms.push(a));
    expect(alarms.map((a) => [a.state, a.startS])).toEqual([['open', t0 + 30]]);
    live.push('d', t0 + 20, far[0]!, far[1]!, NaN, (a) => alarms.push(a));
    expect(alarms.slice(1).map((a) => [a.state, a.startS, a.retracted ?? false])).toEqual([
      ['open', t0 + 20, false],
      ['closed', t0 + 30, true],
    ]);
  });
});

describe('live dust', () => {
  it('the readings of the fixture give the batch dust alarms, in order and jumbled within the window', () => {
    const { readings } = loadReadings(fixture('sensors/readings.csv'));
    const rule = PRESETS.gb16297!;
    const batch = analyseDust(readings, [], rule).alarms;
    expect(batch.length).toBeGreaterThan(0);
    // One message per station and time.
    const messages = new Map<string, { station: string; t: number; v: { TSP: number; PM10: number; 'PM2.5': number } }>();
    for (const r of readings) {
      const key = `${r.station}/${r.timeS}`;
      if (!messages.has(key)) messages.set(key, { station: r.station, t: r.timeS, v: { TSP: NaN, PM10: NaN, 'PM2.5': NaN } });
      messages.get(key)!.v[r.pollutant] = r.valueUgM3;
    }
    const list = [...messages.values()];
    for (const [window, arrival] of [
      [0, list],
      [
        900,
        list
          .map((m, i) => ({ m, k: m.t + ((i * 7919) % 600) }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.m),
      ],
    ] as const) {
      const live = new LiveDust([rule], window, iso, () => null);
      const alarms: Alarm[] = [];
      for (const m of arrival) expect(live.push(m.station, m.t, m.v, (a) => alarms.push(a))).toBe('ok');
      live.flush((a) => alarms.push(a));
      const closed = alarms.filter((a) => a.state === 'closed');
      expect(closed.map((a) => [a.station, a.startS, a.endS, a.peak])).toEqual(batch.map((a) => [a.station, a.start, a.end, a.peakUgM3]));
      expect(closed.every((c) => alarms.some((o) => o.id === c.id && o.state === 'open'))).toBe(true);
    }
  });
});

describe('the state folder lock', () => {
  const lockDir = (content: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-lock-'));
    writeFileSync(join(dir, 'lock'), content);
    return dir;
  };
  it('a live holder on this host keeps it; a dead one, a half-written lock, or a cluster member that left loses it', () => {
    expect(() => StateStore.open(lockDir(JSON.stringify({ host: hostname(), pid: process.pid, instance: null })))).toThrow(expect.objectContaining({ code: 'SERVE_STATE_LOCKED' }));
    // A pid that cannot be running (above the kernel's pid_max).
    StateStore.open(lockDir(JSON.stringify({ host: hostname(), pid: 2 ** 30, instance: null }))).close();
    StateStore.open(lockDir('{"host": "x')).close();
    const other = JSON.stringify({ host: 'another-host', pid: 1, instance: 'b' });
    // Another host: pids mean nothing there; only the cluster's membership decides.
    expect(() => StateStore.open(lockDir(other))).toThrow(expect.objectContaining({ code: 'SERVE_STATE_LOCKED' }));
    expect(() => StateStore.open(lockDir(other), true, 'a', (holder) => holder !== 'b')).toThrow(expect.objectContaining({ code: 'SERVE_STATE_LOCKED' }));
    const dir = lockDir(other);
    const store = StateStore.open(dir, true, 'a', (holder) => holder === 'b');
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ host: hostname(), pid: process.pid, instance: 'a' });
    store.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('durable: entries survive in the log until a checkpoint; volatile (durable false): nothing is written', () => {
    const durable = mkdtempSync(join(tmpdir(), 'greenmine-store-'));
    const a = StateStore.open<{ n: number }>(durable);
    a.log('f', [1]);
    a.flush();
    a.close();
    const b = StateStore.open<{ n: number }>(durable);
    expect(b.replay.map((e) => e.body)).toEqual([[1]]);
    b.save({ n: 1 });
    b.close();
    const c = StateStore.open<{ n: number }>(durable);
    expect([c.checkpoint?.state, c.replay.length]).toEqual([{ n: 1 }, 0]);
    c.close();
    const volatile = mkdtempSync(join(tmpdir(), 'greenmine-store-'));
    const v = StateStore.open<{ n: number }>(volatile, false);
    v.log('f', [1]);
    v.save({ n: 1 });
    v.close();
    expect(existsSync(join(volatile, 'checkpoint.json'))).toBe(false);
    expect(readFileSync(join(volatile, 'wal.log'), 'utf8')).toBe('');
  });
});

describe('an HTTP body over the limit', () => {
  const body = (): IncomingMessage => new PassThrough() as unknown as IncomingMessage;

  it('is read whole under the limit', async () => {
    const req = body();
    const read = readBody(req, 10);
    (req as unknown as PassThrough).end(Buffer.from('0123456789'));
    expect((await read)?.toString()).toBe('0123456789');
  });

  it('is answered (null) at the limit, the rest read and dropped, and the connection cut past another limit', async () => {
    const req = body();
    const stream = req as unknown as PassThrough;
    const read = readBody(req, 10, 60_000);
    stream.write(Buffer.alloc(11));
    expect(await read).toBeNull();
    stream.write(Buffer.alloc(9)); // 20 bytes: still dropped quietly
    await new Promise((r) => setImmediate(r));
    expect(stream.destroyed).toBe(false);
    stream.write(Buffer.alloc(1)); // 21 > 2 × 10: cut
    await new Promise((r) => setImmediate(r));
    expect(stream.destroyed).toBe(true);
  });

  it('and the connection cut after the linger time if the client goes on slowly', async () => {
    const req = body();
    const stream = req as unknown as PassThrough;
    const read = readBody(req, 10, 50);
    stream.write(Buffer.alloc(11));
    expect(await read).toBeNull();
    expect(stream.destroyed).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect(stream.destroyed).toBe(true);
  });
});
