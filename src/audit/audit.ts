/**
 * The audit: every measurable check of the action plan from one mine's data,
 * each tied to a requirement ID (../shared/seed/requirements.md), with its
 * status, values, threshold, evidence and the sentences of the remediation
 * form (存在的问题 / 整改提升措施) in Chinese and English. One check failing to
 * run (a missing file, bad data) makes it "not assessed" with the reason; the
 * rest of the audit still runs.
 */
import { GreenmineError, type Finding } from '../errors.js';
import { detectEvents, detectWashViolations, FenceIndex, type FenceEvent } from '../fence/index.js';
import { cameraCoverage, loadCameras } from '../cameras/index.js';
import { crsFromEpsg, toWgs84 } from '../crs/index.js';
import { licensesToGeoJson, loadLicenses, summarizeLicense, type License, type LicenseFeatureCollection, type LicenseSummary } from '../license/index.js';
import { bareChange, measureCoverage, type CoverageReport } from '../raster/index.js';
import { exposedSlopes, exposedSlopesInZones, platformSoil, type SlopesReport, type SoilReport } from '../terrain/index.js';
import { analyseDust, loadReadings, loadStations, parseRule } from '../sensors/index.js';
import { loadTracks, type Track } from '../track/index.js';
import { loadManifest, type LoadedManifest, type ManifestOptions, type Thresholds } from './manifest.js';
import { resolve } from 'node:path';
import { stampInput, type InputStamp } from '../io/files.js';

export const REPORT_VERSION = '1.0.0';

export type Status = 'pass' | 'fail' | 'not-assessed';

export interface EvidenceFeature {
  type: 'Feature';
  properties: Record<string, unknown> & { finding: string };
  geometry: { type: string; coordinates: unknown };
}

export interface Check {
  id: string;
  /** Form row 1–6. */
  row: number;
  title: { zh: string; en: string };
  status: Status;
  /** Why a check was not assessed. */
  reason?: string;
  values: Record<string, number | string | boolean | null>;
  threshold: Record<string, number | string | boolean>;
  problem: { zh: string; en: string } | null;
  measure: { zh: string; en: string } | null;
  evidence: EvidenceFeature[];
  events?: Array<Record<string, unknown>>;
}

export interface AuditReport {
  version: string;
  generatedAt: string;
  manifest: string;
  /** Every file the audit read (the manifest first), with its size and time: the key batch --resume compares. */
  inputs: InputStamp[];
  mine: LoadedManifest['manifest']['mine'] & { licenseNoFromLicense: string | null };
  license: LicenseSummary | null;
  /** The license in WGS 84, for maps. */
  licenseGeometry: LicenseFeatureCollection;
  thresholds: Thresholds;
  overriddenThresholds: string[];
  checks: Check[];
  onSite: Array<{ id: string; row: number; zh: string; en: string }>;
  form: Array<{ row: number; category: string; problems: string; measures: string; dueDate: string }>;
  findings: Finding[];
}

const ROWS: Record<number, string> = { 1: '矿区环境', 2: '治理复绿', 3: '视觉污染', 4: '"三废"处置', 5: '数字化建设', 6: '企业形象' };

const ON_SITE = [
  { id: 'R1.2', row: 1, zh: '矿区界线、大门与门卫，标识标牌、警示牌、绿色矿山旗帜，道路整洁，物料堆放有序（需现场核查）', en: 'Site boundary, gate and guard, signs and flag, tidy roads and storage (on-site check)' },
  { id: 'R2.4', row: 2, zh: '喷灌或滴灌设施，植物群落与周边协调、可自我维持（需现场核查）', en: 'Irrigation installed; self-sustaining plant communities (on-site check)' },
  { id: 'R4.3', row: 4, zh: '加工封闭、皮带廊道封闭、道路硬化保洁、车辆苫盖，雨污分流与废水回用，表土与废石综合利用（需现场核查）', en: 'Enclosed processing and conveyors, hardened roads, covered trucks, water recycling, waste reuse (on-site check)' },
  { id: 'R5.5', row: 5, zh: '数据中心与一屏展示，生产数据自动采集（需现场核查）', en: 'Data centre and single-screen display, automatic production data (on-site check)' },
  { id: 'R6.1', row: 6, zh: '管理制度、组织与培训、职工宿舍及文体设施、统一着装、社区共建（需现场核查）', en: 'Management systems, training, dormitories and facilities, uniforms, community work (on-site check)' },
];

const m2 = (v: number): string => `${v.toFixed(1)} m²`;

/** Why a check did not run, in Chinese for the form: a missing input of the manifest, or data that could not be read (with its code). */
export function reasonZh(reason: string | undefined): string {
  const code = reason ? /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/.exec(reason)?.[1] : undefined;
  if (code) return `数据无法读取或不可用，错误代码 ${code}`;
  return '清单未提供所需数据';
}

function notAssessed(id: string, row: number, title: Check['title'], reason: string): Check {
  return { id, row, title, status: 'not-assessed', reason, values: {}, threshold: {}, problem: null, measure: null, evidence: [] };
}

function polygonFeature(finding: string, coordinates: number[][][][], properties: Record<string, unknown> = {}): EvidenceFeature {
  return { type: 'Feature', properties: { finding, ...properties }, geometry: { type: 'MultiPolygon', coordinates } };
}

function trackFeature(finding: string, track: Track, e: FenceEvent): EvidenceFeature {
  const last = e.firstBackIndex ?? e.endIndex;
  const coords: number[][] = [];
  for (let i = e.startIndex; i <= last && i < track.lon.length; i++) coords.push([track.lon[i]!, track.lat[i]!]);
  const properties = { type: e.type, device: e.device, start: new Date(e.startS * 1000).toISOString(), end: new Date(e.endS * 1000).toISOString(), fixes: e.fixes, maxDistanceM: e.maxDistanceM };
  return coords.length > 1 ? { type: 'Feature', properties: { finding, ...properties }, geometry: { type: 'LineString', coordinates: coords } } : { type: 'Feature', properties: { finding, ...properties }, geometry: { type: 'Point', coordinates: coords[0] ?? [] } };
}

/**
 * A track read in the wrong frame sits consistently off (GCJ-02 read as WGS 84: about 500 m in Zhejiang).
 * When clearly more fixes would fall in or near (50 m) the license once converted from GCJ-02 (or
 * BD-09) than as read — at least 80 % of them, and 25 points more — say so.
 */
function frameOffsetHint(fence: FenceIndex, track: Track): string | null {
  const n = track.lon.length;
  if (n < 10) return null;
  const step = Math.max(1, Math.floor(n / 500));
  const near = (lon: number, lat: number): boolean => fence.signedDistanceM(lon, lat) <= 50;
  let asRead = 0, total = 0;
  const converted = { GCJ02: 0, BD09: 0 };
  for (let i = 0; i < n; i += step) {
    total++;
    if (near(track.lon[i]!, track.lat[i]!)) asRead++;
    for (const frame of ['GCJ02', 'BD09'] as const) {
      const [lon, lat] = toWgs84(frame, track.lon[i]!, track.lat[i]!);
      if (near(lon, lat)) converted[frame]++;
    }
  }
  for (const frame of ['GCJ02', 'BD09'] as const) {
    if (converted[frame] / total >= 0.8 && converted[frame] / total - asRead / total >= 0.25) {
      return `only ${((asRead / total) * 100).toFixed(0)} % of the fixes are in or near the license, but ${((converted[frame] / total) * 100).toFixed(0)} % would be if the track were ${frame}: it looks like a ${frame} track read as WGS 84 (set "frame": "${frame.toLowerCase()}" in the manifest)`;
    }
  }
  return null;
}

async function attempt<T>(run: () => Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await run() };
  } catch (err) {
    if (err instanceof GreenmineError) return { error: `${err.code}: ${err.message}` };
    return { error: `internal error: ${(err as Error).message}` };
  }
}

const DUST_TITLE = { zh: '粉尘实时监测与超标报警', en: 'Dust monitoring with over-limit alarms' };
const KEY_TITLE = { zh: '重点部位粉尘监测超标报警', en: 'Dust monitors at key positions alarm' };
const VIDEO_TITLE = { zh: '视频监控全覆盖', en: 'Video surveillance of the whole mining area' };

/** R4.1 (monitoring, completeness, over-limit alarms) and R5.4 (monitors at the key positions). */
async function dustChecks(manifest: LoadedManifest['manifest'], loaded: LoadedManifest, t: Thresholds, findings: Finding[]): Promise<Check[]> {
  const s = manifest.sensors;
  if (!s) return [notAssessed('R4.1', 4, DUST_TITLE, 'no dust monitors in the manifest (sensors)'), notAssessed('R5.4', 5, KEY_TITLE, 'no dust monitors in the manifest (sensors)')];
  const result = await attempt(async () => {
    const rule = parseRule(s.rule ? JSON.stringify(s.rule) : (s.preset ?? 'gb16297'), s.rule ? 'sensors.rule' : 'sensors.preset');
    const { readings, findings: readFindings } = loadReadings(loaded.resolve(s.readings));
    const stations = loadStations(loaded.resolve(s.stations));
    return { report: analyseDust(readings, stations, rule, { keyPositions: s.keyPositions, keyDistanceM: s.keyDistanceM, minCompleteness: t.minMonitorCompleteness }), readFindings };
  });
  if ('error' in result) return [notAssessed('R4.1', 4, DUST_TITLE, result.error), notAssessed('R5.4', 5, KEY_TITLE, result.error)];
  const { report, readFindings } = result.value;
  findings.push(...readFindings, ...report.findings);
  const iso = (v: number): string => new Date(v * 1000).toISOString();
  const alarms = report.alarms.map((a) => ({ type: 'dust-alarm', device: a.station, start: iso(a.start), end: iso(a.end), peakUgM3: a.peakUgM3, meanUgM3: a.meanUgM3 }));
  const silent = report.stations.filter((st) => st.silent);
  const minCompleteness = Math.min(1, ...report.stations.map((st) => st.completeness));
  const fail41 = alarms.length > 0 || silent.length > 0;
  const problems: Array<{ zh: string; en: string }> = [];
  if (alarms.length) problems.push({ zh: `粉尘超标报警${alarms.length}次（${report.rule.pollutant} ${report.rule.windowMin}分钟${report.rule.window === 'rolling' ? '滑动' : '时段'}均值限值${report.rule.limitUgM3}μg/m³），峰值${Math.max(...report.alarms.map((a) => a.peakUgM3)).toFixed(0)}μg/m³`, en: `${alarms.length} over-limit alarm(s) (${report.rule.name}), peak ${Math.max(...report.alarms.map((a) => a.peakUgM3)).toFixed(0)} µg/m³` });
  if (silent.length) problems.push({ zh: `监测站${silent.map((st) => st.id).join('、')}数据不完整（低于${(t.minMonitorCompleteness * 100).toFixed(0)}%）`, en: `monitor(s) ${silent.map((st) => st.id).join(', ')} below ${(t.minMonitorCompleteness * 100).toFixed(0)} % of expected readings` });
  const checks: Check[] = [
    {
      id: 'R4.1',
      row: 4,
      title: DUST_TITLE,
      status: fail41 ? 'fail' : 'pass',
      values: { stations: report.stations.length, alarms: alarms.length, minCompleteness, rule: report.rule.name },
      threshold: { limitUgM3: report.rule.limitUgM3, windowMin: report.rule.windowMin, allowedPerDay: report.rule.allowedPerDay ?? 0, minMonitorCompleteness: t.minMonitorCompleteness },
      problem: fail41 ? { zh: problems.map((p) => p.zh).join('；'), en: problems.map((p) => p.en).join('; ') } : null,
      measure: fail41 ? { zh: '加强喷淋降尘与道路保洁，修复离线监测设备并确保超标报警联动', en: 'Step up dust suppression and road cleaning; repair silent monitors and link alarms to action' } : null,
      evidence: [],
      events: alarms,
    },
  ];
  if (!s.keyPositions?.length) checks.push(notAssessed('R5.4', 5, KEY_TITLE, 'no key positions in the manifest (sensors.keyPositions)'));
  else {
    const unmonitored = report.keyPositions.filter((k) => !k.covered);
    const keyStations = new Set(report.keyPositions.filter((k) => k.covered).map((k) => k.station));
    const keyAlarms = alarms.filter((a) => keyStations.has(a.device));
    const keySilent = silent.filter((st) => keyStations.has(st.id));
    const fail = unmonitored.length > 0 || keyAlarms.length > 0 || keySilent.length > 0;
    const parts: Array<{ zh: string; en: string }> = [];
    if (unmonitored.length) parts.push({ zh: `${unmonitored.map((k) => k.role).join('、')}未设粉尘监测`, en: `no monitor at ${unmonitored.map((k) => k.role).join(', ')}` });
    if (keyAlarms.length) parts.push({ zh: `重点部位超标报警${keyAlarms.length}次`, en: `${keyAlarms.length} alarm(s) at key positions` });
    if (keySilent.length) parts.push({ zh: `重点部位监测站${keySilent.map((st) => st.id).join('、')}数据不完整`, en: `key monitor(s) ${keySilent.map((st) => st.id).join(', ')} incomplete` });
    checks.push({
      id: 'R5.4',
      row: 5,
      title: KEY_TITLE,
      status: fail ? 'fail' : 'pass',
      values: { keyPositions: report.keyPositions.length, unmonitored: unmonitored.length, alarms: keyAlarms.length },
      threshold: { keyDistanceM: s.keyDistanceM ?? 100, limitUgM3: report.rule.limitUgM3 },
      problem: fail ? { zh: parts.map((p) => p.zh).join('；'), en: parts.map((p) => p.en).join('; ') } : null,
      measure: fail ? { zh: '在加工、运输、边界等重点部位设置在线粉尘监测并联动报警', en: 'Install online dust monitors at the processing plant, haul roads and boundary, with alarms' } : null,
      evidence: [],
      events: [...report.keyPositions.map((k) => ({ type: 'key-position', ...k })), ...keyAlarms],
    });
  }
  return checks;
}

/** R5.3: the share of the license the cameras see (line of sight on the DEM when there is one). */
async function videoCheck(manifest: LoadedManifest['manifest'], loaded: LoadedManifest, t: Thresholds, licenses: License[], dem: string | undefined, findings: Finding[]): Promise<Check> {
  const c = manifest.cameras;
  if (!c) return notAssessed('R5.3', 5, VIDEO_TITLE, 'no cameras in the manifest (cameras)');
  const result = await attempt(async () => {
    const cameras = loadCameras(loaded.resolve(c.path), c.crs ? { crs: c.crs } : {});
    const demPath = c.dem === null ? undefined : c.dem !== undefined ? loaded.resolve(c.dem) : dem;
    return cameraCoverage(licenses, cameras, { dem: demPath, targetHeightM: c.targetHeightM, minUncoveredM2: t.minPatchM2 });
  });
  if ('error' in result) return notAssessed('R5.3', 5, VIDEO_TITLE, result.error);
  const r = result.value;
  findings.push(...r.findings);
  // Cells along the license edge are cut by view boundaries: a share within 0.1 % of the threshold passes.
  const fail = r.coveredShare < t.minVideoCoverage - 1e-3;
  return {
    id: 'R5.3',
    row: 5,
    title: VIDEO_TITLE,
    status: fail ? 'fail' : 'pass',
    values: { mode: r.mode, cameras: r.cameras.length, coveredShare: r.coveredShare, coveredM2: r.coveredM2, licenseM2: r.licenseM2, uncoveredM2: r.uncoveredM2 },
    threshold: { minVideoCoverage: t.minVideoCoverage },
    problem: fail ? { zh: `视频监控覆盖矿区${(r.coveredShare * 100).toFixed(1)}%，${m2(r.uncoveredM2)}未覆盖`, en: `cameras see ${(r.coveredShare * 100).toFixed(1)} % of the license; ${m2(r.uncoveredM2)} unseen` } : null,
    measure: fail ? { zh: '在未覆盖区域增设或调整监控摄像头，实现矿区视频全覆盖', en: 'Add or re-aim cameras to cover the unseen parts' } : null,
    evidence: r.uncovered.features.map((f) => polygonFeature('R5.3', f.geometry.coordinates, { areaM2: f.properties.areaM2, kind: 'uncovered' })),
    events: r.cameras.map((cam) => ({ type: 'camera', ...cam })),
  };
}

/** The stamps of a mine's inputs: the manifest, then every file it names (in manifest order). */
export function auditInputs(manifestPath: string, loaded: LoadedManifest): InputStamp[] {
  return [stampInput('manifest', resolve(manifestPath)), ...loaded.inputs.map((i) => stampInput(i.role, i.path))];
}

export async function runAudit(manifestPath: string, options: ManifestOptions = {}): Promise<AuditReport> {
  const loaded = loadManifest(manifestPath, options);
  const { manifest, thresholds: t } = loaded;
  const findings: Finding[] = [...loaded.missing];
  const checks: Check[] = [];
  const file = (p: string | undefined): string | undefined => (p === undefined ? undefined : loaded.resolve(p));

  let licenses: License[] = [];
  let licenseSummary: LicenseSummary | null = null;
  const lic = await attempt(() => loadLicenses(loaded.resolve(manifest.license), manifest.licenseOptions ?? {}));
  if ('error' in lic) {
    throw new GreenmineError('AUDIT_LICENSE', `${manifestPath}: the license could not be read, so nothing can be audited (${lic.error})`, { file: manifestPath, path: 'license' });
  }
  licenses = lic.value;
  licenseSummary = summarizeLicense(licenses[0]!);
  for (const l of licenses) findings.push(...l.findings);
  const loadZones = async (path: string | undefined): Promise<License[] | undefined> => (path ? loadLicenses(loaded.resolve(path)) : undefined);

  // R1.1, R3.1, R3.3 — green coverage, bare ground inside and outside the license.
  const classes = manifest.classes ?? [];
  const latest = classes.at(-1);
  let coverage: CoverageReport | null = null;
  if (!latest) {
    for (const [id, row, zh, en] of [['R1.1', 1, '可绿化区域绿化覆盖率', 'Green coverage of the greenable area'], ['R3.1', 3, '裸露山体最小化', 'Bare mountain surface'], ['R3.3', 3, '越界破坏', 'Disturbance outside the license']] as const) {
      checks.push(notAssessed(id, row, { zh, en }, 'no class raster in the manifest (classes)'));
    }
  } else {
    const result = await attempt(async () =>
      measureCoverage(file(latest.path)!, licenses, { exclude: await loadZones(manifest.zones?.excluded), greenable: await loadZones(manifest.zones?.greenable), bufferM: t.bufferM, target: t.greenRatio, minPatchM2: t.minPatchM2 }),
    );
    if ('error' in result) {
      for (const [id, row, zh, en] of [['R1.1', 1, '可绿化区域绿化覆盖率', 'Green coverage of the greenable area'], ['R3.1', 3, '裸露山体最小化', 'Bare mountain surface'], ['R3.3', 3, '越界破坏', 'Disturbance outside the license']] as const) {
        checks.push(notAssessed(id, row, { zh, en }, result.error));
      }
    } else {
      coverage = result.value;
      findings.push(...coverage.findings);
      const a = coverage.areaM2;
      const patches = coverage.barePatches.map((p) => polygonFeature('R1.1', p.outline, { patch: p.id, areaM2: p.areaM2 }));
      const fail = coverage.pass === false;
      checks.push({
        id: 'R1.1',
        row: 1,
        title: { zh: '可绿化区域绿化覆盖率达到100%', en: 'Green coverage of the greenable area reaches 100 %' },
        status: coverage.pass === null ? 'not-assessed' : fail ? 'fail' : 'pass',
        ...(coverage.pass === null ? { reason: 'no greenable area (green + bare) inside the license' } : {}),
        values: { greenRatio: coverage.greenRatio, greenM2: a.green, bareM2: a.bare, excludedM2: a.excluded, survey: latest.date ?? latest.path, mode: coverage.mode },
        threshold: { greenRatio: t.greenRatio },
        problem: fail ? { zh: `可绿化区域绿化覆盖率为${((coverage.greenRatio ?? 0) * 100).toFixed(2)}%，未达到${(t.greenRatio * 100).toFixed(0)}%，尚有裸露地表${m2(a.bare)}（${coverage.patches ?? 0}处≥${t.minPatchM2}m²）`, en: `Green coverage ${((coverage.greenRatio ?? 0) * 100).toFixed(2)} % is below ${(t.greenRatio * 100).toFixed(0)} %; ${m2(a.bare)} of bare ground remain (${coverage.patches ?? 0} patches ≥ ${t.minPatchM2} m²)` } : null,
        measure: fail ? { zh: `对裸露区域（见附图编号斑块）覆土复绿，补植乔灌草，确保可绿化区域全部绿化`, en: 'Cover and re-green the bare patches shown on the map; plant trees, shrubs and grass until the greenable area is fully green' } : null,
        evidence: patches,
      });
      const insideBare = coverage.beforeExclusionM2.bare;
      const previous = classes.length >= 2 ? classes.at(-2)! : null;
      const change = previous
        ? await attempt(async () => bareChange(file(previous.path)!, file(latest.path)!, licenses, { exclude: await loadZones(manifest.zones?.excluded), minPatchM2: t.minPatchM2 }))
        : null;
      if (change && 'error' in change) findings.push({ code: 'AUDIT_CHANGE', severity: 'warning', message: `bare-ground change between surveys not measured: ${change.error}`, where: { file: manifestPath, path: 'classes' } });
      const c = change && 'value' in change ? change.value : null;
      const grew = c !== null && c.bareNowM2 > c.bareBeforeM2;
      checks.push({
        id: 'R3.1',
        row: 3,
        title: { zh: '裸露山体最小化', en: 'Bare mountain surface kept to a minimum' },
        status: grew ? 'fail' : 'pass',
        values: {
          bareInsideLicenseM2: insideBare,
          bareOutsideExclusionsM2: a.bare,
          surveys: classes.length,
          ...(c ? { bareBeforeM2: c.bareBeforeM2, bareNowM2: c.bareNowM2, newBareM2: c.newBareM2, regreenedM2: c.regreenedM2, since: previous!.date ?? previous!.path } : {}),
        },
        threshold: { rule: c ? 'bare area outside the excluded zones must not grow between surveys' : 'reported (one survey)' },
        problem: grew
          ? { zh: `与上期相比，裸露面积由${m2(c!.bareBeforeM2)}增至${m2(c!.bareNowM2)}，新增裸露${m2(c!.newBareM2)}`, en: `Bare area grew from ${m2(c!.bareBeforeM2)} to ${m2(c!.bareNowM2)} since the previous survey (${m2(c!.newBareM2)} newly bare)` }
          : insideBare > 0 && !c
            ? { zh: `矿区范围内裸露面积${m2(insideBare)}`, en: `${m2(insideBare)} of bare ground inside the license` }
            : null,
        measure: grew || (insideBare > 0 && !c) ? { zh: '按开采计划控制剥离范围，新增裸露区域及时复绿或覆盖三维植被网', en: 'Limit stripping to the plan; re-green or net newly bared ground' } : null,
        evidence: (c?.patches ?? []).map((p) => polygonFeature('R3.1', p.outline, { kind: p.kind, patch: p.id, areaM2: p.areaM2 })),
      });
      const outside = coverage.outsideLicense;
      const outsideFail = outside !== null && outside.bareM2 > t.maxOutsideBareM2;
      checks.push({
        id: 'R3.3',
        row: 3,
        title: { zh: '矿区范围外无开采破坏', en: 'No disturbance outside the licensed boundary' },
        status: outside === null ? 'not-assessed' : outsideFail ? 'fail' : 'pass',
        ...(outside === null ? { reason: 'buffer is 0' } : {}),
        values: { bufferM: outside?.bufferM ?? 0, bareOutsideM2: outside?.bareM2 ?? null, builtOutsideM2: outside?.builtM2 ?? null },
        threshold: { maxOutsideBareM2: t.maxOutsideBareM2 },
        problem: outsideFail ? { zh: `矿区范围外${outside!.bufferM}m内有裸露地表${m2(outside!.bareM2)}`, en: `${m2(outside!.bareM2)} of bare ground within ${outside!.bufferM} m outside the license` } : null,
        measure: outsideFail ? { zh: '查明越界破坏原因，清理外溢渣土并复绿', en: 'Find the cause, clear spilled spoil and re-green outside the boundary' } : null,
        evidence: [],
      });
    }
  }

  // R2.1 — bare ground inside restored areas (platforms).
  if (!latest || !manifest.zones?.platforms) {
    checks.push(notAssessed('R2.1', 2, { zh: '治理区域无岩石土壤裸露', en: 'No bare rock or soil in restored areas' }, !latest ? 'no class raster' : 'no platform layer (zones.platforms)'));
  } else {
    const result = await attempt(async () => measureCoverage(file(latest.path)!, licenses, { greenable: await loadZones(manifest.zones!.platforms), bufferM: 0 }));
    if ('error' in result) checks.push(notAssessed('R2.1', 2, { zh: '治理区域无岩石土壤裸露', en: 'No bare rock or soil in restored areas' }, result.error));
    else {
      const bare = result.value.areaM2.bare;
      const fail = bare > t.maxRestoredBareM2;
      checks.push({
        id: 'R2.1',
        row: 2,
        title: { zh: '治理区域无岩石土壤裸露', en: 'No bare rock or soil in restored areas' },
        status: fail ? 'fail' : 'pass',
        values: { bareInRestoredM2: bare, restoredM2: result.value.areaM2.license },
        threshold: { maxRestoredBareM2: t.maxRestoredBareM2 },
        problem: fail ? { zh: `已治理平台上仍有裸露${m2(bare)}`, en: `${m2(bare)} bare on restored platforms` } : null,
        measure: fail ? { zh: '对平台裸露处补充覆土并复绿', en: 'Add soil and re-green the bare parts of the platforms' } : null,
        evidence: [],
      });
    }
  }

  // R2.2 — exposed final slopes.
  let slopes: SlopesReport | null = null;
  if (!latest || !manifest.dem) checks.push(notAssessed('R2.2', 2, { zh: '裸露终了边坡不超过2个', en: 'At most 2 exposed final slopes' }, !latest ? 'no class raster' : 'no DEM (dem)'));
  else {
    const options = { minSlopeDeg: t.minSlopeDeg, minAreaM2: t.minSlopeAreaM2, limit: t.maxExposedSlopes };
    // With a final-slope layer the design's slopes are judged (zone mode); otherwise bare steep ground is grouped.
    const result = await attempt(async () =>
      manifest.zones?.finalSlopes ? exposedSlopesInZones(file(latest.path)!, file(manifest.dem)!, (await loadZones(manifest.zones.finalSlopes))!, options) : exposedSlopes(file(latest.path)!, file(manifest.dem)!, licenses, options),
    );
    if ('error' in result) checks.push(notAssessed('R2.2', 2, { zh: '裸露终了边坡不超过2个', en: 'At most 2 exposed final slopes' }, result.error));
    else {
      slopes = result.value;
      findings.push(...slopes.findings);
      checks.push({
        id: 'R2.2',
        row: 2,
        title: { zh: '露天矿山裸露终了边坡不超过2个', en: 'At most 2 exposed final slopes' },
        status: slopes.pass ? 'pass' : 'fail',
        values: { count: slopes.count, bareSlopePlanarM2: slopes.bareSlopeAreaM2.planar, bareSlopeSurfaceM2: slopes.bareSlopeAreaM2.surface, connectivity: 8 },
        threshold: { maxExposedSlopes: t.maxExposedSlopes, minSlopeDeg: t.minSlopeDeg, minSlopeAreaM2: t.minSlopeAreaM2 },
        problem: slopes.pass ? null : { zh: `裸露终了边坡${slopes.count}个（超过${t.maxExposedSlopes}个），裸露坡面面积${m2(slopes.bareSlopeAreaM2.surface)}`, en: `${slopes.count} exposed final slopes (limit ${t.maxExposedSlopes}), ${m2(slopes.bareSlopeAreaM2.surface)} of bare slope surface` },
        measure: slopes.pass ? null : { zh: '对编号边坡采用挂网喷播、鱼鳞坑种植等方式复绿', en: 'Re-green the numbered slopes (netting and hydroseeding, planting pits)' },
        evidence: slopes.slopes.map((s) => polygonFeature('R2.2', s.outline, { slope: s.id, areaM2: s.areaM2, surfaceAreaM2: s.surfaceAreaM2, meanSlopeDeg: s.meanSlopeDeg })),
      });
    }
  }

  // R2.3 — platform soil.
  let soil: SoilReport | null = null;
  if (!manifest.soil) checks.push(notAssessed('R2.3', 2, { zh: '平台覆土不低于30cm', en: 'Platform soil at least 30 cm' }, 'no before/after DEMs (soil)'));
  else {
    // Without a platform layer, the license's flat cells stand in for the platforms.
    const result = await attempt(async () =>
      manifest.zones?.platforms
        ? platformSoil((await loadZones(manifest.zones.platforms))!, file(manifest.soil!.before)!, file(manifest.soil!.after)!, { minThicknessM: t.minSoilM })
        : platformSoil(licenses, file(manifest.soil!.before)!, file(manifest.soil!.after)!, { minThicknessM: t.minSoilM, maxSlopeDeg: t.maxPlatformSlopeDeg }),
    );
    if ('error' in result) checks.push(notAssessed('R2.3', 2, { zh: '平台覆土不低于30cm', en: 'Platform soil at least 30 cm' }, result.error));
    else {
      soil = result.value;
      findings.push(...soil.findings);
      const failing = soil.platforms.filter((p) => p.pass === false);
      checks.push({
        id: 'R2.3',
        row: 2,
        title: { zh: '平台覆土不低于30cm', en: 'Platform soil at least 30 cm' },
        status: soil.pass === null ? 'not-assessed' : soil.pass ? 'pass' : 'fail',
        ...(soil.pass === null ? { reason: 'no platform could be sampled' } : {}),
        values: { platforms: soil.platforms.length, failing: failing.length, thinnestM: Math.min(...soil.platforms.map((p) => p.minM ?? Infinity)) },
        threshold: { minSoilM: t.minSoilM },
        problem: failing.length ? { zh: `${failing.length}个平台覆土不足${(t.minSoilM * 100).toFixed(0)}cm（平台${failing.map((p) => p.id).join('、')}）`, en: `${failing.length} platform(s) with soil under ${(t.minSoilM * 100).toFixed(0)} cm (${failing.map((p) => p.id).join(', ')})` } : null,
        measure: failing.length ? { zh: '对覆土不足处补充覆土至30cm以上后复绿', en: 'Top up the soil to at least 30 cm where thin, then re-green' } : null,
        evidence: failing.flatMap((p) => p.thinPatches.map((c) => polygonFeature('R2.3', c, { platform: p.id }))),
      });
    }
  }

  // R5.1, R5.2, R4.2 — tracks.
  const trackEntries = manifest.tracks ?? [];
  const excavators: Array<{ track: Track; type: string }> = [];
  for (const [i, entry] of trackEntries.entries()) {
    const result = await attempt(async () => loadTracks(file(entry.path)!, { deviceId: entry.device, frame: entry.frame === 'gcj02' ? 'GCJ02' : entry.frame === 'bd09' ? 'BD09' : 'WGS84' }));
    if ('error' in result) findings.push({ code: 'AUDIT_TRACK', severity: 'warning', message: `tracks[${i}] (${entry.path}): ${result.error}`, where: { file: manifestPath, path: `tracks[${i}]` } });
    else for (const tr of result.value.tracks) excavators.push({ track: tr, type: entry.type });
  }
  if (excavators.length === 0) {
    checks.push(notAssessed('R5.1', 5, { zh: '矿区范围边界电子围栏与越界预警', en: 'Electronic fence with out-of-bounds alarms' }, 'no track in the manifest (tracks)'));
    checks.push(notAssessed('R5.2', 5, { zh: '人员车辆实时定位', en: 'Real-time positioning of people and vehicles' }, 'no track'));
  } else {
    const fence = FenceIndex.build(licenses);
    const floors = licenses.map((l) => l.elevationM?.min ?? NaN);
    // Only machines that work inside the license are expected to stay near it (trucks leave).
    for (const { track } of excavators.filter((x) => x.type !== 'truck')) {
      const offset = frameOffsetHint(fence, track);
      if (offset) findings.push({ code: 'TRACK_FRAME_OFFSET', severity: 'warning', message: `device ${track.deviceId}: ${offset}`, where: { file: manifestPath, path: 'tracks' } });
    }
    const fenceEvents: Array<{ e: FenceEvent; track: Track }> = [];
    const gaps: Array<{ e: FenceEvent; track: Track }> = [];
    for (const { track, type } of excavators) {
      const events = detectEvents(fence, track, { toleranceM: t.fenceToleranceM, minFixes: t.minExcursionFixes, maxGapS: t.maxGapS, heightOffsetM: t.heightOffsetM }, floors);
      for (const e of events) {
        if (e.type === 'gap') gaps.push({ e, track });
        else if (type !== 'truck' && (e.type === 'out-of-bounds' || e.type === 'crossing' || e.type === 'below-floor')) fenceEvents.push({ e, track });
      }
    }
    const fail = fenceEvents.length > 0;
    checks.push({
      id: 'R5.1',
      row: 5,
      title: { zh: '矿区范围边界电子围栏，越界及时预警', en: 'Electronic fence along the boundary, timely out-of-bounds alarms' },
      status: fail ? 'fail' : 'pass',
      values: { devices: excavators.filter((x) => x.type !== 'truck').length, excursions: fenceEvents.filter((x) => x.e.type !== 'below-floor').length, belowFloor: fenceEvents.filter((x) => x.e.type === 'below-floor').length, maxDistanceM: Math.max(0, ...fenceEvents.map((x) => x.e.maxDistanceM ?? 0)) },
      threshold: { fenceToleranceM: t.fenceToleranceM, minExcursionFixes: t.minExcursionFixes },
      problem: fail ? { zh: `作业设备越界${fenceEvents.length}次，最远${Math.max(0, ...fenceEvents.map((x) => x.e.maxDistanceM ?? 0)).toFixed(1)}m`, en: `${fenceEvents.length} excursion(s) beyond the licensed boundary, up to ${Math.max(0, ...fenceEvents.map((x) => x.e.maxDistanceM ?? 0)).toFixed(1)} m` } : null,
      measure: fail ? { zh: '立即停止越界作业，完善电子围栏越界报警并落实处置', en: 'Stop work beyond the boundary; make the fence alarms act' } : null,
      evidence: fenceEvents.map(({ e, track }) => trackFeature('R5.1', track, e)),
      events: fenceEvents.map(({ e }) => ({ type: e.type, device: e.device, start: new Date(e.startS * 1000).toISOString(), end: new Date(e.endS * 1000).toISOString(), durationS: e.durationS, fixes: e.fixes, maxDistanceM: e.maxDistanceM })),
    });
    checks.push({
      id: 'R5.2',
      row: 5,
      title: { zh: '人员车辆实时定位', en: 'Real-time positioning of people and vehicles' },
      status: gaps.length ? 'fail' : 'pass',
      values: { devices: excavators.length, gaps: gaps.length, longestGapS: Math.max(0, ...gaps.map((g) => g.e.durationS)) },
      threshold: { maxGapS: t.maxGapS },
      problem: gaps.length ? { zh: `定位数据中断${gaps.length}次，最长${Math.max(...gaps.map((g) => g.e.durationS)).toFixed(0)}秒`, en: `${gaps.length} positioning gap(s), longest ${Math.max(...gaps.map((g) => g.e.durationS)).toFixed(0)} s` } : null,
      measure: gaps.length ? { zh: '检修定位终端与数据链路，确保实时上报', en: 'Repair the positioning terminals and data links' } : null,
      evidence: [],
      events: gaps.map(({ e }) => ({ device: e.device, start: new Date(e.startS * 1000).toISOString(), end: new Date(e.endS * 1000).toISOString(), durationS: e.durationS })),
    });
    const trucks = excavators.filter((x) => x.type === 'truck');
    if (!manifest.zones?.wash || trucks.length === 0) checks.push(notAssessed('R4.2', 4, { zh: '车辆驶离矿区有效冲洗', en: 'Vehicles washed before leaving' }, !manifest.zones?.wash ? 'no wash-zone layer (zones.wash)' : 'no truck track'));
    else {
      const result = await attempt(async () => {
        const wash = FenceIndex.build((await loadZones(manifest.zones!.wash))!);
        const exits = manifest.zones!.exits ? FenceIndex.build((await loadZones(manifest.zones!.exits))!) : undefined;
        return trucks.flatMap(({ track }) => detectWashViolations(fence, wash, track, { minWashS: t.minWashS, withinS: t.washWithinS, toleranceM: t.fenceToleranceM }, exits).map((e) => ({ e, track })));
      });
      if ('error' in result) checks.push(notAssessed('R4.2', 4, { zh: '车辆驶离矿区有效冲洗', en: 'Vehicles washed before leaving' }, result.error));
      else {
        const v = result.value;
        checks.push({
          id: 'R4.2',
          row: 4,
          title: { zh: '车辆驶离矿区必须进行有效冲洗', en: 'Vehicles leaving the site are washed' },
          status: v.length ? 'fail' : 'pass',
          values: { trucks: trucks.length, unwashedExits: v.length },
          threshold: { minWashS: t.minWashS, washWithinS: t.washWithinS },
          problem: v.length ? { zh: `车辆未冲洗驶离矿区${v.length}次`, en: `${v.length} exit(s) without washing` } : null,
          measure: v.length ? { zh: '出口设置洗车平台并实行驶离前冲洗登记', en: 'Enforce washing at the exit before leaving' } : null,
          evidence: v.map(({ e, track }) => trackFeature('R4.2', track, e)),
        });
      }
    }
  }
  checks.push(...(await dustChecks(manifest, loaded, t, findings)));
  checks.push(await videoCheck(manifest, loaded, t, licenses, file(manifest.dem), findings));
  checks.sort((a, b) => a.row - b.row || a.id.localeCompare(b.id, 'en', { numeric: true }));

  const form = [1, 2, 3, 4, 5, 6].map((row) => {
    const rowChecks = checks.filter((c) => c.row === row);
    const problems = rowChecks.filter((c) => c.problem).map((c) => `${c.id} ${c.problem!.zh}`);
    // A row never reads clean when one of its checks did not run: say which, and why, in Chinese.
    const unassessed = rowChecks.filter((c) => c.status === 'not-assessed').map((c) => `${c.id} ${c.title.zh}：未评估（${reasonZh(c.reason)}）`);
    const measures = rowChecks.filter((c) => c.measure).map((c) => `${c.id} ${c.measure!.zh}`);
    const onSite = ON_SITE.filter((o) => o.row === row).map((o) => `${o.id} ${o.zh}`);
    const text = [...problems, ...unassessed];
    return { row, category: ROWS[row]!, problems: text.length ? text.join('；') : rowChecks.length ? '未发现可量测问题' : '无可量测项目，需现场核查', measures: [...measures, ...onSite].join('；'), dueDate: '' };
  });
  return {
    version: REPORT_VERSION,
    generatedAt: new Date().toISOString(),
    manifest: manifestPath,
    inputs: auditInputs(manifestPath, loaded),
    mine: { ...manifest.mine, licenseNoFromLicense: licenses[0]?.licenseNo ?? null },
    license: licenseSummary,
    licenseGeometry: licensesToGeoJson(licenses, crsFromEpsg(4326)),
    thresholds: t,
    overriddenThresholds: loaded.overridden,
    checks,
    onSite: ON_SITE,
    form,
    findings,
  };
}

