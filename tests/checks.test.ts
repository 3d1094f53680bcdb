/**
 * The checks of the registry decide from measurements: each tested here with a
 * small fake context (no raster, no track file), at and around its threshold,
 * with overridden thresholds quoted in its title, and not assessed when an
 * input is missing or a measurement fails.
 */
import { describe, expect, it } from 'vitest';
import { runCheck } from '../src/audit/audit.js';
import { CHECKS } from '../src/audit/checks/index.js';
import type { AuditContext } from '../src/audit/context.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../src/audit/options.js';
import { GreenmineError } from '../src/errors.js';
import { WORLDCOVER } from '../src/raster/index.js';

const def = (id: string) => CHECKS.find((c) => c.id === id)!;
const manifest = {
  mine: { name: 'x' },
  license: 'l.txt',
  classes: [{ path: 'a.tif', date: '2024-01-01' }],
  dem: 'd.tif',
  tracks: [{ path: 't.csv', type: 'excavator' }],
  sensors: { readings: 'r.csv', stations: 's.csv', keyPositions: [{ role: '破碎站', lon: 120, lat: 30 }] },
  cameras: { path: 'c.csv' },
};

function fake(over: Record<string, unknown>, thresholds: Partial<Thresholds> = {}, m: Record<string, unknown> = manifest): AuditContext {
  return {
    manifest: m,
    t: { ...DEFAULT_THRESHOLDS, ...thresholds },
    loaded: { timeZone: 'Asia/Shanghai' },
    licenses: [],
    findings: [],
    latest: { path: 'a.tif', date: '2024-01-01' },
    previous: null,
    file: (p: string) => p,
    zones: async () => undefined,
    scheme: async () => WORLDCOVER,
    change: async () => null,
    tracks: async () => [{ track: { deviceId: 'e1' }, type: 'excavator' }],
    ...over,
  } as unknown as AuditContext;
}

const coverage =
  (greenRatio: number | null, bare = 10, outside: { bufferM: number; bareM2: number; nongreenableM2: number } | null = { bufferM: 50, bareM2: 0, nongreenableM2: 0 }) =>
  async () => ({
    greenRatio,
    areaM2: { green: 990, bare, excluded: 0, license: 1000 },
    beforeExclusionM2: { bare },
    barePatches: [],
    patches: 0,
    mode: 'fractional',
    outsideLicense: outside,
  });

describe('checks decide from measurements', () => {
  it('R1.1 against the target in force, quoted in its title', async () => {
    expect((await runCheck(def('R1.1'), fake({ coverage: coverage(1) }))).status).toBe('pass');
    expect((await runCheck(def('R1.1'), fake({ coverage: coverage(0.999) }))).status).toBe('fail');
    const lowered = await runCheck(def('R1.1'), fake({ coverage: coverage(0.999) }, { greenRatio: 0.95 }));
    expect(lowered.status).toBe('pass');
    expect(lowered.title.zh).toContain('95%');
    const none = await runCheck(def('R1.1'), fake({ coverage: coverage(null) }));
    expect(none.status).toBe('not-assessed');
    expect(none.reason!.zh).toMatch(/可绿化/);
  });

  it('R3.3 with a zero buffer is not assessed; bare ground outside fails above the allowance', async () => {
    expect((await runCheck(def('R3.3'), fake({ coverage: coverage(1, 0, null) }))).status).toBe('not-assessed');
    expect((await runCheck(def('R3.3'), fake({ coverage: coverage(1, 0, { bufferM: 50, bareM2: 12, nongreenableM2: 0 }) }))).status).toBe('fail');
    expect((await runCheck(def('R3.3'), fake({ coverage: coverage(1, 0, { bufferM: 50, bareM2: 12, nongreenableM2: 0 }) }, { maxOutsideBareM2: 20 }))).status).toBe('pass');
  });

  it('R3.1 fails when bare ground grew between surveys', async () => {
    const change = (before: number, now: number) => async () => ({ bareBeforeM2: before, bareNowM2: now, newBareM2: Math.max(0, now - before), regreenedM2: 0, patches: [] });
    const two = { ...manifest, classes: [{ path: 'a.tif' }, { path: 'b.tif' }] };
    expect((await runCheck(def('R3.1'), fake({ coverage: coverage(1), change: change(100, 150), previous: { path: 'a.tif' } }, {}, two))).status).toBe('fail');
    expect((await runCheck(def('R3.1'), fake({ coverage: coverage(1), change: change(150, 100), previous: { path: 'a.tif' } }, {}, two))).status).toBe('pass');
  });

  it('R5.1 and R5.2 from the fence events; R5.2 quotes the gap limit', async () => {
    const e = (type: string, maxDistanceM = 12) => ({ e: { type, device: 'e1', startS: 0, endS: 60, durationS: 60, fixes: 3, maxDistanceM, startIndex: 0, endIndex: 0 }, track: { lon: [120], lat: [30] } });
    const events = (fence: unknown[], gaps: unknown[]) => async () => ({ fence, gaps });
    expect((await runCheck(def('R5.1'), fake({ fenceEvents: events([], []) }))).status).toBe('pass');
    const fail = await runCheck(def('R5.1'), fake({ fenceEvents: events([e('out-of-bounds', 48), e('below-floor', 3)], []) }));
    expect(fail.status).toBe('fail');
    expect(fail.values).toMatchObject({ excursions: 1, belowFloor: 1, maxDistanceM: 48 });
    const gaps = await runCheck(def('R5.2'), fake({ fenceEvents: events([], [e('gap')]) }, { maxGapS: 120 }));
    expect(gaps.status).toBe('fail');
    expect(gaps.threshold).toEqual({ maxGapS: 120 });
  });

  it('R4.1 and R5.4 from the dust analysis', async () => {
    const dust = (alarms: unknown[], stations: unknown[], keyPositions: unknown[]) => async () => ({ rule: { name: 'r', pollutant: 'TSP', window: 'rolling', windowMin: 60, limitUgM3: 1000 }, alarms, stations, keyPositions, findings: [] });
    const clean = fake({ dust: dust([], [{ id: 'D1', silent: false, completeness: 1 }], [{ role: '破碎站', covered: true, station: 'D1' }]) });
    expect((await runCheck(def('R4.1'), clean)).status).toBe('pass');
    expect((await runCheck(def('R5.4'), clean)).status).toBe('pass');
    const bad = fake({
      dust: dust(
        [{ station: 'D1', start: 0, end: 3600, peakUgM3: 1800, meanUgM3: 1200 }],
        [{ id: 'D1', silent: false, completeness: 1 }],
        [
          { role: '破碎站', covered: true, station: 'D1' },
          { role: '道路', covered: false },
        ],
      ),
    });
    const r41 = await runCheck(def('R4.1'), bad);
    expect(r41.status).toBe('fail');
    expect(r41.problem!.zh).toContain('1800');
    const r54 = await runCheck(def('R5.4'), bad);
    expect(r54.problem!.zh).toContain('道路未设粉尘监测');
  });

  it('R5.3 passes within 0.1 % of the share in force; its title follows an override', async () => {
    const cams = (share: number) => async () => ({ mode: 'line-of-sight', cameras: [], coveredShare: share, coveredM2: share * 100, licenseM2: 100, uncoveredM2: 100 - share * 100, uncovered: { features: [] } });
    expect((await runCheck(def('R5.3'), fake({ cameraCoverage: cams(0.9995) }))).status).toBe('pass');
    expect((await runCheck(def('R5.3'), fake({ cameraCoverage: cams(0.99) }))).status).toBe('fail');
    const lowered = await runCheck(def('R5.3'), fake({ cameraCoverage: cams(0.8) }, { minVideoCoverage: 0.75 }));
    expect(lowered.status).toBe('pass');
    expect(lowered.title.zh).toContain('75%');
  });
});

describe('not assessed, with a coded reason', () => {
  it('derived from the inputs a check declares', async () => {
    for (const c of CHECKS) {
      const r = await runCheck(c, fake({}, {}, { mine: { name: 'x' }, license: 'l.txt' }));
      expect(r.status, c.id).toBe('not-assessed');
      expect(r.reason!.code, c.id).toBe('INPUT_MISSING');
      expect(r.reason!.zh, c.id).toMatch(/清单未提供/);
    }
  });

  it('when a measurement fails, with its error code', async () => {
    const failing = fake({
      coverage: async () => {
        throw new GreenmineError('RASTER_DAMAGED', 'a.tif: damaged');
      },
    });
    const r = await runCheck(def('R1.1'), failing);
    expect(r.status).toBe('not-assessed');
    expect(r.reason).toMatchObject({ code: 'RASTER_DAMAGED' });
    expect(r.reason!.en).toContain('a.tif');
  });

  it('titles quote the thresholds in force', () => {
    expect(def('R2.2').title({ ...DEFAULT_THRESHOLDS, maxExposedSlopes: 3 }).zh).toBe('露天矿山裸露终了边坡不超过3个');
    expect(def('R2.3').title({ ...DEFAULT_THRESHOLDS, minSoilM: 0.5 }).zh).toBe('平台覆土不低于50cm');
    expect(def('R2.2').title(DEFAULT_THRESHOLDS).zh).toBe('露天矿山裸露终了边坡不超过2个');
  });
});

describe('R3.2 against the shapely reference (fixtures/make_roadside.py)', async () => {
  const { readFileSync } = await import('node:fs');
  const { fixture } = await import('./helpers.js');
  const { measureRoadside } = await import('../src/raster/index.js');
  const { loadLicenses, loadLines } = await import('../src/license/index.js');
  const { runAudit } = await import('../src/audit/index.js');
  const ref = JSON.parse(readFileSync(fixture('demo-mine/EXPECTED_R3.2.json'), 'utf8'));
  const rel = (a: number, b: number): number => Math.abs(a - b) / b;

  it('the roadside strip and its bare and netted ground within 0.5 % of the exact areas', async () => {
    const r = await measureRoadside(fixture('demo-mine/classes_2024.tif'), loadLines(fixture('demo-mine/roads.geojson')), { halfWidthM: ref.halfWidthM, stripM: ref.stripM, netted: await loadLicenses(fixture('demo-mine/netted.geojson')) });
    expect(rel(r.stripM2, ref.roadsideM2)).toBeLessThan(0.005);
    expect(rel(r.bareM2, ref.roadsideBareM2)).toBeLessThan(0.005);
    expect(rel(r.nettedM2, ref.roadsideNettedM2)).toBeLessThan(0.005);
    expect(r.unknownM2).toBe(0);
  });

  it('the demo mine exercises R3.2: roads, idle ground and a netted patch', async () => {
    const report = await runAudit(fixture('demo-mine/mine.json'));
    const c = report.checks.find((x) => x.id === 'R3.2')!;
    expect(c.status).toBe('fail');
    expect(c.values.roadsSource).toBe('manifest');
    expect(rel(c.values.roadsideBareM2 as number, ref.roadsideBareM2)).toBeLessThan(0.005);
    expect(rel(c.values.idleM2 as number, ref.idleM2)).toBeLessThan(0.005);
    expect(rel(c.values.idleBareM2 as number, ref.idleBareM2)).toBeLessThan(0.01);
    expect(c.values.nettedM2 as number).toBeGreaterThan(0);
    expect(c.evidence.some((f) => f.geometry.type === 'LineString')).toBe(true);
    expect(c.problem!.zh).toContain('运输道路两侧');
  });
});

describe('R3.2 with roads derived from trucks', () => {
  it('without zones.roads, the truck tracks give the roads (roadsSource "tracks")', async () => {
    const { R3_2 } = await import('../src/audit/checks/R3.2.js');
    const road = [
      [119.948, 30.575],
      [119.951, 30.5755],
      [119.954, 30.577],
    ];
    const derived: Array<{ track: unknown; type: string }> = [];
    // Ten passes along the road, a fix every 8 m.
    for (let k = 0; k < 10; k++) {
      const lon: number[] = [],
        lat: number[] = [],
        time: number[] = [];
      for (let i = 0; i + 1 < road.length; i++) {
        for (let s = 0; s < 1; s += 0.03) {
          lon.push(road[i]![0]! + s * (road[i + 1]![0]! - road[i]![0]!));
          lat.push(road[i]![1]! + s * (road[i + 1]![1]! - road[i]![1]!) + (k % 2 ? 1e-5 : -1e-5));
          time.push(k * 3600 + time.length);
        }
      }
      derived.push({ type: 'truck', track: { deviceId: `t${k}`, timeS: Float64Array.from(time), lon: Float64Array.from(lon), lat: Float64Array.from(lat), eleM: null, hdop: null, speedMps: null } });
    }
    const { fixture } = await import('./helpers.js');
    const ctx = fake({ tracks: async () => derived, file: (p: string) => fixture(`demo-mine/${p}`), zones: async () => undefined }, {}, { ...manifest, classes: [{ path: 'classes_2024.tif' }], tracks: [{ path: 't.csv', type: 'truck' }] });
    (ctx as unknown as { latest: unknown }).latest = { path: 'classes_2024.tif' };
    const r = await runCheck(R3_2, ctx);
    expect(r.values.roadsSource).toBe('tracks');
    expect(r.values.roadsideM2 as number).toBeGreaterThan(2 * 10 * 500); // two 10 m strips along ≥ 500 m of road
    expect(r.evidence.filter((f) => f.geometry.type === 'LineString').length).toBeGreaterThan(0);
  });
});

describe("the manifest's class scheme reaches every raster check", () => {
  it("a scheme calling code 60 green turns the demo's bare patches green (R1.1 passes, R3.2 finds no bare roadside)", async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fixture } = await import('./helpers.js');
    const { runAudit } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'gm-scheme-'));
    const classes = Object.fromEntries([...WORLDCOVER.classes].map(([code, c]) => [String(code), { name: c.name, group: code === 60 ? 'green' : c.group }]));
    writeFileSync(join(dir, 'scheme.json'), JSON.stringify({ name: 'all green', nodata: 0, classes }));
    const demo = fixture('demo-mine');
    writeFileSync(
      join(dir, 'mine.json'),
      JSON.stringify({ mine: { name: 's' }, license: join(demo, '../scene-a/license_corners.txt'), classes: [{ path: join(demo, 'classes_2024.tif') }], scheme: 'scheme.json', zones: { roads: join(demo, 'roads.geojson') } }),
    );
    const r = await runAudit(join(dir, 'mine.json'), { allowOutside: true });
    const c = (id: string) => r.checks.find((x) => x.id === id)!;
    expect(c('R1.1').status).toBe('pass');
    expect(c('R3.2').values.roadsideBareM2).toBe(0);
    expect(r.inputs.map((i) => i.role)).toContain('scheme');
  });
});

describe('R3.2 idle ground derived from two surveys', () => {
  it('is bare in both surveys, outside the working floor and away from the tracks; checked pixel by pixel', async () => {
    const { fixture } = await import('./helpers.js');
    const { bareChange, RasterReader } = await import('../src/raster/index.js');
    const { loadLicenses } = await import('../src/license/index.js');
    const { FenceIndex } = await import('../src/fence/index.js');
    const { createTransform, crsFromEpsg } = await import('../src/crs/index.js');
    const before = fixture('scene-a/classes.tif');
    const now = fixture('demo-mine/classes_2024.tif');
    const licenses = await loadLicenses(fixture('scene-a/license_corners.txt'));
    const excluded = await loadLicenses(fixture('scene-a/excluded_zones.geojson'));
    const free = await bareChange(before, now, licenses, { exclude: excluded, worked: new Float64Array(0), minPatchM2: 1 });
    // Independently: pixel centres inside the license and outside the excluded zones, bare (60) in both.
    const a = await RasterReader.open(before);
    const b = await RasterReader.open(now);
    const lic = FenceIndex.build(licenses);
    const exc = FenceIndex.build(excluded);
    const toLonLat = createTransform(b.info.crs, crsFromEpsg(4326));
    const t = b.info.transform;
    let expectedM2 = 0;
    const p: [number, number] = [0, 0];
    for (let by = 0; by < b.blocksDown; by++)
      for (let bx = 0; bx < b.blocksAcross; bx++) {
        const ba = await a.readBlock(bx, by);
        const bb = await b.readBlock(bx, by);
        for (let r = 0; r < b.info.blockHeight; r++)
          for (let c = 0; c < b.info.blockWidth; c++) {
            const col = bx * b.info.blockWidth + c,
              row = by * b.info.blockHeight + r;
            if (col >= b.info.width || row >= b.info.height) continue;
            const i = r * b.info.blockWidth + c;
            if (ba[i] !== 60 || bb[i] !== 60) continue;
            toLonLat.point(t[0] + (col + 0.5) * t[1], t[3] + (row + 0.5) * t[5], p);
            if (lic.locate(p[0], p[1]) < 0 || exc.locate(p[0], p[1]) >= 0) continue;
            expectedM2 += b.pixelAreaM2(row);
          }
      }
    await a.close();
    await b.close();
    expect(free.idleBareM2!).toBeGreaterThan(0);
    // Centre-in rules agree but for pixels whose centre sits on an edge.
    expect(Math.abs(free.idleBareM2! - expectedM2)).toBeLessThanOrEqual(Math.max(3, expectedM2 * 0.002));
    // A machine working on that ground makes it not idle.
    const patch = free.patches.filter((x) => x.kind === 'idle').sort((x, y) => y.areaM2 - x.areaM2)[0];
    expect(patch).toBeDefined();
    const worked = await bareChange(before, now, licenses, { exclude: excluded, worked: Float64Array.from(patch!.centroid), workedRadiusM: 10, minPatchM2: 1 });
    expect(worked.idleBareM2!).toBeLessThan(free.idleBareM2!);
    expect(free.idleBareM2! - worked.idleBareM2!).toBeLessThanOrEqual(3 * 10 * 3 * 10 * 1.01); // at most the 3×3 worked cells of 10 m
  });
});

describe('measureRoadside edges and bad input', async () => {
  const { fixture } = await import('./helpers.js');
  const { measureRoadside } = await import('../src/raster/index.js');
  const { loadLines } = await import('../src/license/index.js');
  const { errorCode } = await import('./helpers.js');
  const raster = fixture('demo-mine/classes_2024.tif');
  const roads = loadLines(fixture('demo-mine/roads.geojson'));

  it('a road densified into thousands of vertices measures the same strip (segments are found by row bands)', async () => {
    const dense = roads.map((line) => {
      const out: number[][] = [];
      for (let i = 0; i + 1 < line.length; i++) for (let k = 0; k < 2000; k++) out.push([line[i]![0]! + ((line[i + 1]![0]! - line[i]![0]!) * k) / 2000, line[i]![1]! + ((line[i + 1]![1]! - line[i]![1]!) * k) / 2000]);
      out.push(line.at(-1)!);
      return out;
    });
    const a = await measureRoadside(raster, roads, { halfWidthM: 4, stripM: 10 });
    const b = await measureRoadside(raster, dense, { halfWidthM: 4, stripM: 10 });
    expect(Math.abs(b.stripM2 - a.stripM2) / a.stripM2).toBeLessThan(1e-3);
    expect(Math.abs(b.bareM2 - a.bareM2) / a.bareM2).toBeLessThan(1e-3);
  });

  it('a strip reaching past the raster is a finding; bad widths and no segment are coded errors', async () => {
    // A road along the raster's west edge (column 0.5): half its strip lies off the raster.
    const { createTransform, crsFromEpsg } = await import('../src/crs/index.js');
    const toLonLat = createTransform(crsFromEpsg(4549), crsFromEpsg(4326));
    const edge = [toLonLat.point(494671.5, 3384400), toLonLat.point(494671.5, 3384100)];
    const r = await measureRoadside(raster, [edge], { halfWidthM: 4, stripM: 10 });
    expect(r.findings.map((f) => f.code)).toContain('RASTER_LICENSE_PARTLY_OUTSIDE');
    expect(r.stripM2).toBeGreaterThan(0.45 * 2 * 10 * 300);
    expect(r.stripM2).toBeLessThan(0.55 * 2 * 10 * 300 + 400);
    expect(await errorCode(() => measureRoadside(raster, roads, { halfWidthM: 4, stripM: 0 }))).toBe('RASTER_BAD_OPTION');
    expect(await errorCode(() => measureRoadside(raster, [[[120, 30]]], { halfWidthM: 4, stripM: 10 }))).toBe('RASTER_BAD_OPTION');
  });
});
