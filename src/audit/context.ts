/**
 * What the checks of one audit share: the manifest, the thresholds in force,
 * the license (loaded once), and every measurement more than one check needs,
 * made once on first use (the coverage of the latest survey, the fence
 * events of the tracks, the dust analysis). Checks ask; engines measure once.
 */
import { type CameraCoverage as CameraReport, cameraCoverage, loadCameras } from '../cameras/index.js';
import { toWgs84 } from '../crs/index.js';
import { type ErrorCode, type Finding, GreenmineError } from '../errors.js';
import { detectEvents, type FenceEvent, FenceIndex } from '../fence/index.js';
import { type License, loadLicenses } from '../license/index.js';
import { BlockCache, bareChange, type BareChange as ChangeReport, type ClassScheme, type CoverageReport, loadScheme, measureCoverage, schemeFor, WORLDCOVER } from '../raster/index.js';
import { analyseDust, type DustReport, loadReadings, loadStations, parseRule } from '../sensors/index.js';
import { loadTracks, type Track } from '../track/index.js';
import type { LoadedManifest, Manifest, Thresholds } from './manifest.js';

/** Surveys in the manifest: class rasters, or imagery the audit classifies when there are none. */
const surveys = (m: Manifest): number => (m.classes?.length ? m.classes.length : (m.imagery?.length ?? 0));

/** The manifest inputs a check may need; a check whose inputs are missing is not assessed, with this reason. */
export const INPUTS = {
  classes: { present: (m: Manifest) => surveys(m) > 0, en: 'no class raster or imagery in the manifest (classes, imagery)', zh: '清单未提供地类分类影像或遥感影像（classes、imagery）' },
  twoSurveys: { present: (m: Manifest) => surveys(m) >= 2, en: 'one survey only (classes or imagery needs two dates)', zh: '仅有一期地类影像（classes 或 imagery 需两期）' },
  dem: { present: (m: Manifest) => m.dem !== undefined, en: 'no DEM in the manifest (dem)', zh: '清单未提供数字高程模型（dem）' },
  soil: { present: (m: Manifest) => m.soil !== undefined, en: 'no before/after DEMs in the manifest (soil)', zh: '清单未提供覆土前后高程模型（soil）' },
  platforms: { present: (m: Manifest) => m.zones?.platforms !== undefined, en: 'no platform layer in the manifest (zones.platforms)', zh: '清单未提供平台图层（zones.platforms）' },
  tracks: { present: (m: Manifest) => (m.tracks?.length ?? 0) > 0, en: 'no track in the manifest (tracks)', zh: '清单未提供定位轨迹（tracks）' },
  trucks: { present: (m: Manifest) => (m.tracks ?? []).some((t) => t.type === 'truck'), en: 'no truck track in the manifest (tracks with type "truck")', zh: '清单未提供运输车辆轨迹（tracks，type 为 truck）' },
  wash: { present: (m: Manifest) => m.zones?.wash !== undefined, en: 'no wash-zone layer in the manifest (zones.wash)', zh: '清单未提供洗车平台图层（zones.wash）' },
  sensors: { present: (m: Manifest) => m.sensors !== undefined, en: 'no dust monitors in the manifest (sensors)', zh: '清单未提供粉尘监测数据（sensors）' },
  keyPositions: { present: (m: Manifest) => (m.sensors?.keyPositions?.length ?? 0) > 0, en: 'no key positions in the manifest (sensors.keyPositions)', zh: '清单未提供重点部位（sensors.keyPositions）' },
  roadsOrIdle: {
    present: (m: Manifest) => m.zones?.roads !== undefined || m.zones?.idle !== undefined || (m.tracks ?? []).some((t) => t.type === 'truck') || surveys(m) >= 2,
    en: 'neither haul roads (zones.roads, or truck tracks to derive them from) nor idle ground (zones.idle, or two surveys to derive it from) in the manifest',
    zh: '清单未提供运输道路（zones.roads，或可推导道路的车辆轨迹）及暂不开采区域（zones.idle，或可推导的两期影像）',
  },
  cameras: { present: (m: Manifest) => m.cameras !== undefined, en: 'no cameras in the manifest (cameras)', zh: '清单未提供监控摄像头（cameras）' },
} as const;

export type InputName = keyof typeof INPUTS;

/** Why a check was not assessed: a code, and the reason in Chinese and English. */
export interface Reason {
  code: ErrorCode;
  zh: string;
  en: string;
}

/** The reason for a check that failed to run: the error's code, in both languages. */
export function reasonOf(err: unknown): Reason {
  if (err instanceof GreenmineError) return { code: err.code, zh: `数据无法读取或不可用（${err.code}）`, en: `${err.code}: ${err.message}` };
  return { code: 'AUDIT_INTERNAL', zh: '内部错误（AUDIT_INTERNAL）', en: `internal error: ${(err as Error)?.message ?? String(err)}` };
}

export class AuditContext {
  readonly manifest: Manifest;
  readonly t: Thresholds;
  readonly findings: Finding[];
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Decoded raster blocks shared by the checks (the latest classes and the DEM are read by several). */
  readonly blocks = new BlockCache();

  constructor(
    readonly manifestPath: string,
    readonly loaded: LoadedManifest,
    readonly licenses: License[],
    findings: Finding[],
  ) {
    this.manifest = loaded.manifest;
    this.t = loaded.thresholds;
    this.findings = findings;
  }

  /** An absolute path of a manifest path. */
  file(path: string): string {
    return this.loaded.resolve(path);
  }

  /** Computed once per audit, shared by every check that asks (errors too). */
  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) this.memo.set(key, (p = make()));
    return p;
  }

  /** A zone layer of the manifest (zones.<name>), or undefined when it names none. */
  zones(name: keyof NonNullable<Manifest['zones']>): Promise<License[] | undefined> {
    const path = this.manifest.zones?.[name];
    return this.once(`zones.${name}`, async () => (path ? loadLicenses(this.file(path)) : undefined));
  }

  /** The latest survey (the last classes entry) and the one before it. */
  get latest(): { path: string; date?: string } {
    const c = this.manifest.classes?.at(-1);
    if (!c) throw new GreenmineError('MANIFEST_FILE_MISSING', 'no class raster in the manifest (classes)');
    return c;
  }

  get previous(): { path: string; date?: string } | null {
    const classes = this.manifest.classes ?? [];
    return classes.length >= 2 ? classes.at(-2)! : null;
  }

  /** The class scheme every raster check uses: the manifest's, else the one beside the latest class raster (as `greenmine classify` writes it), else ESA WorldCover. */
  scheme(): Promise<ClassScheme> {
    return this.once('scheme', async () => {
      if (this.manifest.scheme) return loadScheme(this.file(this.manifest.scheme));
      const latest = this.manifest.classes?.at(-1);
      return latest ? schemeFor(this.file(latest.path)) : WORLDCOVER;
    });
  }

  /** Coverage of the license by the latest survey (R1.1, R3.1, R3.3). */
  coverage(): Promise<CoverageReport> {
    return this.once('coverage', async () => {
      const t = this.t;
      const report = await measureCoverage(this.file(this.latest.path), this.licenses, {
        exclude: await this.zones('excluded'),
        greenable: await this.zones('greenable'),
        bufferM: t.bufferM,
        target: t.greenRatio,
        minPatchM2: t.minPatchM2,
        scheme: await this.scheme(),
        cache: this.blocks,
      });
      this.findings.push(...report.findings);
      return report;
    });
  }

  /** Bare ground between the two latest surveys (R3.1), or null with one survey. */
  change(): Promise<ChangeReport | null> {
    return this.once('change', async () => {
      const previous = this.previous;
      if (!previous) return null;
      try {
        return await bareChange(this.file(previous.path), this.file(this.latest.path), this.licenses, { exclude: await this.zones('excluded'), minPatchM2: this.t.minPatchM2, scheme: await this.scheme(), cache: this.blocks });
      } catch (err) {
        const r = reasonOf(err);
        this.findings.push({ code: 'AUDIT_CHANGE', severity: 'warning', message: `bare-ground change between surveys not measured: ${r.en}`, where: { file: this.manifestPath, path: 'classes' } });
        return null;
      }
    });
  }

  /** The fence of the license. */
  fence(): Promise<FenceIndex> {
    return this.once('fence', async () => FenceIndex.build(this.licenses));
  }

  /** Every readable track with its device type; an unreadable one is a finding (AUDIT_TRACK). */
  tracks(): Promise<Array<{ track: Track; type: string }>> {
    return this.once('tracks', async () => {
      const out: Array<{ track: Track; type: string }> = [];
      for (const [i, entry] of (this.manifest.tracks ?? []).entries()) {
        try {
          const set = loadTracks(this.file(entry.path), { deviceId: entry.device, frame: entry.frame ?? 'wgs84', timeZone: this.loaded.timeZone });
          for (const track of set.tracks) out.push({ track, type: entry.type });
        } catch (err) {
          this.findings.push({ code: 'AUDIT_TRACK', severity: 'warning', message: `tracks[${i}] (${entry.path}): ${reasonOf(err).en}`, where: { file: this.manifestPath, path: `tracks[${i}]` } });
        }
      }
      if (out.length === 0) throw new GreenmineError('AUDIT_TRACK', 'no track in the manifest could be read');
      const fence = await this.fence();
      // Only machines that work inside the license are expected to stay near it (trucks leave).
      for (const { track } of out.filter((x) => x.type !== 'truck')) {
        const offset = frameOffsetHint(fence, track);
        if (offset) this.findings.push({ code: 'TRACK_FRAME_OFFSET', severity: 'warning', message: `device ${track.deviceId}: ${offset}`, where: { file: this.manifestPath, path: 'tracks' } });
      }
      return out;
    });
  }

  /** Fence events of every track (R5.1 takes the excursions of working machines, R5.2 the gaps of all). */
  fenceEvents(): Promise<{ fence: Array<{ e: FenceEvent; track: Track }>; gaps: Array<{ e: FenceEvent; track: Track }> }> {
    return this.once('fenceEvents', async () => {
      const t = this.t;
      const fence = await this.fence();
      const floors = this.licenses.map((l) => l.elevationM?.min ?? NaN);
      const out = { fence: [] as Array<{ e: FenceEvent; track: Track }>, gaps: [] as Array<{ e: FenceEvent; track: Track }> };
      for (const { track, type } of await this.tracks()) {
        for (const e of detectEvents(fence, track, { toleranceM: t.fenceToleranceM, minFixes: t.minExcursionFixes, maxGapS: t.maxGapS, heightOffsetM: t.heightOffsetM }, floors)) {
          if (e.type === 'gap') out.gaps.push({ e, track });
          else if (type !== 'truck' && (e.type === 'out-of-bounds' || e.type === 'crossing' || e.type === 'below-floor')) out.fence.push({ e, track });
        }
      }
      return out;
    });
  }

  /** The dust analysis (R4.1, R5.4). */
  dust(): Promise<DustReport> {
    return this.once('dust', async () => {
      const s = this.manifest.sensors!;
      const rule = parseRule(s.rule ? JSON.stringify(s.rule) : (s.preset ?? 'gb16297'), s.rule ? 'sensors.rule' : 'sensors.preset');
      const { readings, findings } = loadReadings(this.file(s.readings), this.loaded.timeZone);
      const report = analyseDust(readings, loadStations(this.file(s.stations)), rule, { keyPositions: s.keyPositions, keyDistanceM: s.keyDistanceM, minCompleteness: this.t.minMonitorCompleteness });
      this.findings.push(...findings, ...report.findings);
      return report;
    });
  }

  /** Camera coverage (R5.3): line of sight on the cameras' DEM, the manifest's DEM, or flat ground (dem: null). */
  cameraCoverage(): Promise<CameraReport> {
    return this.once('cameras', async () => {
      const c = this.manifest.cameras!;
      const cameras = loadCameras(this.file(c.path), c.crs ? { crs: c.crs } : {});
      const demPath = c.dem === null ? undefined : c.dem !== undefined ? this.file(c.dem) : this.manifest.dem !== undefined ? this.file(this.manifest.dem) : undefined;
      const report = await cameraCoverage(this.licenses, cameras, { dem: demPath, targetHeightM: c.targetHeightM, minUncoveredM2: this.t.minPatchM2, cache: this.blocks });
      this.findings.push(...report.findings);
      return report;
    });
  }
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
  let asRead = 0,
    total = 0;
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
