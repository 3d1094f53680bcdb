/**
 * The license fields printed in Chinese (开采标高, 矿区面积) and the attribute
 * names of license layers (矿山名称, 采矿许可证号, 采矿权人…).
 */
import type { StatedArea } from './model.js';

// Digits with optional thousands separators (1,290 or 1，290) and decimals; exponents are read so they can be refused.
const NUMBER = String.raw`[+\-－]?\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?(?:[eE][-+]?\d+)?|[+\-－]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`;

/** Elevations greenmine accepts (m): from the Dead Sea shore to above Everest; anything else is a misprint. */
export const ELEVATION_RANGE_M = { min: -500, max: 9000 };
const RANGE_SEPARATOR = String.raw`\s*(?:米|m|M)?\s*(?:至|到|~|～|〜|—|–|－|-{1,2}|\.{2,3})\s*`;

function toNumber(s: string): number {
  return Number(s.replace('－', '-').replace('+', '').replace(/[,，]/g, ''));
}

/**
 * The licensed elevation range from a line such as `开采标高：由+210米至+10米`,
 * `+27~+5m`, `自72.2米至-47米` or `标高+136.24m至+8.5m`; null when there is none.
 */
export function parseElevation(line: string): { min: number; max: number } | null {
  const text = line.replace(/\s+/g, ' ');
  const re = new RegExp(`(${NUMBER})${RANGE_SEPARATOR}(${NUMBER})\\s*(?:米|m|M)?`);
  const m = re.exec(text);
  if (!m) return null;
  const a = toNumber(m[1]!);
  const b = toNumber(m[2]!);
  // An elevation outside what the Earth holds (or written in exponent notation past it) is not read.
  if (![a, b].every((v) => Number.isFinite(v) && v >= ELEVATION_RANGE_M.min && v <= ELEVATION_RANGE_M.max)) return null;
  // "290-68" reads as a range, but "-47" after a separator is a negative elevation: handled by NUMBER.
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

const AREA_UNITS: Array<[RegExp, number]> = [
  [/平方公里|平方千米|km2|km²|km\^2|k㎡/i, 1e6],
  [/公顷|ha\b|hm2|hm²/i, 1e4],
  [/亩/, 10000 / 15],
  [/平方米|m2|m²|㎡|m\^2/i, 1],
];

/** The stated area from `矿区面积：0.7290平方公里` (also m², 公顷, 亩); null when there is none. */
export function parseStatedArea(line: string): StatedArea | null {
  const m = /(\d+(?:\.\d+)?)\s*(平方公里|平方千米|km2|km²|km\^2|k㎡|公顷|ha|hm2|hm²|亩|平方米|m2|m²|㎡|m\^2)/i.exec(line);
  if (!m) return null;
  const unit = AREA_UNITS.find(([re]) => re.test(m[2]!));
  if (!unit) return null;
  const value = Number(m[1]);
  const decimals = m[1]!.includes('.') ? m[1]!.split('.')[1]!.length : 0;
  return { m2: value * unit[1], text: m[0]!, roundingM2: 0.5 * 10 ** -decimals * unit[1] };
}

const norm = (s: string): string => s.toLowerCase().replace(/[\s_\-()（）]/g, '');
const normalised = (keys: string[]): string[] => keys.map(norm);

const NAME_KEYS = normalised(['矿山名称', '矿山名', '矿区名称', '名称', 'name', 'minename', 'ksmc', 'mc']);
const NUMBER_KEYS = normalised(['采矿许可证号', '采矿许可证编号', '许可证号', '证号', 'licenseno', 'licenceno', 'licensenumber', 'permitno', 'xkzh', 'xkzbh']);
const HOLDER_KEYS = normalised(['采矿权人', '矿业权人', '权利人', 'holder', 'owner', 'ckqr']);
const ZMIN_KEYS = normalised(['最低标高', '开采最低标高', '标高下限', 'zmin', 'minelev', 'elevmin', 'minelevation', 'zdbg']);
const ZMAX_KEYS = normalised(['最高标高', '开采最高标高', '标高上限', 'zmax', 'maxelev', 'elevmax', 'maxelevation', 'zgbg']);
const ELEVATION_KEYS = normalised(['开采标高', '开采深度', '标高', 'elevation', 'elevationrange', 'kcbg']);
const AREA_KEYS = normalised(['矿区面积', '面积', 'area', 'statedarea', 'mj']);

export interface MappedFields {
  name: string | null;
  licenseNo: string | null;
  holder: string | null;
  elevationM: { min: number; max: number } | null;
  statedArea: StatedArea | null;
  /** Problems reading a mapped attribute (e.g. an area without a unit). */
  notes: string[];
}

/** Attribute keys normalised once per record, so each lookup is a map hit. */
type KeyIndex = Map<string, [string, unknown]>;

function indexKeys(attrs: Record<string, unknown>): KeyIndex {
  const index: KeyIndex = new Map();
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || String(v).trim() === '') continue;
    const key = norm(k);
    if (!index.has(key)) index.set(key, [k, v]);
  }
  return index;
}

function pick(index: KeyIndex, keys: string[]): [string, unknown] | null {
  for (const key of keys) {
    const hit = index.get(key);
    if (hit) return hit;
  }
  return null;
}

const text = (v: [string, unknown] | null): string | null => (v ? String(v[1]).trim() : null);

/** Map common attribute names to license fields; the attributes themselves are kept as they are. */
export function mapAttributes(attrs: Record<string, unknown>): MappedFields {
  const notes: string[] = [];
  const index = indexKeys(attrs);
  let elevationM: MappedFields['elevationM'] = null;
  const zmin = pick(index, ZMIN_KEYS);
  const zmax = pick(index, ZMAX_KEYS);
  if (zmin && zmax) {
    const a = Number(String(zmin[1]).replace(/[米m+]/gi, ''));
    const b = Number(String(zmax[1]).replace(/[米m+]/gi, ''));
    if (Number.isFinite(a) && Number.isFinite(b)) elevationM = { min: Math.min(a, b), max: Math.max(a, b) };
    else notes.push(`elevation attributes ${zmin[0]}=${String(zmin[1])}, ${zmax[0]}=${String(zmax[1])} are not numbers`);
  } else {
    const combined = pick(index, ELEVATION_KEYS);
    if (combined) {
      elevationM = parseElevation(String(combined[1]));
      if (!elevationM) notes.push(`elevation attribute ${combined[0]}="${String(combined[1])}" is not a range such as +290m至+68m`);
    }
  }
  let statedArea: StatedArea | null = null;
  const area = pick(index, AREA_KEYS);
  if (area) {
    const [key, value] = area;
    const unitFromKey = /km2|km²|平方公里|平方千米/i.test(key) ? '平方公里' : /亩/.test(key) ? '亩' : /m2|m²|平方米/i.test(key) ? '平方米' : '';
    statedArea = parseStatedArea(`${String(value)}${typeof value === 'number' || /^\s*[\d.]+\s*$/.test(String(value)) ? unitFromKey : ''}`);
    if (!statedArea) notes.push(`area attribute ${key}=${String(value)} has no unit (name it like area_km2, or write 0.7290平方公里)`);
  }
  return {
    name: text(pick(index, NAME_KEYS)),
    licenseNo: text(pick(index, NUMBER_KEYS)),
    holder: text(pick(index, HOLDER_KEYS)),
    elevationM,
    statedArea,
    notes,
  };
}
