import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createTransform, crsFromEpsg, fromWgs84 } from '../src/crs/index.js';
import { detectEvents, detectWashViolations, type FenceEvent, FenceIndex, FenceMonitor, WashMonitor } from '../src/fence/index.js';
import { isoLocal } from '../src/io/time.js';
import { gkZoneFor } from '../src/license/area.js';
import { type License, loadLicenses } from '../src/license/index.js';
import { loadTracks, loadTracksFromBytes, type Track } from '../src/track/index.js';
import { fixture, rng, run } from './helpers.js';

const reference = JSON.parse(readFileSync(fixture('scene-a/EXPECTED.json'), 'utf8')).fence as {
  tolerance_m: number;
  points: number;
  events: Array<{ start: number; end: number; max_distance_m: number; points: number }>;
};

const [sceneLicense] = await loadLicenses(fixture('scene-a/license_corners.txt'));
const sceneFence = FenceIndex.build([sceneLicense!]);

function expectReferenceEvents(events: FenceEvent[]): void {
  const excursions = events.filter((e) => e.type === 'out-of-bounds');
  expect(excursions).toHaveLength(reference.events.length);
  excursions.forEach((e, i) => {
    const r = reference.events[i]!;
    expect(e.startS).toBe(r.start);
    expect(e.endS).toBe(r.end);
    expect(e.fixes).toBe(r.points);
    expect(Math.abs(e.maxDistanceM! - r.max_distance_m)).toBeLessThan(0.1);
  });
}

describe('fence events against the reference (tolerance 5 m)', () => {
  for (const path of ['scene-a/excavator.gpx', 'scene-a/excavator.csv', 'tracks/excavator.nmea', 'tracks/excavator_gpx10.gpx', 'tracks/excavator_line.geojson', 'tracks/unix_tab.csv', 'tracks/fleet_gbk.csv']) {
    it(path, () => {
      const set = loadTracks(fixture(path));
      const track = set.tracks[0]!;
      expect(track.timeS.length).toBe(reference.points);
      expectReferenceEvents(detectEvents(sceneFence, track, { toleranceM: reference.tolerance_m }));
    });
  }

  it('the GPS jitter along the boundary (never more than 2 m out) raises nothing', () => {
    const track = loadTracks(fixture('scene-a/excavator.gpx')).tracks[0]!;
    const events = detectEvents(sceneFence, track, { toleranceM: 5 });
    expect(events.every((e) => e.type === 'out-of-bounds')).toBe(true);
    // With no tolerance the jitter shows up as extra excursions.
    expect(detectEvents(sceneFence, track, { toleranceM: 0 }).length).toBeGreaterThan(3);
  });

  it('first fix out and first fix back', () => {
    const track = loadTracks(fixture('scene-a/excavator.gpx')).tracks[0]!;
    const [first] = detectEvents(sceneFence, track);
    expect(track.timeS[first!.startIndex]).toBe(reference.events[0]!.start);
    expect(first!.firstBackIndex).toBe(first!.endIndex + 1);
    expect(first!.licenseId).toBe(sceneLicense!.id);
  });

  it('GCJ-02 input read with frame GCJ02 gives the same events', () => {
    const track = loadTracks(fixture('scene-a/excavator.csv')).tracks[0]!;
    const lines = ['time,经度(GCJ02),纬度(GCJ02)'];
    for (let i = 0; i < track.timeS.length; i++) {
      const [lon, lat] = fromWgs84('GCJ02', track.lon[i]!, track.lat[i]!);
      lines.push(`${new Date(track.timeS[i]! * 1000).toISOString()},${lon.toFixed(9)},${lat.toFixed(9)}`);
    }
    const bytes = new TextEncoder().encode(lines.join('\n'));
    const declared = loadTracksFromBytes(bytes, 'gcj.csv'); // the header names the frame
    expectReferenceEvents(detectEvents(sceneFence, declared.tracks[0]!));
    const explicit = loadTracksFromBytes(bytes, 'gcj.csv', { frame: 'GCJ02' });
    expectReferenceEvents(detectEvents(sceneFence, explicit.tracks[0]!));
    // Read as WGS 84 by mistake, the track is shifted hundreds of metres and the events differ.
    const wrong = loadTracksFromBytes(bytes, 'gcj.csv', { frame: 'WGS84' });
    expect(detectEvents(sceneFence, wrong.tracks[0]!).map((e) => e.startS)).not.toEqual(reference.events.map((e) => e.start));
  });
});

describe('streaming monitor', () => {
  it('gives the same events as the batch API, devices interleaved', () => {
    const set = loadTracks(fixture('tracks/fleet_gbk.csv'));
    const options = { toleranceM: 5, warnDistanceM: 8, maxGapS: 8, minFixes: 1 };
    const batch = set.tracks.flatMap((t) => detectEvents(sceneFence, t, options)).sort((a, b) => a.startS - b.startS || a.device.localeCompare(b.device) || a.type.localeCompare(b.type));
    const monitor = new FenceMonitor(sceneFence, options);
    const fixes = set.tracks.flatMap((t) => Array.from(t.timeS, (time, i) => ({ t: time, device: t.deviceId, lon: t.lon[i]!, lat: t.lat[i]! })));
    fixes.sort((a, b) => a.t - b.t);
    const streamed: FenceEvent[] = [];
    for (const f of fixes) streamed.push(...monitor.push(f.device, f.t, f.lon, f.lat));
    streamed.push(...monitor.flush());
    streamed.sort((a, b) => a.startS - b.startS || a.device.localeCompare(b.device) || a.type.localeCompare(b.type));
    expect(streamed).toEqual(batch);
    expect(batch.map((e) => e.type)).toEqual(expect.arrayContaining(['out-of-bounds', 'pre-warning', 'gap']));
  });

  it('refuses fixes out of time order', () => {
    const monitor = new FenceMonitor(sceneFence);
    monitor.push('a', 100, 119.95, 30.577);
    expect(() => monitor.push('a', 99, 119.95, 30.577)).toThrow(expect.objectContaining({ code: 'FENCE_OUT_OF_ORDER' }));
  });
});

/** A license from lon/lat rings (EPSG:4326). */
function lonLatLicense(id: string, blocks: number[][][][], elevationM: License['elevationM'] = null): License {
  return {
    id,
    name: id,
    licenseNo: id,
    holder: null,
    blocks: blocks.map((rings) => ({ name: null, rings: rings.map((r) => Float64Array.from(r.flat())) })),
    elevationM,
    statedArea: null,
    crs: crsFromEpsg(4326),
    sourceFile: 'memory',
    attributes: {},
    findings: [],
  };
}

function trackOf(points: Array<[number, number, number, number?]>): Track {
  return {
    deviceId: 'd',
    timeS: Float64Array.from(points.map((p) => p[0])),
    lon: Float64Array.from(points.map((p) => p[1])),
    lat: Float64Array.from(points.map((p) => p[2])),
    eleM: Float64Array.from(points.map((p) => p[3] ?? NaN)),
    hdop: null,
    speedMps: null,
  };
}

describe('event rules', () => {
  // A U-shaped license: two arms 100 m apart (about 0.001° of longitude), joined at the south.
  const u = lonLatLicense(
    'U',
    [
      [
        [
          [120.0, 30.0],
          [120.004, 30.0],
          [120.004, 30.004],
          [120.003, 30.004],
          [120.003, 30.001],
          [120.001, 30.001],
          [120.001, 30.004],
          [120.0, 30.004],
          [120.0, 30.0],
        ],
      ],
    ],
    { min: 50, max: 200 },
  );
  const fence = FenceIndex.build([u]);

  it('a segment between two inside fixes that leaves the fence is a crossing', () => {
    const events = detectEvents(
      fence,
      trackOf([
        [0, 120.0005, 30.003],
        [10, 120.0035, 30.003],
      ]),
    );
    expect(events.map((e) => e.type)).toEqual(['crossing']);
    expect(events[0]!.maxDistanceM!).toBeGreaterThan(40);
    expect(
      detectEvents(
        fence,
        trackOf([
          [0, 120.0005, 30.003],
          [10, 120.0035, 30.003],
        ]),
        { segmentCheck: false },
      ),
    ).toEqual([]);
    expect(
      detectEvents(
        fence,
        trackOf([
          [0, 120.0005, 30.0005],
          [10, 120.0035, 30.0005],
        ]),
      ),
    ).toEqual([]); // along the base, inside
  });

  it('below the licensed floor, with the height offset and the vertical tolerance', () => {
    const track = trackOf([
      [0, 120.0005, 30.002, 60],
      [10, 120.0005, 30.002, 49.5],
      [20, 120.0005, 30.002, 45],
      [30, 120.0005, 30.002, 55],
    ]);
    const events = detectEvents(fence, track, {}, [50]);
    expect(events.map((e) => [e.type, e.fixes, e.maxDistanceM])).toEqual([['below-floor', 1, 5]]);
    expect(detectEvents(fence, track, { heightOffsetM: 10 }, [50]).map((e) => e.fixes)).toEqual([3]);
    expect(detectEvents(fence, track, {})).toEqual([]); // no floor known
  });

  it('debounces single-fix spikes with minFixes and minDurationS', () => {
    const spike = trackOf([
      [0, 120.0005, 30.002],
      [5, 120.0015, 30.002],
      [10, 120.0005, 30.002],
    ]);
    expect(detectEvents(fence, spike, { segmentCheck: false }).map((e) => e.type)).toEqual(['out-of-bounds']);
    expect(detectEvents(fence, spike, { minFixes: 2, segmentCheck: false })).toEqual([]);
    expect(detectEvents(fence, spike, { minDurationS: 1, segmentCheck: false })).toEqual([]);
  });

  it('province mode reports runs inside no license', () => {
    const events = detectEvents(
      fence,
      trackOf([
        [0, 120.0005, 30.002],
        [5, 120.1, 30.1],
        [10, 120.1, 30.1],
      ]),
      { mode: 'province' },
    );
    expect(events.map((e) => [e.type, e.fixes, e.maxDistanceM])).toEqual([['outside-all', 2, null]]);
  });

  it('an excursion far beyond the search radius still reports its true distance', () => {
    const [e] = detectEvents(
      fence,
      trackOf([
        [0, 120.0005, 30.002],
        [5, 120.0005, 30.02],
      ]),
    );
    expect(e!.maxDistanceM!).toBeGreaterThan(1700);
    expect(e!.maxDistanceM!).toBeLessThan(1800);
    expect(e!.firstBackIndex).toBeNull();
  });

  it('refuses bad options', () => {
    expect(() => detectEvents(fence, trackOf([[0, 120, 30]]), { toleranceM: -1 })).toThrow(expect.objectContaining({ code: 'FENCE_BAD_OPTION' }));
  });
});

describe('truck washing (R4.2)', () => {
  // Site: a 400 m square; wash zone: a 40 m square inside its east edge; exit zone: a 60 m square straddling the east edge.
  const site = FenceIndex.build([
    lonLatLicense('site', [
      [
        [
          [120.0, 30.0],
          [120.004, 30.0],
          [120.004, 30.004],
          [120.0, 30.004],
          [120.0, 30.0],
        ],
      ],
    ]),
  ]);
  const wash = FenceIndex.build([
    lonLatLicense('wash', [
      [
        [
          [120.0034, 30.0018],
          [120.0038, 30.0018],
          [120.0038, 30.0022],
          [120.0034, 30.0022],
          [120.0034, 30.0018],
        ],
      ],
    ]),
  ]);
  const exits = FenceIndex.build([
    lonLatLicense('gate', [
      [
        [
          [120.0037, 30.0017],
          [120.0043, 30.0017],
          [120.0043, 30.0023],
          [120.0037, 30.0023],
          [120.0037, 30.0017],
        ],
      ],
    ]),
  ]);
  const inside: [number, number] = [120.002, 30.002];
  const washing: [number, number] = [120.0036, 30.002];
  const gate: [number, number] = [120.0039, 30.002];
  const outside: [number, number] = [120.005, 30.002];
  const track = (steps: Array<[number, [number, number]]>): Track => trackOf(steps.map(([t, [x, y]]) => [t, x, y]));

  it('an exit after a long enough wash is fine; without one it is an event', () => {
    const washed = track([
      [0, inside],
      [100, washing],
      [130, washing],
      [190, washing],
      [200, gate],
      [210, outside],
    ]);
    expect(detectWashViolations(site, wash, washed, { minWashS: 60 })).toEqual([]);
    const unwashed = track([
      [0, inside],
      [100, inside],
      [200, gate],
      [210, outside],
    ]);
    const [event] = detectWashViolations(site, wash, unwashed, { minWashS: 60 });
    expect(event).toMatchObject({ type: 'wash', startS: 200, endS: 210, washDwellS: 0, licenseId: 'site' });
    const short = track([
      [0, inside],
      [100, washing],
      [130, washing],
      [200, gate],
      [210, outside],
    ]);
    expect(detectWashViolations(site, wash, short, { minWashS: 60 })[0]!.washDwellS).toBe(30);
  });

  it('a wash too long before the exit does not count', () => {
    const early = track([
      [0, washing],
      [100, washing],
      [200, inside],
      [1000, gate],
      [1010, outside],
    ]);
    expect(detectWashViolations(site, wash, early, { minWashS: 60, withinS: 600 })).toHaveLength(1);
    expect(detectWashViolations(site, wash, early, { minWashS: 60, withinS: 1000 })).toEqual([]);
  });

  it('with exit zones, leaving elsewhere is not an exit', () => {
    const overTheFence = track([
      [0, inside],
      [10, [120.002, 30.0045]],
    ]);
    expect(detectWashViolations(site, wash, overTheFence, {}, exits)).toEqual([]);
    expect(detectWashViolations(site, wash, overTheFence, {})).toHaveLength(1);
  });

  it("the streaming WashMonitor keeps devices apart: interleaved pushes give each track's own violations", async () => {
    // Two trucks doing random rounds (load inside, sometimes wash, leave by the gate or over the fence, come back).
    const { rng } = await import('./helpers.js');
    const random = rng(11);
    const places = [inside, washing, washing, gate, outside, [120.002, 30.0045] as [number, number]];
    const tracks = ['浙A1', '浙A2'].map((device) => {
      const steps: Array<[number, number, number]> = [];
      let t = 0;
      for (let k = 0; k < 400; k++) {
        t += 5 + Math.floor(random() * 60);
        const [x, y] = places[Math.floor(random() * places.length)]!;
        steps.push([t, x + (random() - 0.5) * 1e-5, y]);
      }
      return { ...trackOf(steps), deviceId: device };
    });
    for (const exitFence of [undefined, exits]) {
      for (const options of [
        { minWashS: 60, withinS: 600 },
        { minWashS: 30, withinS: 120 },
        { minWashS: 600, withinS: 1e6 },
      ]) {
        const batch = tracks.flatMap((tr) => detectWashViolations(site, wash, tr, options, exitFence));
        expect(batch.length).toBeGreaterThan(3);
        const monitor = new WashMonitor(site, wash, options, exitFence);
        const streamed: typeof batch = [];
        for (let i = 0; i < 400; i++) for (const tr of tracks) streamed.push(...monitor.push(tr.deviceId, tr.timeS[i]!, tr.lon[i]!, tr.lat[i]!));
        const key = (e: (typeof batch)[number]) => `${e.device}|${e.startS}|${e.endS}|${e.washDwellS}|${e.licenseId}|${e.startIndex}`;
        expect(streamed.map(key).sort()).toEqual(batch.map(key).sort());
      }
    }
    const monitor = new WashMonitor(site, wash);
    monitor.push('x', 100, ...inside);
    expect(() => monitor.push('x', 50, ...inside)).toThrow(expect.objectContaining({ code: 'FENCE_OUT_OF_ORDER' }));
    expect(() => new WashMonitor(site, wash, { minWashS: -1 })).toThrow(expect.objectContaining({ code: 'FENCE_BAD_OPTION' }));
  });
});

/** Brute-force point in ring (ray casting over every edge). */
function inRing(x: number, y: number, r: Float64Array): boolean {
  let inside = false;
  for (let i = 0; i + 3 < r.length; i += 2) {
    const x1 = r[i]!,
      y1 = r[i + 1]!,
      x2 = r[i + 2]!,
      y2 = r[i + 3]!;
    if (y1 > y !== y2 > y && x < x1 + ((y - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside;
  }
  return inside;
}

function star(random: () => number, lon: number, lat: number, n: number, radiusDeg: number, clockwise = false): number[][] {
  const ring: number[][] = [];
  for (let i = 0; i < n; i++) {
    const a = ((clockwise ? -1 : 1) * 2 * Math.PI * i) / n;
    const r = radiusDeg * (0.4 + 0.6 * random());
    ring.push([lon + r * Math.cos(a), lat + r * Math.sin(a) * 0.9]);
  }
  ring.push(ring[0]!);
  return ring;
}

describe('the index agrees with brute force', () => {
  const random = rng(2023);
  const licenses: License[] = [];
  for (let i = 0; i < 2000; i++) {
    const lon = 119.4 + random() * 1.2; // spans the 120°E zone centre and edges of two zones
    const lat = 29.6 + random() * 0.8;
    const n = 4 + Math.floor(random() * 197);
    const radius = 0.002 + random() * 0.008;
    const shell = star(random, lon, lat, n, radius);
    const rings = random() < 0.1 ? [shell, star(random, lon, lat, 5, radius * 0.3, true)] : [shell];
    licenses.push(lonLatLicense(`L${i}`, [rings]));
  }
  const fence = FenceIndex.build(licenses, { searchRadiusM: 100 });

  // Brute force: ray casting on every polygon; distances by projecting exactly (proj4) into the block's GK zone.
  const geographic = crsFromEpsg(4490);
  const blocks = licenses.map((l, li) => {
    const rings = l.blocks[0]!.rings;
    let minLon = Infinity,
      maxLon = -Infinity,
      minLat = Infinity,
      maxLat = -Infinity;
    for (let i = 0; i < rings[0]!.length; i += 2) {
      minLon = Math.min(minLon, rings[0]![i]!);
      maxLon = Math.max(maxLon, rings[0]![i]!);
      minLat = Math.min(minLat, rings[0]![i + 1]!);
      maxLat = Math.max(maxLat, rings[0]![i + 1]!);
    }
    const toGk = createTransform(geographic, gkZoneFor((minLon + maxLon) / 2, 'CGCS2000'));
    const gkRings = rings.map((r) => {
      const out = new Float64Array(r.length);
      toGk.flatInto(r, out);
      return out;
    });
    return { li, rings, gkRings, toGk, box: [minLon, minLat, maxLon, maxLat] as const };
  });
  const ringDistance = (x: number, y: number, r: Float64Array): number => {
    let best = Infinity;
    for (let i = 0; i + 3 < r.length; i += 2) {
      const x1 = r[i]!,
        y1 = r[i + 1]!,
        dx = r[i + 2]! - x1,
        dy = r[i + 3]! - y1;
      const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
      best = Math.min(best, Math.hypot(x1 + t * dx - x, y1 + t * dy - y));
    }
    return best;
  };

  it('on 100 000 points: containment exactly, signed distance to 1 mm', () => {
    const n = 100_000;
    const lon = new Float64Array(n);
    const lat = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        lon[i] = 119.35 + random() * 1.3;
        lat[i] = 29.55 + random() * 0.9;
      } else {
        // Near a random license's vertex, so many points fall near boundaries.
        const ring = licenses[Math.floor(random() * licenses.length)]!.blocks[0]!.rings[0]!;
        const v = 2 * Math.floor(random() * (ring.length / 2 - 1));
        lon[i] = ring[v]! + (random() - 0.5) * 0.003;
        lat[i] = ring[v + 1]! + (random() - 0.5) * 0.003;
      }
    }
    const license = new Int32Array(n);
    const distance = new Float64Array(n);
    fence.locateInto(lon, lat, license, distance);
    let inside = 0,
      measured = 0,
      worstM = 0;
    const pad = 0.0015;
    for (let i = 0; i < n; i++) {
      let expected = -1;
      let bestIn = Infinity;
      let bestOut = Infinity;
      for (const b of blocks) {
        if (lon[i]! < b.box[0] - pad || lon[i]! > b.box[2] + pad || lat[i]! < b.box[1] - pad || lat[i]! > b.box[3] + pad) continue;
        const isIn = inRing(lon[i]!, lat[i]!, b.rings[0]!) && !b.rings.slice(1).some((h) => inRing(lon[i]!, lat[i]!, h));
        const [x, y] = b.toGk.point(lon[i]!, lat[i]!);
        const d = Math.min(...b.gkRings.map((r) => ringDistance(x, y, r)));
        if (isIn) {
          if (expected < 0) expected = b.li;
          bestIn = Math.min(bestIn, d);
        } else bestOut = Math.min(bestOut, d);
      }
      expect(license[i], `point ${i}`).toBe(expected);
      const signed = expected >= 0 ? -bestIn : bestOut;
      if (expected >= 0) inside++;
      if (Math.abs(signed) < 99.99) {
        measured++;
        worstM = Math.max(worstM, Math.abs(distance[i]! - signed));
      } else if (Math.abs(signed) > 100.01) {
        expect(Math.abs(distance[i]!)).toBe(Infinity);
      }
    }
    expect(worstM).toBeLessThan(0.001);
    expect(inside).toBeGreaterThan(5_000);
    expect(measured).toBeGreaterThan(20_000);
  });

  it('survives serialisation to one ArrayBuffer', () => {
    const copy = FenceIndex.from(fence.data.slice(0));
    expect(copy.licenseIds).toEqual(fence.licenseIds);
    const random2 = rng(5);
    for (let i = 0; i < 2000; i++) {
      const x = 119.4 + random2() * 1.2;
      const y = 29.6 + random2() * 0.8;
      expect(copy.locate(x, y)).toBe(fence.locate(x, y));
      expect(copy.signedDistanceM(x, y)).toBe(fence.signedDistanceM(x, y));
    }
    expect(() => FenceIndex.from(new ArrayBuffer(256))).toThrow(expect.objectContaining({ code: 'FENCE_BAD_DATA' }));
  });

  it('reports every overlapping license', () => {
    const out = new Int32Array(16);
    let overlapping = 0;
    const random3 = rng(11);
    for (let i = 0; i < 5000; i++) {
      const x = 119.4 + random3() * 1.2;
      const y = 29.6 + random3() * 0.8;
      const count = fence.containingInto(x, y, out);
      const brute = blocks.filter((b) => inRing(x, y, b.rings[0]!) && !b.rings.slice(1).some((h) => inRing(x, y, h))).map((b) => b.li);
      expect(Array.from(out.subarray(0, count))).toEqual(brute);
      if (count > 1) overlapping++;
    }
    expect(overlapping).toBeGreaterThan(0);
  });
});

describe('greenmine fence', () => {
  it('--json prints the contract object and --geojson writes the events', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'greenmine-fence-')), 'events.geojson');
    const r = await run('fence', '--license', fixture('scene-a/license_corners.txt'), '--track', fixture('scene-a/excavator.gpx'), '--json', '--geojson', out);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.points).toBe(175);
    expect(report.skipped).toBe(0);
    expect(report.outside).toBe(75);
    // Times with their offset in the default zone (Asia/Shanghai): the same instants as the reference.
    expect(report.events.map((e: { start: string }) => e.start)).toEqual(reference.events.map((e) => isoLocal(e.start, 'Asia/Shanghai')));
    expect(report.events.map((e: { start: string }) => Date.parse(e.start) / 1000)).toEqual(reference.events.map((e) => e.start));
    expect(report.events[0]).toMatchObject({ type: 'out-of-bounds', device: '挖掘机 1号', fixes: 23, durationS: 200 });
    const fc = JSON.parse(readFileSync(out, 'utf8'));
    expect(fc.features).toHaveLength(3);
    expect(fc.features[0].geometry.type).toBe('LineString');
  });

  it('reads GCJ-02 with --frame, counts skipped rows, and exits 2 on bad usage', async () => {
    const r = await run('fence', '--license', fixture('scene-a/license_corners.txt'), '--track', fixture('tracks/fleet_gbk.csv'), '--json');
    expect(JSON.parse(r.stdout).skipped).toBe(4);
    expect((await run('fence', '--track', fixture('scene-a/excavator.gpx'))).code).toBe(2);
    expect((await run('fence', '--license', fixture('scene-a/license_corners.txt'))).code).toBe(2);
    expect((await run('fence', '--license', 'x', '--track', 'y', '--frame', 'mars')).code).toBe(2);
    expect((await run('fence', '--license', 'x', '--track', 'y', '--tolerance', '-3')).code).toBe(2);
    const missing = await run('fence', '--license', fixture('scene-a/license_corners.txt'), '--track', fixture('tracks/none.gpx'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('FILE_NOT_FOUND');
    const help = await run('fence', '--help');
    for (const o of ['--license', '--track', '--tz', '--format', '--frame', '--tolerance', '--min-duration', '--min-fixes', '--warn', '--geojson', '--json']) expect(help.stdout).toContain(o);
  });

  it('--licenses loads every license file in a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-licenses-'));
    for (const name of ['license_corners.txt', 'license.geojson', 'license.kml']) copyFileSync(fixture(`scene-a/${name}`), join(dir, name));
    writeFileSync(join(dir, 'notes.md'), 'not a license');
    const r = await run('fence', '--licenses', dir, '--track', fixture('scene-a/excavator.csv'), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.licenses).toBe(3); // the same license three times; notes.md is not read
    expect(report.events.filter((e: { type: string }) => e.type === 'out-of-bounds')).toHaveLength(3);
  });
});

describe('events against brute force on boundary-hugging walks', () => {
  // Licenses of 4–60 corners; walks that start at a corner and wander in and out, far beyond the
  // search radius and back, in steps of up to 50 m (sparse enough for crossings between fixes).
  const random = rng(77);
  const licenses: License[] = [];
  for (let i = 0; i < 30; i++) {
    const lon = 120 + (i % 6) * 0.05,
      lat = 30 + Math.floor(i / 6) * 0.05;
    licenses.push(lonLatLicense(`W${i}`, [[star(random, lon, lat, 4 + Math.floor(random() * 57), 0.004 + random() * 0.006)]]));
  }
  const fence = FenceIndex.build(licenses, { searchRadiusM: 100 });
  const toleranceM = 5;

  for (const seed of [1, 2, 3]) {
    it(`walk ${seed}: excursion maxima and crossings`, () => {
      const walk = rng(seed);
      const steps: Array<[number, number, number]> = [];
      let x = 0,
        y = 0;
      for (let i = 0; i < 6000; i++) {
        if (i % 600 === 0) {
          const ring = licenses[Math.floor(walk() * licenses.length)]!.blocks[0]!.rings[0]!;
          [x, y] = [ring[0]!, ring[1]!];
        }
        x += (walk() - 0.5) * 0.001;
        y += (walk() - 0.5) * 0.001;
        steps.push([i * 5, x, y]);
      }
      const track = trackOf(steps);
      // Count the fixes located: while an excursion certainly goes on, fixes are not located at all.
      let located = 0;
      const query3 = fence.query3.bind(fence);
      fence.query3 = (...args: Parameters<FenceIndex['query3']>) => (located++, query3(...args));
      const events = detectEvents(fence, track, { toleranceM });
      fence.query3 = query3;
      expect(located).toBeLessThan(steps.length);
      // With pre-warnings and gap checks on, skipped fixes go through the full step: the same excursions.
      const excursionsOf = (list: FenceEvent[]): FenceEvent[] => list.filter((e) => e.type === 'out-of-bounds' || e.type === 'crossing');
      expect(excursionsOf(detectEvents(fence, track, { toleranceM, warnDistanceM: 10, maxGapS: 1e9 }))).toEqual(excursionsOf(events));
      // The streaming monitor skips the same fixes and gives the same events.
      const monitor = new FenceMonitor(fence, { toleranceM });
      const streamed = steps.flatMap(([t, lon, lat]) => monitor.push(track.deviceId, t, lon, lat));
      expect([...streamed, ...monitor.flush()].sort((a, b) => a.startS - b.startS || a.type.localeCompare(b.type))).toEqual([...events].sort((a, b) => a.startS - b.startS || a.type.localeCompare(b.type)));

      // Brute force: every fix's exact signed distance (its home license's when beyond the search radius).
      const n = steps.length;
      const d = new Float64Array(n);
      const q = new Float64Array(4);
      let home = -1;
      for (let i = 0; i < n; i++) {
        fence.query3(steps[i]![1], steps[i]![2], q);
        if (q[0]! >= 0) home = q[0]!;
        const near = home >= 0 ? home : q[2]!;
        d[i] = q[1] === Infinity && near >= 0 ? fence.distanceToLicenseM(near, steps[i]![1], steps[i]![2]) : q[1]!;
      }
      const runs: Array<{ start: number; end: number; max: number }> = [];
      for (let i = 0; i < n; i++) {
        if (!(d[i]! > toleranceM)) continue;
        const run = runs.at(-1);
        if (run && run.end === i - 1) {
          run.end = i;
          run.max = Math.max(run.max, d[i]!);
        } else runs.push({ start: i, end: i, max: d[i]! });
      }
      const excursions = events.filter((e) => e.type === 'out-of-bounds');
      expect(excursions.map((e) => [e.startIndex, e.endIndex])).toEqual(runs.map((r) => [r.start, r.end]));
      excursions.forEach((e, k) => {
        // Runs that never leave the search radius have no far fixes; the others are measured exactly.
        if (Number.isFinite(runs[k]!.max)) expect(e.maxDistanceM!).toBeCloseTo(runs[k]!.max, 6);
      });
      expect(
        runs.some((r) => r.max > 150),
        'some runs go far beyond the search radius',
      ).toBe(true);

      // Crossings: sample every segment between two fixes within the fence at 1 m steps.
      const crossings = new Set(events.filter((e) => e.type === 'crossing').map((e) => e.endIndex));
      let clear = 0,
        crossed = 0;
      for (let i = 1; i < n; i++) {
        if (d[i]! > toleranceM || d[i - 1]! > toleranceM) continue;
        const [, x0, y0] = steps[i - 1]!,
          [, x1, y1] = steps[i]!;
        const samples = 40;
        let max = -Infinity;
        for (let k = 1; k < samples; k++) {
          const sx = x0 + ((x1 - x0) * k) / samples,
            sy = y0 + ((y1 - y0) * k) / samples;
          let v = fence.signedDistanceM(sx, sy);
          if (v === Infinity) v = fence.searchRadiusM;
          max = Math.max(max, v);
        }
        if (max > toleranceM + 0.5) {
          expect(crossings.has(i), `segment ${i - 1}→${i} leaves the fence by ${max.toFixed(2)} m`).toBe(true);
          crossed++;
        } else if (max < toleranceM - 0.5 && crossings.has(i)) throw new Error(`segment ${i - 1}→${i} reported as a crossing but stays within ${max.toFixed(2)} m`);
        else clear++;
      }
      expect(crossed).toBeGreaterThan(0);
      expect(clear).toBeGreaterThan(0);
    });
  }
});

describe('the index at scale and across threads', () => {
  const random = rng(10_000);
  const licenses: License[] = [];
  for (let i = 0; i < 10_000; i++) {
    const lon = 118.1 + random() * 4.8,
      lat = 27.1 + random() * 4.0;
    const radius = 0.002 + random() * 0.006;
    const shell = star(random, lon, lat, 4 + Math.floor(random() * 60), radius);
    licenses.push(lonLatLicense(`T${i}`, [random() < 0.1 ? [shell, star(random, lon, lat, 5, radius * 0.3, true)] : [shell]]));
  }
  const fence = FenceIndex.build(licenses);
  const points = Array.from({ length: 1000 }, (_, i) => {
    // Half near license corners, half anywhere in the province.
    if (i % 2 === 0) {
      const ring = licenses[Math.floor(random() * licenses.length)]!.blocks[0]!.rings[0]!;
      return [ring[0]! + (random() - 0.5) * 0.002, ring[1]! + (random() - 0.5) * 0.002] as [number, number];
    }
    return [118 + random() * 5, 27 + random() * 4.2] as [number, number];
  });

  it('builds from 10 000 licenses and locates like a scan of every polygon', () => {
    expect(fence.licenseCount).toBe(10_000);
    let insideCount = 0;
    for (const [x, y] of points) {
      const brute = licenses.findIndex((l) => inRing(x, y, l.blocks[0]!.rings[0]!) && !l.blocks[0]!.rings.slice(1).some((h) => inRing(x, y, h)));
      expect(fence.locate(x, y)).toBe(brute);
      if (brute >= 0) insideCount++;
    }
    expect(insideCount).toBeGreaterThan(50);
  });

  it('is loaded in a worker thread from its ArrayBuffer without rebuilding', async () => {
    const built = new URL('../dist/src/fence/index.js', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.module).then(({ FenceIndex }) => {
         // The worker has only the buffer (no licenses to rebuild from).
         const fence = FenceIndex.from(workerData.data);
         parentPort.postMessage({ ids: fence.licenseCount, answers: workerData.points.map(([x, y]) => [fence.locate(x, y), fence.signedDistanceM(x, y)]) });
       });`,
      { eval: true, workerData: { module: built, data: fence.data, points } },
    );
    const reply = await new Promise<{ ids: number; answers: Array<[number, number]> }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(reply.ids).toBe(10_000);
    expect(reply.answers).toEqual(points.map(([x, y]) => [fence.locate(x, y), fence.signedDistanceM(x, y)]));
  });
});

describe('one boundary rule for every API', () => {
  // A star-like polygon: edges in every orientation, vertices at the top, bottom, left and right extremes.
  const ring: Array<[number, number]> = [];
  for (let k = 0; k < 16; k++) {
    const a = (k / 16) * 2 * Math.PI;
    const r = k % 2 === 0 ? 0.004 : 0.0025;
    ring.push([120 + r * Math.cos(a), 30 + r * Math.sin(a)]);
  }
  // Axis-aligned extras: a square block beside it with level and vertical edges.
  const square: Array<[number, number]> = [
    [120.01, 30],
    [120.012, 30],
    [120.012, 30.002],
    [120.01, 30.002],
  ];
  const star = lonLatLicense('star', [[[...ring, ring[0]!]], [[...square, square[0]!]]], { min: 0, max: 100 });
  const fence = FenceIndex.build([star]);

  it('every vertex is inside, and every API agrees at vertices, edge midpoints and points a hair off them', () => {
    const points: Array<[number, number, boolean]> = [];
    for (const poly of [ring, square]) {
      poly.forEach((p, i) => {
        const q = poly[(i + 1) % poly.length]!;
        points.push([p[0], p[1], true], [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, false]);
        // 1e-11° (≈ 1 µm) around the vertex in eight directions: at the edge of the boundary tolerance.
        for (let k = 0; k < 8; k++) points.push([p[0] + 1e-11 * Math.cos((k * Math.PI) / 4), p[1] + 1e-11 * Math.sin((k * Math.PI) / 4), false]);
      });
    }
    const lon = Float64Array.from(points, (p) => p[0]);
    const lat = Float64Array.from(points, (p) => p[1]);
    const plain = new Int32Array(points.length);
    const withD = new Int32Array(points.length);
    const dist = new Float64Array(points.length);
    fence.locateInto(lon, lat, plain);
    fence.locateInto(lon, lat, withD, dist);
    const out = new Int32Array(4);
    let inside = 0;
    points.forEach(([x, y, vertex], i) => {
      const label = `point ${i} (${x}, ${y})`;
      const answer = fence.locate(x, y);
      if (vertex) expect(answer, label).toBe(0);
      expect(plain[i], label).toBe(answer);
      expect(withD[i], label).toBe(answer);
      expect(dist[i]! <= 0, label).toBe(answer === 0);
      expect(fence.containingInto(x, y, out), label).toBe(answer === 0 ? 1 : 0);
      if (answer === 0) inside++;
    });
    expect(inside).toBeGreaterThan(points.length / 3);
    expect(inside).toBeLessThan(points.length);
  });

  it('a point a few centimetres outside a vertex is outside for every API', () => {
    const top = ring[4]!; // the northernmost vertex
    const x = top[0];
    const y = top[1] + 0.0000005; // ≈ 5.5 cm north
    expect(fence.locate(x, y)).toBe(-1);
    expect(fence.signedDistanceM(x, y)).toBeGreaterThan(0.04);
    expect(fence.containingInto(x, y, new Int32Array(2))).toBe(0);
  });
});
