import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest, REPORT_VERSION, runAudit, writeAuditOutputs } from '../src/audit/index.js';
import { main } from '../src/cli/main.js';
import { loadLicenses } from '../src/license/index.js';
import { measureCoverage } from '../src/raster/index.js';
import { exposedSlopes } from '../src/terrain/index.js';
import { errorCode, fixture } from './helpers.js';
import { baseTags, craftTiff } from './tiff-craft.js';

const DEMO = fixture('demo-mine/mine.json');
const SCENE = fixture('scene-a/mine.json');
const report = await runAudit(SCENE);
const demoReport = await runAudit(DEMO);
const byId = (id: string) => report.checks.find((c) => c.id === id)!;

describe('audit of the reference scene (scene-a/mine.json)', () => {
  it('statuses follow from the measurements', () => {
    expect(byId('R1.1').status).toBe('fail'); // green ratio below 100 %
    expect(byId('R2.2').status).toBe('fail'); // 3 exposed slopes at 25° / 50 m²
    expect(byId('R2.2').values.count).toBe(3);
    expect(byId('R2.3').status).toBe('fail'); // one platform below 30 cm
    expect(byId('R2.3').values.failing).toBe(1);
    expect(byId('R5.1').status).toBe('fail'); // 3 fence excursions
    expect(byId('R5.1').values.excursions).toBe(3);
    expect(byId('R4.2').status).toBe('not-assessed'); // no wash zone or truck in scene-a
    expect(byId('R5.2').status).toBe('pass');
    for (const id of ['R4.1', 'R5.3', 'R5.4']) expect(byId(id).status).toBe('not-assessed');
    // On-site items are a checklist, never checks that pass.
    expect(report.onSite.map((o) => o.id)).toEqual(['R1.2', 'R2.4', 'R4.3', 'R5.5', 'R6.1']);
    expect(report.checks.map((c) => c.id)).not.toContain('R1.2');
  });

  it('the numbers equal what the individual commands give', async () => {
    const licenses = await loadLicenses(fixture('scene-a/license_corners.txt'));
    const coverage = await measureCoverage(fixture('scene-a/classes.tif'), licenses, { exclude: await loadLicenses(fixture('scene-a/excluded_zones.geojson')), bufferM: 50 });
    expect(byId('R1.1').values.greenRatio).toBe(coverage.greenRatio);
    expect(byId('R1.1').values.bareM2).toBe(coverage.areaM2.bare);
    const slopes = await exposedSlopes(fixture('scene-a/classes.tif'), fixture('scene-a/dem.tif'), licenses);
    expect(byId('R2.2').values.bareSlopeSurfaceM2).toBe(slopes.bareSlopeAreaM2.surface);
    expect(report.license!.areaM2.ellipsoidal).toBeCloseTo(729028.37, 1);
    expect(report.thresholds.maxExposedSlopes).toBe(2);
    expect(report.overriddenThresholds).toEqual([]);
  });

  it('every failed check has a Chinese and an English sentence and its evidence', () => {
    for (const c of report.checks.filter((x) => x.status === 'fail')) {
      expect(c.problem!.zh.length).toBeGreaterThan(5);
      expect(c.problem!.en.length).toBeGreaterThan(5);
      expect(c.measure!.zh.length).toBeGreaterThan(5);
    }
    expect(byId('R2.2').evidence).toHaveLength(3);
    expect(byId('R3.1').values.surveys).toBe(1);
    expect(byId('R5.1').evidence).toHaveLength(3);
    expect(byId('R1.1').evidence.length).toBe(3);
  });

  it('writes report.json, report.html, evidence.geojson and form.csv', () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-audit-'));
    const files = writeAuditOutputs(report, dir);
    const json = JSON.parse(readFileSync(files.json, 'utf8'));
    expect(json.version).toBe(REPORT_VERSION);
    const evidence = JSON.parse(readFileSync(files.geojson, 'utf8'));
    expect(evidence.features.length).toBeGreaterThanOrEqual(10);
    expect(evidence.features.every((f: { properties: { finding: string } }) => /^R\d\.\d$/.test(f.properties.finding))).toBe(true);
    const csv = readFileSync(files.csv, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trim().split('\r\n');
    expect(lines[0]).toBe('序号,整治提升内容,存在的问题,整改提升措施,计划完成时间,责任单位');
    expect(lines).toHaveLength(7);
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('矿山企业整治提升表');
    expect(html).toContain('<svg');
    expect((html.match(/<g data-layer="license"[^>]*>(.*?)<\/g>/)?.[1]?.match(/<path /g) ?? []).length).toBe(2); // two blocks
    expect(html).toContain('@page{size:A4');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // self-contained
  });
});

describe('audit of the demo mine (two surveys, a truck)', () => {
  it('measures the change between surveys and the truck washing', () => {
    const c = (id: string) => demoReport.checks.find((x) => x.id === id)!;
    expect(c('R3.1').values.surveys).toBe(2);
    expect(c('R3.1').values.regreenedM2 as number).toBeGreaterThan(400); // two benches re-greened
    expect(c('R3.1').values.newBareM2 as number).toBeGreaterThanOrEqual(600); // a 30 m × 20 m scar
    const kinds = c('R3.1').evidence.map((f) => f.properties.kind);
    expect(kinds).toContain('new-bare');
    expect(kinds).toContain('regreened');
    expect(c('R4.2').status).toBe('fail'); // one exit without washing
    expect(c('R4.2').values.unwashedExits).toBe(1);
    expect(c('R2.2').values.count as number).toBeLessThan(3); // benches re-greened since scene-a
  });
});

describe('bad manifests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-manifest-'));
  const write = (name: string, doc: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return path;
  };
  const scene = (p: string): string => resolve(fixture(`scene-a/${p}`));

  it('schema errors name the JSON path', async () => {
    const path = write('bad.json', { mine: { name: 'x' }, license: scene('license_corners.txt'), zones: { wash: 5 }, tracks: [{ path: 'a.gpx', type: 'tractor' }], colour: 'green' });
    try {
      loadManifest(path);
      expect.unreachable();
    } catch (err) {
      const e = err as { code: string; findings: Array<{ where: { path?: string }; message: string }> };
      expect(e.code).toBe('MANIFEST_INVALID');
      const paths = e.findings.map((f) => f.where.path);
      expect(paths).toContain('/zones/wash');
      expect(paths).toContain('/tracks/0/type');
      expect(e.findings.some((f) => f.message.includes('colour'))).toBe(true);
    }
    expect(await errorCode(() => loadManifest(write('syntax.json', '{')))).toBe('MANIFEST_SYNTAX');
    expect(await errorCode(() => loadManifest(join(dir, 'none.json')))).toBe('FILE_NOT_FOUND');
  });

  it('missing files and rasters that do not cover the license leave the checks not assessed; the rest runs', async () => {
    const far = join(dir, 'far.tif');
    const { writeTiledTiff } = await import('../src/raster/index.js');
    await writeTiledTiff(far, { width: 50, height: 50, tileSize: 64, type: 'uint8', deflate: true, originX: 400000, originY: 3000000, pixelSize: 1, epsg: 4549, nodata: '0' }, (_x, _y, out) => out.fill(10));
    const path = write('partial.json', {
      mine: { name: '测试' },
      license: scene('license_corners.txt'),
      classes: [{ path: far }],
      dem: 'missing-dem.tif',
      tracks: [{ path: scene('excavator.gpx'), type: 'excavator' }],
      thresholds: { fenceToleranceM: 10 },
    });
    const r = await runAudit(path, { allowOutside: true });
    expect(r.findings.map((f) => f.code)).toContain('MANIFEST_FILE_MISSING');
    const c = (id: string) => r.checks.find((x) => x.id === id)!;
    expect(c('R1.1').status).toBe('not-assessed');
    expect(c('R1.1').reason!.code).toBe('RASTER_NO_OVERLAP');
    expect(c('R2.2').reason!.code).toBe('FILE_NOT_FOUND'); // named, but not there
    expect(c('R2.3').reason).toMatchObject({ code: 'INPUT_MISSING', zh: expect.stringContaining('soil') });
    expect(c('R2.2').status).toBe('not-assessed');
    expect(c('R5.1').status).toBe('fail');
    expect(r.overriddenThresholds).toEqual(['fenceToleranceM']);
    expect(r.thresholds.fenceToleranceM).toBe(10);
  });

  it('greenmine audit exits 0 when it ran, 1 when it could not, 2 on bad usage', async () => {
    const run = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
      return { code, stdout, stderr };
    };
    const out = join(dir, 'out');
    const ok = await run('audit', DEMO, '--out', out);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('report.html');
    const broken = await run('audit', write('nolicense.json', { mine: { name: 'x' }, license: 'nope.txt' }), '--out', out);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('AUDIT_LICENSE');
    expect((await run('audit')).code).toBe(2);
  });
});

describe('a track in the wrong frame', () => {
  it('a GCJ-02 track read as WGS 84 is detected and named', async () => {
    const { fromWgs84 } = await import('../src/crs/index.js');
    const { loadTracks } = await import('../src/track/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-gcj-'));
    const track = loadTracks(fixture('scene-a/excavator.csv')).tracks[0]!;
    const lines = ['time,lon,lat'];
    for (let i = 0; i < track.timeS.length; i++) {
      const [lon, lat] = fromWgs84('GCJ02', track.lon[i]!, track.lat[i]!);
      lines.push(`${new Date(track.timeS[i]! * 1000).toISOString()},${lon},${lat}`);
    }
    writeFileSync(join(dir, 'gcj.csv'), lines.join('\n'));
    const manifest = join(dir, 'mine.json');
    writeFileSync(manifest, JSON.stringify({ mine: { name: 'x' }, license: resolve(fixture('scene-a/license_corners.txt')), tracks: [{ path: 'gcj.csv', type: 'excavator' }] }));
    const r = await runAudit(manifest, { allowOutside: true });
    const hint = r.findings.find((f) => f.code === 'TRACK_FRAME_OFFSET');
    expect(hint?.message).toContain('GCJ02');
    // Declared, it audits like the WGS 84 track: three excursions.
    writeFileSync(manifest, JSON.stringify({ mine: { name: 'x' }, license: resolve(fixture('scene-a/license_corners.txt')), tracks: [{ path: 'gcj.csv', type: 'excavator', frame: 'gcj02' }] }));
    const declared = await runAudit(manifest, { allowOutside: true });
    expect(declared.findings.map((f) => f.code)).not.toContain('TRACK_FRAME_OFFSET');
    expect(declared.checks.find((c) => c.id === 'R5.1')!.values.excursions).toBe(3);
  });
});

describe('batch, merge and init', () => {
  const province = mkdtempSync(join(tmpdir(), 'greenmine-province-'));
  const demo = JSON.parse(readFileSync(DEMO, 'utf8'));
  const absolute = (p: string): string => resolve(fixture('demo-mine'), p);
  const manifest = {
    ...demo,
    license: absolute(demo.license),
    classes: demo.classes.map((c: { path: string }) => ({ ...c, path: absolute(c.path) })),
    dem: absolute(demo.dem),
    soil: { before: absolute(demo.soil.before), after: absolute(demo.soil.after) },
    zones: Object.fromEntries(Object.entries(demo.zones as Record<string, string>).map(([k, v]) => [k, absolute(v)])),
    tracks: demo.tracks.map((t: { path: string }) => ({ ...t, path: absolute(t.path) })),
  };
  for (const name of ['a-mine', 'b-mine']) {
    mkdirSync(join(province, name));
    writeFileSync(join(province, name, 'mine.json'), JSON.stringify({ ...manifest, mine: { ...manifest.mine, name } }));
  }
  mkdirSync(join(province, 'c-broken'));
  writeFileSync(join(province, 'c-broken', 'mine.json'), JSON.stringify({ mine: { name: 'c-broken' }, license: 'missing.txt' }));

  it('audits every mine, one failure does not stop the rest, summaries written, --resume skips current reports', async () => {
    const { findManifests, runBatch } = await import('../src/audit/index.js');
    const out = join(province, '..', `${basename(province)}-out`);
    const manifests = findManifests(province);
    expect(manifests).toHaveLength(3);
    const rows = await runBatch(manifests, { out, concurrency: 2, allowOutside: true });
    expect(rows.filter((r) => r.outcome === 'audited')).toHaveLength(2);
    const broken = rows.find((r) => r.outcome === 'failed')!;
    expect(broken.error).toContain('AUDIT_LICENSE');
    const audited = rows.find((r) => r.outcome === 'audited')!;
    const direct = demoReport.checks.find((c) => c.id === 'R2.2')!;
    expect(audited.statuses['R2.2']).toBe(direct.status);
    expect(audited.exposedSlopes).toBe(direct.values.count);
    expect(audited.statuses['R4.2']).toBe('fail');
    const csv = readFileSync(join(out, 'summary.csv'), 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.trim().split('\r\n')).toHaveLength(4);
    const again = await runBatch(manifests, { out, concurrency: 2, resume: true, allowOutside: true });
    expect(again.filter((r) => r.outcome === 'skipped')).toHaveLength(2);
  });

  it('shards are deterministic and merge back into the whole', async () => {
    const { findManifests, runBatch, mergeSummaries, shard } = await import('../src/audit/index.js');
    const manifests = findManifests(province);
    expect([...shard(manifests, 1, 2), ...shard(manifests, 2, 2)].sort()).toEqual(manifests);
    const base = join(province, '..', `${basename(province)}-shards`);
    await runBatch(manifests, { out: join(base, '1'), shard: [1, 2], allowOutside: true });
    await runBatch(manifests, { out: join(base, '2'), shard: [2, 2], allowOutside: true });
    const merged = mergeSummaries([join(base, '1'), join(base, '2')], join(base, 'all'));
    expect(merged.map((r) => r.manifest).sort()).toEqual(manifests);
    expect(() => shard(manifests, 3, 2)).toThrow();
  });

  it('init guesses roles from names and lists what it could not place', async () => {
    const { initManifest } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-init-'));
    for (const name of [
      '采矿许可证拐点.txt',
      'classes_2023.tif',
      'dem.tif',
      'dem_before_soil.tif',
      'dem_after_soil.tif',
      '平台.geojson',
      '洗车.geojson',
      'excavator.gpx',
      'truck_gps.csv',
      '粉尘监测数据.csv',
      'stations.csv',
      '摄像头.csv',
      'notes.txt',
    ])
      writeFileSync(join(dir, name), name.endsWith('.tif') ? tinyTiff(name.startsWith('dem') ? 'float' : 'uint8') : 'x');
    const { manifest, unplaced, missingRoles, unassessable } = initManifest(dir);
    expect(manifest.license).toBe('采矿许可证拐点.txt');
    expect(manifest.classes).toEqual([{ path: 'classes_2023.tif' }]);
    expect(manifest.dem).toBe('dem.tif');
    expect(manifest.dem).toBe('dem.tif');
    expect(manifest.soil).toEqual({ before: 'dem_before_soil.tif', after: 'dem_after_soil.tif' });
    expect(manifest.zones).toMatchObject({ platforms: '平台.geojson', wash: '洗车.geojson' });
    expect(manifest.tracks).toEqual([
      { path: 'excavator.gpx', type: 'excavator' },
      { path: 'truck_gps.csv', type: 'truck' },
    ]);
    expect(manifest.sensors).toEqual({ readings: '粉尘监测数据.csv', stations: 'stations.csv' });
    expect(manifest.cameras).toEqual({ path: '摄像头.csv' });
    expect(unplaced).toEqual(['notes.txt']);
    expect(missingRoles).toContain('zones.excluded');
    expect(missingRoles).not.toContain('cameras');
    // What the draft cannot run comes from the registry's declared inputs.
    const { CHECKS } = await import('../src/audit/checks/index.js');
    for (const u of unassessable) expect(CHECKS.find((c) => c.id === u.id)!.needs).toContain(u.input);
    const { INPUTS } = await import('../src/audit/context.js');
    for (const u of unassessable) expect(INPUTS[u.input as keyof typeof INPUTS].present(manifest)).toBe(false);
    expect(unassessable.length).toBeGreaterThan(0);
  });
});

describe('the published report schema', () => {
  it('report.json of both mines validates against schemas/report.schema.json', async () => {
    const { Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(new URL('../schemas/report.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const r of [report, demoReport]) {
      const ok = validate(JSON.parse(JSON.stringify(r)));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
    // And it is not vacuous: a broken report fails.
    expect(validate({ ...JSON.parse(JSON.stringify(report)), checks: [{ id: 'X', row: 9 }] })).toBe(false);
  });
});

describe('dust monitors and cameras in the audit (R4.1, R5.3, R5.4)', () => {
  const c = (id: string) => demoReport.checks.find((x) => x.id === id)!;

  it('R4.1 and R5.4 are what the dust library gives for the manifest', async () => {
    const { analyseDust, loadReadings, parseStations, PRESETS } = await import('../src/sensors/index.js');
    const manifest = JSON.parse(readFileSync(DEMO, 'utf8'));
    const dust = analyseDust(loadReadings(fixture('sensors/readings.csv')).readings, parseStations(readFileSync(fixture('sensors/stations.csv')), 's.csv'), PRESETS.gb16297!, {
      keyPositions: manifest.sensors.keyPositions,
      minCompleteness: 0.9,
    });
    expect(c('R4.1').values.alarms).toBe(dust.alarms.length);
    expect(c('R4.1').status).toBe(dust.alarms.length > 0 || dust.stations.some((s) => s.silent) ? 'fail' : 'pass');
    expect(c('R4.1').problem!.zh).toMatch(/粉尘超标报警/);
    const positions = c('R5.4').events!.filter((e) => e.type === 'key-position');
    expect(positions.map((p) => p.role)).toEqual(['processing plant', 'haul road', 'boundary']);
    expect(positions.every((p) => p.covered)).toBe(true);
  });

  it('R5.3 is the camera coverage on the manifest DEM, with the unseen parts as evidence', async () => {
    const { cameraCoverage, loadCameras } = await import('../src/cameras/index.js');
    const licenses = await loadLicenses(fixture('scene-a/license_corners.txt'));
    const direct = await cameraCoverage(licenses, loadCameras(fixture('demo-mine/cameras.csv')), { dem: fixture('scene-a/dem.tif'), minUncoveredM2: 50 });
    expect(c('R5.3').values.mode).toBe('line-of-sight');
    expect(c('R5.3').values.coveredShare).toBeCloseTo(direct.coveredShare, 12);
    expect(c('R5.3').status).toBe('fail');
    expect(c('R5.3').evidence.length).toBe(direct.uncovered.features.length); // parts ≥ minPatchM2 (50 m²)
    expect(direct.uncovered.features.every((f) => f.properties.areaM2 >= 50)).toBe(true);
    expect(c('R5.3').events!.map((e) => e.id)).toEqual(['V1', 'V2', 'V3']);
  });

  it('R5.4 fails on a key position without a monitor; a missing station file leaves R4.1 and R5.4 not assessed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gm-dust-audit-'));
    const sensors = { readings: fixture('sensors/readings.csv'), stations: fixture('sensors/stations.csv'), keyPositions: [{ role: '破碎站', lon: 119.9, lat: 30.5 }] };
    const base = { mine: { name: '粉尘测试' }, license: fixture('scene-a/license_corners.txt') };
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ ...base, sensors }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...base, sensors: { ...sensors, stations: 'missing.csv' } }));
    const a = await runAudit(join(dir, 'a.json'), { allowOutside: true });
    const r54 = a.checks.find((x) => x.id === 'R5.4')!;
    expect(r54.status).toBe('fail');
    expect(r54.values.unmonitored).toBe(1);
    expect(r54.problem!.zh).toContain('破碎站未设粉尘监测');
    expect(a.findings.map((f) => f.code)).toContain('DUST_KEY_POSITION_UNMONITORED');
    const b = await runAudit(join(dir, 'b.json'), { allowOutside: true });
    for (const id of ['R4.1', 'R5.4']) {
      const check = b.checks.find((x) => x.id === id)!;
      expect(check.status).toBe('not-assessed');
      expect(check.reason!.code).toBe('FILE_NOT_FOUND');
    }
  });

  it('flat-ground sectors when the manifest says dem: null; the coverage threshold can be overridden', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gm-cam-audit-'));
    const base = { mine: { name: '摄像测试' }, license: fixture('cameras/license.geojson'), cameras: { path: fixture('cameras/cameras.csv'), crs: 'EPSG:4549', dem: null } };
    writeFileSync(join(dir, 'a.json'), JSON.stringify(base));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...base, thresholds: { minVideoCoverage: 0.25 } }));
    const a = await runAudit(join(dir, 'a.json'), { allowOutside: true });
    const b = await runAudit(join(dir, 'b.json'), { allowOutside: true });
    const share = (Math.PI * 100 * 100 + (Math.PI * 80 * 80) / 2) / (500 * 300);
    const ra = a.checks.find((x) => x.id === 'R5.3')!;
    expect(ra.values.mode).toBe('sectors');
    expect(Math.abs((ra.values.coveredShare as number) - share)).toBeLessThan(1e-3);
    expect(ra.status).toBe('fail');
    expect(b.checks.find((x) => x.id === 'R5.3')!.status).toBe('pass');
    expect(b.overriddenThresholds).toContain('minVideoCoverage');
    expect(a.checks.find((x) => x.id === 'R4.1')!.status).toBe('not-assessed');
  });
});

describe('an honest form', () => {
  it('a row whose checks did not run never reads clean, and says why in Chinese', () => {
    for (const r of [report, demoReport]) {
      for (const row of r.form) {
        const checks = r.checks.filter((c) => c.row === row.row);
        const unassessed = checks.filter((c) => c.status === 'not-assessed');
        if (unassessed.length) {
          expect(row.problems, `row ${row.row}`).not.toContain('未发现可量测问题');
          for (const c of unassessed) expect(row.problems).toContain(`${c.id} ${c.title.zh}：未评估`);
        }
        if (checks.length && checks.every((c) => c.status === 'pass')) expect(row.problems).toBe('未发现可量测问题');
        // No English sentence in the Chinese column (codes like RASTER_NO_OVERLAP are allowed).
        expect(row.problems.replace(/\b[A-Z][A-Z0-9_]+\b|R\d\.\d|\b(classes|dem|soil|zones\.\w+|tracks|type|truck|sensors(\.\w+)?|cameras|keyPositions)\b/g, '')).not.toMatch(/[a-z]{3,}/);
      }
    }
    // scene-a has no dust monitors nor trucks: row 4 lists both as not assessed.
    expect(report.form.find((f) => f.row === 4)!.problems).toMatch(/R4\.1.*未评估.*R4\.2.*未评估/);
  });
});

describe('init names', () => {
  it('places the wash pad, exits, roads, idle ground and nets by their Chinese names', async () => {
    const { initManifest } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'gm-init-names-'));
    for (const name of ['洗车平台.geojson', '出入口.geojson', '运输道路.geojson', '暂不开采区域.geojson', '三维植被网.geojson', '复绿平台.geojson']) writeFileSync(join(dir, name), '{}');
    const { manifest } = initManifest(dir);
    expect(manifest.zones).toEqual({ wash: '洗车平台.geojson', exits: '出入口.geojson', roads: '运输道路.geojson', idle: '暂不开采区域.geojson', netted: '三维植被网.geojson', platforms: '复绿平台.geojson' });
  });

  it('reads a realistic Chinese folder: class rasters by 解译 in time order, soil DEMs only by 覆土, DEM by 高程, two candidates listed as ambiguous', async () => {
    const { initManifest } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'gm-init-zh-'));
    const names = ['整治后影像解译.tif', '整治前影像解译.tif', '地类分类_20230615.tif', '覆土前高程.tif', '覆土后高程.tif', '高程DEM.tif', '复绿平台.geojson', '平台范围.geojson', '矿区范围拐点坐标.txt', '大门.geojson'];
    for (const name of names) writeFileSync(join(dir, name), name.endsWith('.tif') ? tinyTiff(name.includes('高程') ? 'float' : 'uint8') : '{}');
    const { manifest, ambiguous } = initManifest(dir);
    expect(manifest.classes).toEqual([{ path: '整治前影像解译.tif' }, { path: '地类分类_20230615.tif', date: '2023-06-15' }, { path: '整治后影像解译.tif' }]);
    expect(manifest.soil).toEqual({ before: '覆土前高程.tif', after: '覆土后高程.tif' });
    expect(manifest.dem).toBe('高程DEM.tif');
    expect(manifest.license).toBe('矿区范围拐点坐标.txt');
    expect(manifest.zones?.exits).toBe('大门.geojson');
    // Two platform files: neither silently wins.
    expect(manifest.zones?.platforms).toBeUndefined();
    expect(ambiguous).toEqual([{ role: 'zones.platforms', files: ['复绿平台.geojson', '平台范围.geojson'] }]);
  });

  it('an orthophoto becomes imagery (dated from its name) when there is no class raster', async () => {
    const { initManifest } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'gm-init-ortho-'));
    writeFileSync(join(dir, '无人机正射影像_20240601.tif'), tinyTiff('uint8'));
    writeFileSync(join(dir, 'random_notes.tif'), tinyTiff('uint8'));
    const { manifest, unplaced } = initManifest(dir);
    expect(manifest.imagery).toEqual([{ path: '无人机正射影像_20240601.tif', date: '2024-06-01' }]);
    expect(manifest.classes).toBeUndefined();
    expect(unplaced).toContain('random_notes.tif');
  });

  it("checks a raster's own type: a float 分类.tif is no class raster, an 8-bit DEM.tif no DEM (both listed, neither placed)", async () => {
    const { initManifest } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'gm-init-types-'));
    writeFileSync(join(dir, '地类分类.tif'), tinyTiff('float'));
    writeFileSync(join(dir, 'DEM.tif'), tinyTiff('uint8'));
    writeFileSync(join(dir, '覆土前高程.tif'), tinyTiff('float'));
    writeFileSync(join(dir, '覆土后高程.tif'), 'not a tiff');
    const { manifest, mismatched, unplaced } = initManifest(dir);
    expect(manifest.classes).toBeUndefined();
    expect(manifest.dem).toBeUndefined();
    expect(manifest.soil).toBeUndefined();
    expect(mismatched).toEqual([
      { file: 'DEM.tif', role: 'dem', type: 'uint8' },
      { file: '地类分类.tif', role: 'classes', type: 'float32' },
      { file: '覆土后高程.tif', role: 'soil.after', type: 'not a readable TIFF' },
    ]);
    expect(unplaced).toEqual(expect.arrayContaining(['DEM.tif', '地类分类.tif', '覆土前高程.tif']));
  });
});

/** A 2 × 2 GeoTIFF of the given sample type (just enough for init to read its type). */
function tinyTiff(type: 'uint8' | 'float'): Buffer {
  const float = type === 'float';
  return craftTiff([
    {
      tags: baseTags(2, 2, [
        { tag: 258, type: 3, values: [float ? 32 : 8] },
        { tag: 339, type: 3, values: [float ? 3 : 1] },
      ]),
      blocks: [new Uint8Array(float ? 16 : 4)],
    },
  ]);
}
