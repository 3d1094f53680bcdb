/**
 * `greenmine init <dir>`: a manifest draft from a folder of mine data, roles
 * guessed from file types and names (Chinese or English), with the files it
 * could not place listed.
 */
import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative } from 'node:path';
import { CHECKS } from './checks/index.js';
import { INPUTS } from './context.js';
import type { Manifest } from './manifest.js';

export interface InitResult {
  manifest: Manifest;
  /** Files that got no role. */
  unplaced: string[];
  /** Roles the draft leaves empty. */
  missingRoles: string[];
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
  const tracks: NonNullable<Manifest['tracks']> = [];
  const dems: string[] = [];
  let before: string | undefined;
  let after: string | undefined;
  let cameras: string | undefined, readings: string | undefined, stations: string | undefined;
  for (const path of files) {
    const name = basename(path).toLowerCase();
    const ext = extname(name);
    if (name === 'mine.json' || name.endsWith('.schema.json') || name === 'expected.json') continue;
    const is = (re: RegExp): boolean => re.test(name);
    if (ext === '.tif' || ext === '.tiff') {
      if (is(/before|前|原始/)) before = rel(path);
      else if (is(/after|后|覆土/)) after = rel(path);
      else if (is(/dem|dsm|dtm|高程|地形/)) dems.push(rel(path));
      else if (is(/class|landcover|land_cover|lc|分类|地类|覆盖/)) classes.push({ path: rel(path) });
      else if (is(/slope|坡度/)) unplaced.push(rel(path));
      else unplaced.push(rel(path));
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
    if (is(/wash|洗车|冲洗/)) zones.wash = rel(path);
    else if (is(/exit|gate|出口|出入口|大门|卡口/)) zones.exits = rel(path);
    else if (is(/netted|vegetation.?net|植被网|挂网/)) zones.netted = rel(path);
    else if (is(/idle|暂不开采|闲置/)) zones.idle = rel(path);
    else if (is(/road|haul|道路|运输线|运矿/)) zones.roads = rel(path);
    else if (is(/excluded|exclude|working|扣除|采场|作业面/)) zones.excluded = rel(path);
    else if (is(/platform|平台/)) zones.platforms = rel(path);
    else if (is(/greenable|可绿化/)) zones.greenable = rel(path);
    else if (is(/final.?slope|终了边坡|边坡/)) zones.finalSlopes = rel(path);
    else if (!manifest.license && (is(/licen[cs]e|许可|拐点|矿区范围|corner/) || ext === '.kml' || ext === '.kmz' || ext === '.shp')) manifest.license = rel(path);
    else unplaced.push(rel(path));
  }
  if (classes.length) manifest.classes = classes;
  if (dems.length) manifest.dem = dems[0];
  if (before && after) manifest.soil = { before, after };
  else for (const p of [before, after]) if (p) unplaced.push(p);
  for (const d of dems.slice(1)) unplaced.push(d);
  if (Object.keys(zones).length) manifest.zones = zones;
  if (tracks.length) manifest.tracks = tracks;
  if (readings && stations) manifest.sensors = { readings, stations };
  else for (const p of [readings, stations]) if (p) unplaced.push(p);
  if (cameras) manifest.cameras = { path: cameras };
  const missingRoles = [
    !manifest.license && 'license',
    !manifest.classes && 'classes',
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
  return { manifest, unplaced, missingRoles, unassessable };
}
