/**
 * The mine manifest (`mine.json`), validated against schemas/mine.schema.json
 * with Ajv: every problem is reported with its JSON path.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { type Finding, GreenmineError } from '../errors.js';
import { readInput, resolveInside } from '../io/files.js';
import { parseJson } from '../io/json.js';
import { checkTimeZone, DEFAULT_TIME_ZONE } from '../io/time.js';
import { validDate } from '../track/build.js';
import { CHECKS } from './checks/index.js';
import { ON_SITE_IDS } from './on-site.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './options.js';

export { DEFAULT_THRESHOLDS, type Thresholds } from './options.js';

export interface Manifest {
  /** A folder (relative to the manifest) that its paths may reach instead of the manifest's own folder (shared data). */
  root?: string;
  mine: { name: string; licenseNo?: string; holder?: string; productionStatus?: string; mustBeGreen?: boolean; thirdPartyAssessed?: boolean; preparer?: string; legalRepresentative?: string; reportDate?: string };
  /** IANA zone of the mine's clocks (default Asia/Shanghai). */
  timeZone?: string;
  /** The plan per form row ("1"…"6") or requirement ID ("R1.1"). */
  plan?: Record<string, PlanEntry>;
  license: string;
  licenseOptions?: { crs?: string; zone?: number; encoding?: string };
  classes?: Array<{ path: string; date?: string }>;
  /** Imagery classified by the audit when there are no class rasters (`greenmine classify`). */
  imagery?: Array<{ path: string; date?: string; method?: 'auto' | 'exg' | 'vari' | 'gli' | 'ndvi' | 'savi'; threshold?: 'otsu' | number; bands?: Array<'R' | 'G' | 'B' | 'NIR' | 'SWIR' | 'A' | '-'> }>;
  /** The class scheme of the class rasters (JSON, see src/raster/scheme.ts); ESA WorldCover when absent. */
  scheme?: string;
  dem?: string;
  soil?: { before: string; after: string };
  zones?: { excluded?: string; greenable?: string; platforms?: string; finalSlopes?: string; wash?: string; exits?: string; roads?: string; idle?: string; netted?: string };
  tracks?: Array<{ path: string; device?: string; type: 'excavator' | 'truck' | 'person' | 'other'; frame?: 'wgs84' | 'gcj02' | 'bd09' }>;
  sensors?: { readings: string; stations: string; preset?: 'gb16297' | 'gb3095-pm10'; rule?: Record<string, unknown>; keyPositions?: Array<{ role: string; lon: number; lat: number }>; keyDistanceM?: number };
  cameras?: { path: string; crs?: string; dem?: string | null; targetHeightM?: number };
  thresholds?: Partial<Thresholds>;
}

/** What the mine plans for a form row or a requirement: 整改提升措施 (replacing the generated one), 计划完成时间, 责任单位. */
export interface PlanEntry {
  measures?: string;
  dueDate?: string;
  responsible?: string;
}

export interface LoadedManifest {
  manifest: Manifest;
  file: string;
  /** Absolute path of a manifest-relative path. */
  resolve(path: string): string;
  thresholds: Thresholds;
  /** The thresholds the manifest overrode. */
  overridden: string[];
  /** Files named in the manifest that do not exist (the checks that need them are not assessed). */
  missing: Finding[];
  /** Every file the manifest names, resolved (role, absolute path): the inputs of this mine. */
  inputs: Array<{ role: string; path: string }>;
  /** The zone times are read and written in: ManifestOptions.timeZone, else the manifest's, else Asia/Shanghai. */
  timeZone: string;
}

export interface ManifestOptions {
  /** Let the manifest's paths reach outside its folder (or its `root`). Default false: a manifest is data. */
  allowOutside?: boolean;
  /** IANA time zone overriding the manifest's `timeZone` (the CLI's --tz). */
  timeZone?: string;
}

/** Every path a manifest names, with its role (the JSON path). */
export function manifestPaths(manifest: Manifest): Array<{ role: string; path: string }> {
  const out: Array<{ role: string; path: string }> = [];
  const add = (role: string, path: string | null | undefined): void => {
    if (typeof path === 'string') out.push({ role, path });
  };
  add('license', manifest.license);
  manifest.classes?.forEach((c, i) => add(`classes[${i}]`, c.path));
  manifest.imagery?.forEach((c, i) => add(`imagery[${i}]`, c.path));
  add('scheme', manifest.scheme);
  add('dem', manifest.dem);
  add('soil.before', manifest.soil?.before);
  add('soil.after', manifest.soil?.after);
  for (const [k, v] of Object.entries(manifest.zones ?? {})) add(`zones.${k}`, v);
  manifest.tracks?.forEach((t, i) => add(`tracks[${i}]`, t.path));
  add('sensors.readings', manifest.sensors?.readings);
  add('sensors.stations', manifest.sensors?.stations);
  add('cameras.path', manifest.cameras?.path);
  add('cameras.dem', manifest.cameras?.dem);
  return out;
}

export const SCHEMA_PATH = fileURLToPath(new URL('../../../schemas/mine.schema.json', import.meta.url));

let validator: ReturnType<Ajv['compile']> | null = null;

function schemaValidator(): ReturnType<Ajv['compile']> {
  if (!validator) {
    // The schema sits at the package root (../../schemas from dist/src/audit, ../../schemas from src/audit).
    const candidates = [SCHEMA_PATH, fileURLToPath(new URL('../../schemas/mine.schema.json', import.meta.url))];
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new GreenmineError('AUDIT_SCHEMA_MISSING', 'schemas/mine.schema.json is missing from the installation');
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(path, 'utf8')) as object);
  }
  return validator;
}

export function loadManifest(file: string, options: ManifestOptions = {}): LoadedManifest {
  const text = new TextDecoder().decode(readInput(file, 'manifest', 16 << 20));
  const doc = parseJson(text, file, 'MANIFEST_SYNTAX', 'manifest (mine.json)');
  const validate = schemaValidator();
  if (!validate(doc)) {
    const findings: Finding[] = (validate.errors ?? []).map((e) => ({
      code: 'MANIFEST_INVALID',
      severity: 'error' as const,
      message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` ("${String(e.params.additionalProperty)}")` : ''}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`,
      where: { file, path: e.instancePath || '/' },
    }));
    throw new GreenmineError('MANIFEST_INVALID', `${file}: ${findings.map((f) => f.message).join('; ')}`, { file, path: findings[0]?.where.path }, findings);
  }
  const manifest = doc as Manifest;
  const base = dirname(resolve(file));
  const root = manifest.root === undefined ? base : resolve(base, manifest.root);
  const overridden = Object.keys(manifest.thresholds ?? {});
  const thresholds = { ...DEFAULT_THRESHOLDS, ...(manifest.thresholds ?? {}) } as Thresholds;
  const missing: Finding[] = [];
  const outside: Finding[] = [];
  const inputs: Array<{ role: string; path: string }> = [];
  for (const { role, path } of manifestPaths(manifest)) {
    try {
      inputs.push({ role, path: resolveInside(root, resolve(base, path), file, role, options.allowOutside) });
    } catch (err) {
      if (!(err instanceof GreenmineError)) throw err;
      outside.push(...err.findings);
      continue;
    }
    if (!existsSync(resolve(base, path))) missing.push({ code: 'MANIFEST_FILE_MISSING', severity: 'warning', message: `${role} file ${path} does not exist`, where: { file, path: role } });
  }
  if (outside.length) throw new GreenmineError('PATH_OUTSIDE_ROOT', outside.map((f) => f.message).join('; '), { file, path: outside[0]!.where.path }, outside);
  const resolvePath = (p: string): string => resolveInside(root, resolve(base, p), file, p, options.allowOutside);
  let timeZone: string;
  try {
    timeZone = checkTimeZone(options.timeZone ?? manifest.timeZone ?? DEFAULT_TIME_ZONE);
  } catch (err) {
    throw new GreenmineError('TIME_ZONE_UNKNOWN', `${file}: ${(err as Error).message}`, { file, path: options.timeZone ? '--tz' : 'timeZone' });
  }
  const reportDate = manifest.mine.reportDate;
  if (reportDate !== undefined && !validDate(Number(reportDate.slice(0, 4)), Number(reportDate.slice(5, 7)), Number(reportDate.slice(8, 10)))) {
    throw new GreenmineError('MANIFEST_INVALID', `${file}: mine.reportDate ${reportDate} is not a calendar date`, { file, path: 'mine/reportDate' });
  }
  const planIds = new Set(CHECKS.map((c) => c.id));
  const unknownPlan = Object.keys(manifest.plan ?? {}).filter((k) => !/^[1-6]$/.test(k) && !planIds.has(k) && !ON_SITE_IDS.has(k));
  if (unknownPlan.length) throw new GreenmineError('MANIFEST_INVALID', `${file}: plan names requirement(s) ${unknownPlan.join(', ')} that the form does not have`, { file, path: `plan/${unknownPlan[0]}` });
  return { manifest, file, resolve: resolvePath, thresholds, overridden, missing, inputs, timeZone };
}
