/**
 * serve.json: the live service's configuration, validated by
 * schemas/serve.schema.json; relative paths resolve against the file's folder
 * and stay inside it unless `allowOutside` (the manifest's trust rule).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../audit/options.js';
import { type Finding, GreenmineError } from '../errors.js';
import type { EventOptions } from '../fence/events.js';
import { readInput, resolveInside } from '../io/files.js';
import { parseJson } from '../io/json.js';
import { checkTimeZone, DEFAULT_TIME_ZONE } from '../io/time.js';
import { licenseFilesIn } from '../license/load.js';
import { type DustRule, parseRule } from '../sensors/dust.js';

export interface ServeConfigFile {
  licenses: string[];
  stateDir: string;
  durable?: boolean;
  allowOutside?: boolean;
  timeZone?: string;
  reorderWindowS?: number;
  checkpointIntervalS?: number;
  fence?: Pick<EventOptions, 'minDurationS' | 'warnDistanceM' | 'verticalToleranceM' | 'segmentCheck' | 'mode'>;
  dust?: { rules?: Array<string | object>; stations?: string };
  wash?: { zones: string; exits?: string };
  cluster?: { instance: string; partitions?: number; historyS?: number };
  mqtt?: { url: string; username?: string; password?: string; clientId?: string; ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean; sessionExpiryS?: number };
  http?: { listen?: string; token?: string; maxBodyBytes?: number };
  webhooks?: Array<{ url: string; token?: string }>;
  thresholds?: Partial<Thresholds>;
}

/** The configuration resolved: absolute paths, defaults filled in. */
export interface ServeConfig {
  file: string;
  licenseFiles: string[];
  stateDir: string;
  /** Write-ahead log and checkpoints (default); false: state in memory only. */
  durable: boolean;
  timeZone: string;
  reorderWindowS: number;
  checkpointIntervalS: number;
  eventOptions: EventOptions;
  thresholds: Thresholds;
  dustRules: DustRule[];
  stationsFile: string | null;
  /** Wash zones and site exits (R4.2): a truck leaving the site unwashed is a `wash` alarm. */
  wash: { zonesFile: string; exitsFile: string | null } | null;
  mqtt: (Required<Pick<NonNullable<ServeConfigFile['mqtt']>, 'url' | 'clientId' | 'sessionExpiryS' | 'rejectUnauthorized'>> & Omit<NonNullable<ServeConfigFile['mqtt']>, 'url' | 'clientId' | 'sessionExpiryS' | 'rejectUnauthorized'>) | null;
  http: { host: string; port: number; token: string | null; maxBodyBytes: number };
  webhooks: Array<{ url: string; token?: string }>;
  /** Several instances sharing the devices (src/serve/cluster.ts); null: one instance. */
  cluster: { instance: string; partitions: number; historyS: number } | null;
}

let validator: ReturnType<Ajv['compile']> | null = null;

function schemaValidator(): ReturnType<Ajv['compile']> {
  if (!validator) {
    const candidates = ['../../../schemas/serve.schema.json', '../../schemas/serve.schema.json'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new GreenmineError('SERVE_SCHEMA_MISSING', 'schemas/serve.schema.json is missing from the installation');
    validator = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path, 'utf8')) as object);
  }
  return validator;
}

/** `host:port` → parts; the host must be given (127.0.0.1, ::1, 0.0.0.0 …), the port 0–65535. */
export function parseListen(text: string, file: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new GreenmineError('SERVE_CONFIG_INVALID', `${file}: http.listen "${text.slice(0, 60)}" is not host:port (e.g. 127.0.0.1:8080)`, { file, path: '/http/listen' });
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function loadServeConfig(file: string): ServeConfig {
  const text = new TextDecoder().decode(readInput(file, 'service configuration', 4 << 20));
  const doc = parseJson(text, file, 'SERVE_CONFIG_SYNTAX', 'service configuration (serve.json)');
  const validate = schemaValidator();
  if (!validate(doc)) {
    const findings: Finding[] = (validate.errors ?? []).map((e) => ({
      code: 'SERVE_CONFIG_INVALID',
      severity: 'error' as const,
      message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` ("${String(e.params.additionalProperty)}")` : ''}`,
      where: { file, path: e.instancePath || '/' },
    }));
    throw new GreenmineError('SERVE_CONFIG_INVALID', `${file}: ${findings.map((f) => f.message).join('; ')}`, { file, path: findings[0]?.where.path }, findings);
  }
  const c = doc as ServeConfigFile;
  const base = dirname(resolve(file));
  const inside = (p: string, role: string): string => resolveInside(base, resolve(base, p), file, role, c.allowOutside);
  const licenseFiles: string[] = [];
  for (const [i, entry] of c.licenses.entries()) {
    const path = inside(entry, `licenses/${i}`);
    let dir = false;
    try {
      dir = statSync(path).isDirectory();
    } catch {
      throw new GreenmineError('SERVE_CONFIG_INVALID', `${file}: licenses/${i} "${entry}" does not exist`, { file, path: `/licenses/${i}` });
    }
    if (!dir) {
      licenseFiles.push(path);
      continue;
    }
    const files = licenseFilesIn(path);
    if (files.length === 0) throw new GreenmineError('SERVE_CONFIG_INVALID', `${file}: licenses/${i} "${entry}" is a folder without license files`, { file, path: `/licenses/${i}` });
    licenseFiles.push(...files.map((f) => inside(f, `licenses/${i}`)));
  }
  let timeZone: string;
  try {
    timeZone = checkTimeZone(c.timeZone ?? DEFAULT_TIME_ZONE);
  } catch (err) {
    throw new GreenmineError('TIME_ZONE_UNKNOWN', `${file}: ${(err as Error).message}`, { file, path: '/timeZone' });
  }
  const thresholds = { ...DEFAULT_THRESHOLDS, ...(c.thresholds ?? {}) } as Thresholds;
  const eventOptions: EventOptions = {
    toleranceM: thresholds.fenceToleranceM,
    minFixes: thresholds.minExcursionFixes,
    maxGapS: thresholds.maxGapS,
    heightOffsetM: thresholds.heightOffsetM,
    ...(c.fence ?? {}),
  };
  const dustRules = (c.dust?.rules ?? ['gb16297']).map((r, i) => parseRule(typeof r === 'string' ? r : JSON.stringify(r), `${file}: dust/rules/${i}`));
  const mqtt = c.mqtt
    ? {
        ...c.mqtt,
        clientId: c.mqtt.clientId ?? 'greenmine',
        sessionExpiryS: c.mqtt.sessionExpiryS ?? 604_800,
        rejectUnauthorized: c.mqtt.rejectUnauthorized ?? true,
        ca: c.mqtt.ca && inside(c.mqtt.ca, 'mqtt/ca'),
        cert: c.mqtt.cert && inside(c.mqtt.cert, 'mqtt/cert'),
        key: c.mqtt.key && inside(c.mqtt.key, 'mqtt/key'),
      }
    : null;
  if (c.cluster && !mqtt) throw new GreenmineError('SERVE_CONFIG_INVALID', `${file}: cluster needs mqtt (the instances share the devices through the broker)`, { file, path: '/cluster' });
  const http = { ...parseListen(c.http?.listen ?? '127.0.0.1:8080', file), token: c.http?.token ?? null, maxBodyBytes: c.http?.maxBodyBytes ?? 64 << 20 };
  return {
    file,
    licenseFiles,
    stateDir: inside(c.stateDir, 'stateDir'),
    durable: c.durable ?? true,
    timeZone,
    reorderWindowS: c.reorderWindowS ?? 30,
    checkpointIntervalS: c.checkpointIntervalS ?? 30,
    eventOptions,
    thresholds,
    dustRules,
    stationsFile: c.dust?.stations ? inside(c.dust.stations, 'dust/stations') : null,
    wash: c.wash ? { zonesFile: inside(c.wash.zones, 'wash/zones'), exitsFile: c.wash.exits ? inside(c.wash.exits, 'wash/exits') : null } : null,
    mqtt,
    http,
    webhooks: c.webhooks ?? [],
    cluster: c.cluster ? { instance: c.cluster.instance, partitions: c.cluster.partitions ?? 16, historyS: c.cluster.historyS ?? 120 } : null,
  };
}
