/**
 * Land-cover class schemes: which codes are green, bare, or not greenable.
 * The default is ESA WorldCover; any other scheme is a small JSON file
 * `{"name", "nodata"?, "classes": {"10": {"name": "tree", "group": "green"}, …}}`.
 */

import { existsSync } from 'node:fs';
import { GreenmineError } from '../errors.js';
import { readInput } from '../io/files.js';
import { parseJson } from '../io/json.js';

export type ClassGroup = 'green' | 'bare' | 'nongreenable' | 'other';

export interface ClassScheme {
  name: string;
  classes: Map<number, { name: string; group: ClassGroup }>;
  /** A class code meaning "no data" besides the raster's own nodata value, or null. */
  nodata: number | null;
}

const GROUPS: ClassGroup[] = ['green', 'bare', 'nongreenable', 'other'];

export const WORLDCOVER: ClassScheme = {
  name: 'ESA WorldCover',
  nodata: 0,
  classes: new Map<number, { name: string; group: ClassGroup }>([
    [10, { name: 'tree cover', group: 'green' }],
    [20, { name: 'shrubland', group: 'green' }],
    [30, { name: 'grassland', group: 'green' }],
    [40, { name: 'cropland', group: 'green' }],
    [50, { name: 'built-up', group: 'nongreenable' }],
    [60, { name: 'bare / sparse vegetation', group: 'bare' }],
    [70, { name: 'snow and ice', group: 'nongreenable' }],
    [80, { name: 'permanent water', group: 'nongreenable' }],
    [90, { name: 'herbaceous wetland', group: 'green' }],
    [95, { name: 'mangroves', group: 'green' }],
    [100, { name: 'moss and lichen', group: 'green' }],
  ]),
};

function checkCode(key: string, source: string): number {
  const code = Number(key);
  if (!Number.isInteger(code) || code < 0 || code > 65535 || String(code) !== key.trim()) {
    throw new GreenmineError('SCHEME_BAD_CODE', `${source}: class code "${key}" is not an integer from 0 to 65535`, { file: source, path: `classes.${key}` });
  }
  return code;
}

export function parseScheme(text: string, source: string): ClassScheme {
  const doc = parseJson(text, source, 'SCHEME_SYNTAX', 'class scheme (JSON)');
  const d = doc as { name?: unknown; nodata?: unknown; classes?: unknown };
  if (!d || typeof d !== 'object' || !d.classes || typeof d.classes !== 'object') {
    throw new GreenmineError('SCHEME_STRUCTURE', `${source}: expected {"name", "classes": {"<code>": {"name", "group"}}}`, { file: source });
  }
  const classes = new Map<number, { name: string; group: ClassGroup }>();
  for (const [key, value] of Object.entries(d.classes as Record<string, unknown>)) {
    const code = checkCode(key, source);
    const v = value as { name?: unknown; group?: unknown };
    if (!v || typeof v !== 'object' || !GROUPS.includes(v.group as ClassGroup)) {
      throw new GreenmineError('SCHEME_BAD_GROUP', `${source}: class ${key} needs "group" one of ${GROUPS.join(', ')}`, { file: source, path: `classes.${key}.group` });
    }
    classes.set(code, { name: typeof v.name === 'string' ? v.name : `class ${code}`, group: v.group as ClassGroup });
  }
  if (d.nodata !== undefined && d.nodata !== null && !Number.isInteger(d.nodata)) {
    throw new GreenmineError('SCHEME_STRUCTURE', `${source}: "nodata" must be an integer class code or null`, { file: source, path: 'nodata' });
  }
  return { name: typeof d.name === 'string' ? d.name : source, classes, nodata: (d.nodata as number | null | undefined) ?? null };
}

/** `classes.tif` → `classes.scheme.json`, the scheme `greenmine classify` writes beside its output. */
export function schemeSidecar(rasterPath: string): string {
  return `${rasterPath.replace(/\.tiff?$/i, '')}.scheme.json`;
}

/** The scheme of a class raster: the one given, else the one beside it (`<raster>.scheme.json`), else ESA WorldCover. */
export function schemeFor(rasterPath: string, given?: string): ClassScheme {
  if (given) return loadScheme(given);
  const sidecar = schemeSidecar(rasterPath);
  return existsSync(sidecar) ? loadScheme(sidecar) : WORLDCOVER;
}

export function loadScheme(path: string): ClassScheme {
  return parseScheme(new TextDecoder().decode(readInput(path, 'class scheme')), path);
}

/** A scheme from explicit code lists (--green 10,20,30 --bare 60 --nongreen 50,80); overlapping lists are refused. */
export function schemeFromGroups(base: ClassScheme, groups: Partial<Record<'green' | 'bare' | 'nongreenable', number[]>>): ClassScheme {
  const classes = new Map(base.classes);
  const seen = new Map<number, string>();
  for (const [group, codes] of Object.entries(groups) as Array<[ClassGroup, number[] | undefined]>) {
    if (!codes) continue;
    // Codes moved into a named group leave their old group.
    for (const [code, c] of classes) if (c.group === group) classes.set(code, { ...c, group: 'other' });
    for (const code of codes) {
      if (seen.has(code)) throw new GreenmineError('SCHEME_OVERLAP', `class ${code} is in both ${seen.get(code)} and ${group}`);
      seen.set(code, group);
      classes.set(code, { name: classes.get(code)?.name ?? `class ${code}`, group });
    }
  }
  return { ...base, name: `${base.name} (groups overridden)`, classes };
}
