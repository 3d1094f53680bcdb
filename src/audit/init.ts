/**
 * `greenmine init <dir>`: a manifest draft from a folder of mine data, roles
 * guessed from file types and names (Chinese or English), with the files it
 * could not place listed.
 */
import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative } from 'node:path';
import { tiffSampleType } from '../raster/tiff-structure.js';
import { CHECKS } from './checks/index.js';
import { INPUTS } from './context.js';
import type { Manifest } from './manifest.js';

export interface InitResult {
  manifest: Manifest;
  /** Files that got no role. */
  unplaced: string[];
  /** Roles the draft leaves empty. */
  missingRoles: string[];
  /** Roles with more than one candidate: left empty rather than one file overwriting another. */
  ambiguous: Array<{ role: string; files: string[] }>;
  /** Rasters whose name suggests a role their sample type rules out (a float "分类.tif", an 8-bit "DEM.tif"): left unplaced. */
  mismatched: Array<{ file: string; role: string; type: string }>;
  /** The registry's checks the draft cannot run, each with the first input it lacks (from the checks' declared inputs). */
  unassessable: Array<{ id: string; input: string; zh: string; en: string }>;
}

const DATA = new Set(['.txt', '.csv', '.tsv', '.shp', '.kml', '.kmz', '.geojson', '.json', '.tif', '.tiff', '.gpx', '.nmea']);

/**
 * Data files under `dir`. Folders reached through symbolic links are not
 * entered; a linked file counts only when it resolves inside `root` (the
 * manifest could not name it otherwise) and exists (dangling links are skipped).
 */
function walk(dir: string, root: string, out: string[] = []): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const name = e.name;
    if (name.startsWith('.') || name === 'node_modules') continue;
    const path = join(dir, name);
    if (e.isDirectory()) walk(path, root, out);
    else if (DATA.has(extname(name).toLowerCase()) && (e.isFile() || (e.isSymbolicLink() && linkedFileInside(path, root)))) out.push(path);
  }
  return out;
}

function linkedFileInside(path: string, root: string): boolean {
  try {
    const real = realpathSync(path);
    const rel = relative(root, real);
    return statSync(real).isFile() && rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  } catch {
    return false;
  }
}

export function initManifest(dir: string): InitResult {
  const files = walk(dir, realpathSync(dir));
  const rel = (p: string): string => relative(dir, p).split('\\').join('/');
  const unplaced: string[] = [];
  const manifest: Manifest = { mine: { name: basename(dir) }, license: '' };
  const zones: NonNullable<Manifest['zones']> = {};
  const classes: NonNullable<Manifest['classes']> = [];
  const imagery: NonNullable<Manifest['imagery']> = [];
  const tracks: NonNullable<Manifest['tracks']> = [];
  const found = new Map<string, string[]>();
  const classOrder = new Map<string, string>();
  const candidates = (role: string, file: string): void => void found.set(role, [...(found.get(role) ?? []), file]);
  let cameras: string | undefined, readings: string | undefined, stations: string | undefined;
  const mismatched: InitResult['mismatched'] = [];
  for (const path of files) {
    const name = basename(path).toLowerCase();
    const ext = extname(name);
    if (name === 'mine.json' || name.endsWith('.schema.json') || name === 'expected.json') continue;
    const is = (re: RegExp): boolean => re.test(name);
    if (ext === '.tif' || ext === '.tiff') {
      // The raster's own type decides what it can be: a float raster is never a class raster, an 8-bit one never a DEM.
      const sample = tiffSampleType(path);
      const classLike = sample !== null && sample.format !== 'float' && sample.bits <= 16;
      const demLike = sample !== null && (sample.format === 'float' || sample.bits >= 16);
      const named = (role: string, ok: boolean): boolean => {
        if (!ok) mismatched.push({ file: rel(path), role, type: sample ? `${sample.format}${sample.bits}` : 'not a readable TIFF' });
        return ok;
      };
      // Class rasters first (整治前影像解译 is a class raster of the time before, not a soil DEM), with a
      // date from 整治前/整治后 or the digits of a year in the name; soil DEMs only by 覆土 or soil names.
      if (is(/class|landcover|land_cover|解译|分类|地类|土地覆盖|覆盖类型/)) {
        if (!named('classes', classLike)) continue;
        const d = /((?:19|20)\d{2})[-_]?(\d{2})[-_]?(\d{2})/.exec(name);
        const date = d ? `${d[1]}-${d[2]}-${d[3]}` : undefined;
        // Oldest first: 整治前 (before) ahead of dated ones, 整治后 (after) last.
        const when = is(/整治前|before/) ? 0 : is(/整治后|after/) ? 2 : 1;
        classes.push(date ? { path: rel(path), date } : { path: rel(path) });
        classOrder.set(rel(path), `${when}${date ?? ''}`);
      } else if (is(/ortho|(^|[^a-z])dom([^a-z]|$)|正射|航拍|无人机|卫星|遥感|影像|image/)) {
        // Imagery (an orthophoto or a satellite scene): classified by the audit when no class raster is given.
        if (!named('imagery', sample !== null && sample.format !== 'float')) continue;
        const d = /((?:19|20)\d{2})[-_]?(\d{2})[-_]?(\d{2})/.exec(name);
        imagery.push(d ? { path: rel(path), date: `${d[1]}-${d[2]}-${d[3]}` } : { path: rel(path) });
      } else if (is(/覆土前|soil.?before|before.?soil/)) {
        if (named('soil.before', demLike)) candidates('soil.before', rel(path));
      } else if (is(/覆土后|soil.?after|after.?soil/)) {
        if (named('soil.after', demLike)) candidates('soil.after', rel(path));
      } else if (is(/dem|dsm|dtm|高程|地形/)) {
        if (named('dem', demLike)) candidates('dem', rel(path));
      } else unplaced.push(rel(path));
      continue;
    }
    if ((ext === '.csv' || ext === '.geojson' || ext === '.json') && is(/camera|cctv|video|摄像|监控点|视频/)) {
      if (!cameras) cameras = rel(path);
      else unplaced.push(rel(path));
      continue;
    }
    if (ext === '.csv' && is(/dust|pm10|tsp|粉尘|扬尘|监测数据|readings/)) {
      if (!readings) readings = rel(path);
      else unplaced.push(rel(path));
      continue;
    }
    if (ext === '.csv' && is(/station|站点|监测点/)) {
      if (!stations) stations = rel(path);
      else unplaced.push(rel(path));
      continue;
    }
    if (ext === '.gpx' || ext === '.nmea' || (ext === '.csv' && is(/track|gps|轨迹|定位|excavator|挖掘|truck|车|人员|person/))) {
      const type = is(/excavator|挖掘|挖机/) ? 'excavator' : is(/truck|车|运输|渣土/) ? 'truck' : is(/person|人员|worker/) ? 'person' : 'other';
      tracks.push({ path: rel(path), type });
      continue;
    }
    // The most specific names first: 洗车平台 is the wash pad, not a platform.
    if (is(/wash|洗车|冲洗/)) candidates('zones.wash', rel(path));
    else if (is(/exit|gate|出口|出入口|大门|卡口/)) candidates('zones.exits', rel(path));
    else if (is(/netted|vegetation.?net|植被网|挂网/)) candidates('zones.netted', rel(path));
    else if (is(/idle|暂不开采|闲置/)) candidates('zones.idle', rel(path));
    else if (is(/road|haul|道路|运输线|运矿/)) candidates('zones.roads', rel(path));
    else if (is(/excluded|exclude|working|扣除|采场|作业面/)) candidates('zones.excluded', rel(path));
    else if (is(/platform|平台/)) candidates('zones.platforms', rel(path));
    else if (is(/greenable|可绿化/)) candidates('zones.greenable', rel(path));
    else if (is(/final.?slope|终了边坡|边坡/)) candidates('zones.finalSlopes', rel(path));
    else if (!manifest.license && (is(/licen[cs]e|许可|拐点|矿区范围|corner/) || ext === '.kml' || ext === '.kmz' || ext === '.shp')) manifest.license = rel(path);
    else unplaced.push(rel(path));
  }
  const ambiguous: InitResult['ambiguous'] = [];
  const one = (role: string): string | undefined => {
    const files = found.get(role) ?? [];
    if (files.length > 1) ambiguous.push({ role, files });
    return files.length === 1 ? files[0] : undefined;
  };
  if (classes.length) manifest.classes = classes.sort((a, b) => (classOrder.get(a.path)! < classOrder.get(b.path)! ? -1 : classOrder.get(a.path)! > classOrder.get(b.path)! ? 1 : 0));
  if (imagery.length && !classes.length) manifest.imagery = imagery.sort((a, b) => ((a.date ?? '') < (b.date ?? '') ? -1 : 1));
  else unplaced.push(...imagery.map((i) => i.path));
  const dem = one('dem');
  if (dem) manifest.dem = dem;
  const [before, after] = [one('soil.before'), one('soil.after')];
  if (before && after) manifest.soil = { before, after };
  else for (const p of [before, after]) if (p) unplaced.push(p);
  for (const role of ['wash', 'exits', 'netted', 'idle', 'roads', 'excluded', 'platforms', 'greenable', 'finalSlopes'] as const) {
    const file = one(`zones.${role}`);
    if (file) zones[role] = file;
  }
  if (Object.keys(zones).length) manifest.zones = zones;
  if (tracks.length) manifest.tracks = tracks;
  if (readings && stations) manifest.sensors = { readings, stations };
  else for (const p of [readings, stations]) if (p) unplaced.push(p);
  if (cameras) manifest.cameras = { path: cameras };
  const missingRoles = [
    !manifest.license && 'license',
    !manifest.classes && !manifest.imagery && 'classes',
    !manifest.dem && 'dem',
    !manifest.soil && 'soil',
    !manifest.zones?.platforms && 'zones.platforms',
    !manifest.zones?.excluded && 'zones.excluded',
    !manifest.tracks && 'tracks',
    !manifest.zones?.roads && 'zones.roads',
    !manifest.sensors && 'sensors',
    !manifest.cameras && 'cameras',
  ].filter((x): x is string => Boolean(x));
  const unassessable = CHECKS.flatMap((c) => {
    const lacking = c.needs.find((n) => !INPUTS[n].present(manifest));
    return lacking ? [{ id: c.id, input: lacking, zh: INPUTS[lacking].zh, en: INPUTS[lacking].en }] : [];
  });
  unplaced.push(...mismatched.map((m) => m.file));
  return { manifest, unplaced, missingRoles, unassessable, ambiguous, mismatched };
}
