/**
 * Printed corner-coordinate tables (矿区范围拐点坐标) as they appear on a
 * mining license or its annex, in text or CSV, UTF-8 or GBK:
 *
 *   矿区范围拐点坐标（2000国家大地坐标系，3度带，中央经线120°）
 *   第1块
 *   1,3384139.53,40495814.07        ← point, X (northing), Y (easting, zone prefix 40)
 *   …
 *   扣除范围1                        ← excluded area, assigned to the block containing it
 *   …
 *   开采标高：由+290米至+68米
 *   矿区面积：0.7290平方公里
 *
 * Every line is either understood or reported: a line holding coordinates that
 * does not read as `point, X, Y` is an error with its line number.
 */
import { basename } from 'node:path';
import { type Crs, type Datum, detectGkCrs, familyOfZone, parseCrs, zonePrefix } from '../crs/index.js';
import type { ErrorCode } from '../error-codes.js';
import { type Finding, GreenmineError } from '../errors.js';
import { decodeText } from '../io/text.js';
import { ELEVATION_RANGE_M, mapAttributes, parseElevation, parseStatedArea } from './fields.js';
import { pointInRing } from './geometry.js';
import type { License, StatedArea } from './model.js';

export interface CornerTableOptions {
  /** The CRS of the table, when it is not to be inferred from the zone prefix. */
  crs?: Crs;
  /** Zone number for prefix-free eastings (25–45 for 3° zones, 13–23 for 6°). */
  zone?: number;
  encoding?: string;
}

/** Coordinates below this are labels or other numbers, not northings or eastings. */
const MIN_COORDINATE = 10000;

const CN_DIGITS = '一二三四五六七八九十';
const BLOCK_HEADER = new RegExp(`^(?:第\\s*[0-9${CN_DIGITS}]+\\s*(?:块|区块|区|部分)|区块\\s*[0-9A-Za-z${CN_DIGITS}]+|[A-Za-z0-9${CN_DIGITS}]{1,3}\\s*(?:区块|区|块段|块)|block\\s*\\d+)`, 'i');
const EXCLUSION = /扣除|剔除|不含|除外|exclu/i;
const ELEVATION = /标高|开采深度|elevation/i;
const AREA = /面积|\barea\b/i;

interface Part {
  name: string;
  line: number;
  xs: number[];
  ys: number[];
  lines: number[];
}

/**
 * A corner table, line by line: headings (datum, zone, central meridian,
 * column order, blocks, excluded areas, elevation, area, key：value fields)
 * and corner rows, each understood or reported with its line.
 */
class CornerTableReader {
  readonly attributes: Record<string, unknown> = {};
  readonly blocks: Part[] = [];
  readonly holes: Part[] = [];
  private current: Part | null = null;
  elevationM: License['elevationM'] = null;
  statedArea: StatedArea | null = null;
  datum: Datum | null = null;
  family: 3 | 6 | undefined;
  centralMeridianDeg: number | undefined;
  headerZone: number | undefined;
  private yFirst = false;

  constructor(private readonly file: string) {}

  fail(code: ErrorCode, message: string, line: number): never {
    throw new GreenmineError(code, `${this.file}, line ${line}: ${message}`, { file: this.file, line });
  }

  /** A bad row quoted only once the file has shown it is a corner table; otherwise it is not one, and not quoted. */
  private failRow(message: string, line: number): never {
    if (!this.looksLikeTable()) {
      throw new GreenmineError('LICENSE_FORMAT_UNKNOWN', `${this.file}, line ${line}: not a corner-coordinate table (no corner rows or license headings before this line; expected lines of point, X, Y)`, { file: this.file, line });
    }
    return this.fail('LICENSE_TABLE_ROW', message, line);
  }

  /** True once a line was a corner row or a license heading (so the file is a corner table and bad rows may be quoted). */
  private looksLikeTable(): boolean {
    return this.blocks.length > 0 || this.holes.length > 0 || this.datum !== null || this.family !== undefined || this.statedArea !== null || this.elevationM !== null || this.headerZone !== undefined;
  }

  line(raw: string, lineNo: number): void {
    const line = raw.trim();
    if (!line || /^#/.test(line)) return;
    // Exponent notation (3.384e6, as spreadsheets export) is one number, not two.
    const numbers = [...line.matchAll(/[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g)].map((m) => ({ value: Number(m[0]), index: m.index! }));
    const large = numbers.filter((n) => Math.abs(n.value) >= MIN_COORDINATE);
    if (ELEVATION.test(line) && large.length === 0) this.elevation(line, lineNo);
    else if (AREA.test(line) && !/坐标/.test(line)) this.area(line, lineNo);
    else if (large.length === 0) this.heading(line, lineNo);
    else this.rowOrField(line, lineNo, numbers, large);
  }

  /** A license-number field (its value has digits), else a corner row. */
  private rowOrField(line: string, lineNo: number, numbers: Array<{ value: number; index: number }>, large: Array<{ value: number; index: number }>): void {
    const kv = /^([^:：\d]{1,20})[:：]\s*(.+)$/.exec(line);
    if (kv && /证号|编号|号码|license|permit|代码/i.test(kv[1]!)) {
      this.attributes[kv[1]!.trim()] = kv[2]!.trim();
      return;
    }
    this.cornerRow(line, lineNo, numbers, large);
  }

  private elevation(line: string, lineNo: number): void {
    this.elevationM = parseElevation(line.replace(/^[^:：]*[:：]/, ''));
    if (!this.elevationM) this.fail('LICENSE_TABLE_ELEVATION', `cannot read the elevation range in "${line}" (expected e.g. 开采标高：由+290米至+68米, both between ${ELEVATION_RANGE_M.min} and ${ELEVATION_RANGE_M.max} m)`, lineNo);
    this.attributes.开采标高 = line.replace(/^[^:：]*[:：]\s*/, '');
  }

  private area(line: string, lineNo: number): void {
    this.statedArea = parseStatedArea(line);
    if (!this.statedArea) this.fail('LICENSE_TABLE_AREA', `cannot read the area in "${line}" (expected e.g. 矿区面积：0.7290平方公里, in 平方公里, 平方米, 公顷 or 亩)`, lineNo);
    this.attributes.矿区面积 = this.statedArea!.text;
  }

  /** Headings: datum, zone, central meridian, column order, blocks, excluded areas, or key：value metadata. */
  private heading(line: string, lineNo: number): void {
    if (/西安|xian|1980/i.test(line)) this.datum = 'Xian1980';
    else if (/北京|beijing|1954/i.test(line)) this.datum = 'Beijing1954';
    else if (/2000|cgcs/i.test(line)) this.datum = 'CGCS2000';
    else if (/wgs/i.test(line)) this.datum = 'WGS84';
    if (/3\s*度带|3°带|三度带|3-degree/i.test(line)) this.family = 3;
    if (/6\s*度带|6°带|六度带|6-degree/i.test(line)) this.family = 6;
    const cm = /(?:中央经线|中央子午线|central meridian)\s*[:：]?\s*(\d+(?:\.\d+)?)/i.exec(line);
    if (cm) this.centralMeridianDeg = Number(cm[1]);
    const zone = /第?\s*(\d{2})\s*(?:号)?带(?!宽)/.exec(line);
    if (zone && familyOfZone(Number(zone[1]))) this.headerZone = Number(zone[1]);
    const cols = /\bX\b.*\bY\b|\bY\b.*\bX\b/i.exec(line.replace(/[（(][^)）]*[)）]/g, ''));
    if (cols && !/[:：]/.test(line)) this.yFirst = /\bY\b.*\bX\b/i.test(cols[0]);
    if (EXCLUSION.test(line)) {
      this.current = { name: line, line: lineNo, xs: [], ys: [], lines: [] };
      this.holes.push(this.current);
    } else if (BLOCK_HEADER.test(line)) {
      this.current = { name: line, line: lineNo, xs: [], ys: [], lines: [] };
      this.blocks.push(this.current);
    } else {
      const kv = /^([^:：]{1,20})[:：]\s*(.+)$/.exec(line);
      if (kv) this.attributes[kv[1]!.trim()] = kv[2]!.trim();
    }
  }

  /** A row of corners: point labels and X, Y pairs (two pairs a line in two-column printouts), nothing else. */
  private cornerRow(line: string, lineNo: number, numbers: Array<{ value: number; index: number }>, large: Array<{ value: number; index: number }>): void {
    if (large.length % 2 !== 0) this.failRow(`expected point, X (northing), Y (easting) but found ${large.length} coordinate value(s) in "${line}"`, lineNo);
    if (large.some((n) => !Number.isFinite(n.value) || Math.abs(n.value) > 1e9)) this.failRow(`a coordinate in "${line}" is beyond any Gauss-Krüger or UTM value`, lineNo);
    // Only a point label may stand before each X, Y pair; any other number is a column greenmine would otherwise drop.
    for (const n of numbers) {
      if (Math.abs(n.value) >= MIN_COORDINATE) continue;
      const after = large.findIndex((l) => l.index > n.index);
      if (after === -1 || after % 2 === 1) this.failRow(`an extra column (${n.value}) in "${line}": expected point, X (northing), Y (easting) only`, lineNo);
    }
    if (!this.current) {
      this.current = { name: '第1块', line: lineNo, xs: [], ys: [], lines: [] };
      this.blocks.push(this.current);
    }
    for (let i = 0; i < large.length; i += 2) {
      const first = large[i]!.value;
      const second = large[i + 1]!.value;
      this.current.xs.push(this.yFirst ? second : first);
      this.current.ys.push(this.yFirst ? first : second);
      this.current.lines.push(lineNo);
    }
  }
}

/** A part's corners as a closed ring of easting, northing. */
function ringOf(p: Part): Float64Array {
  const n = p.xs.length;
  const closed = n > 1 && p.xs[0] === p.xs[n - 1] && p.ys[0] === p.ys[n - 1];
  const out = new Float64Array((closed ? n : n + 1) * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = p.ys[i]!;
    out[2 * i + 1] = p.xs[i]!;
  }
  if (!closed) {
    out[2 * n] = p.ys[0]!;
    out[2 * n + 1] = p.xs[0]!;
  }
  return out;
}

/** Blocks with their excluded areas: each in the block that contains it, otherwise in the block it follows (validation reports it). */
function assembleBlocks(t: CornerTableReader): License['blocks'] {
  const licenseBlocks: License['blocks'] = t.blocks.map((b) => ({ name: b.name, rings: [ringOf(b)] }));
  if (licenseBlocks.length === 0) t.fail('LICENSE_TABLE_NO_BLOCK', 'only excluded areas are listed, no block', t.holes[0]!.line);
  for (const hole of t.holes) {
    const r = ringOf(hole);
    let target = licenseBlocks.findIndex((b) => pointInRing(r[0]!, r[1]!, b.rings[0]!) > 0);
    if (target < 0) target = Math.max(0, t.blocks.filter((b) => b.line < hole.line).length - 1);
    licenseBlocks[target]!.rings.push(r);
  }
  return licenseBlocks;
}

/** Read a printed corner table: its lines (CornerTableReader), its CRS (named, or from the zone prefixes), its blocks and attributes. */
export function parseCornerTable(bytes: Uint8Array, file: string, options: CornerTableOptions = {}): License {
  const decoded = decodeText(bytes, file, options.encoding);
  const findings: Finding[] = [];
  const t = new CornerTableReader(file);
  decoded.text.split(/\r\n|\r|\n/).forEach((raw, index) => t.line(raw, index + 1));

  const parts = [...t.blocks, ...t.holes];
  const allX = parts.flatMap((p) => p.xs);
  const allY = parts.flatMap((p) => p.ys);
  if (allX.length === 0) throw new GreenmineError('LICENSE_NO_COORDINATES', `${file}: no corner coordinates found (expected lines of point, X, Y)`, { file });
  for (const p of parts) {
    if (p.xs.length === 0) t.fail('LICENSE_TABLE_EMPTY_PART', `"${p.name}" lists no corners`, p.line);
  }
  checkColumnOrder(allX, allY, parts, file);

  if (t.datum === 'WGS84') t.fail('LICENSE_TABLE_DATUM', 'a WGS 84 corner table needs an explicit CRS (the crs option: `greenmine license --crs`, `licenseOptions.crs` in a manifest)', parts[0]!.line);
  if (!options.crs && t.datum === null) {
    findings.push({ code: 'LICENSE_DATUM_ASSUMED', severity: 'warning', message: 'the table does not name its datum; CGCS2000 (2000国家大地坐标系) assumed', where: { file } });
  }
  const crs = options.crs ?? detectGkCrs(allY, allX, { datum: t.datum ?? 'CGCS2000', zone: options.zone ?? t.headerZone, centralMeridianDeg: t.centralMeridianDeg, family: t.family, source: file });
  const blocks = assembleBlocks(t);
  const mapped = mapAttributes(t.attributes);
  for (const note of mapped.notes) findings.push({ code: 'LICENSE_ATTRIBUTE', severity: 'warning', message: note, where: { file } });
  if (!options.crs && decoded.detected && decoded.encoding !== 'utf-8') {
    findings.push({ code: 'ENCODING_DETECTED', severity: 'warning', message: `the file is not UTF-8; read as ${decoded.encoding}`, where: { file } });
  }
  return {
    id: mapped.licenseNo ?? mapped.name ?? basename(file),
    name: mapped.name,
    licenseNo: mapped.licenseNo,
    holder: mapped.holder,
    blocks,
    elevationM: t.elevationM ?? mapped.elevationM,
    statedArea: t.statedArea ?? mapped.statedArea,
    crs,
    sourceFile: file,
    attributes: t.attributes,
    findings,
  };
}

/** X is the northing and Y the easting: a table with the columns the other way round is named as such. */
function checkColumnOrder(xs: number[], ys: number[], parts: Part[], file: string): void {
  const x = xs[0]!;
  const y = ys[0]!;
  const xLooksPrefixed = zonePrefix(x) !== null && x >= 1e7 && familyOfZone(Math.floor(x / 1e6)) !== null;
  const swapped = (xLooksPrefixed && y < 1e7) || (x < 1e6 && y >= 1e6 && y < 1e7);
  if (swapped) {
    const line = parts.find((p) => p.xs.length)!.lines[0]!;
    throw new GreenmineError(
      'COORD_XY_SWAPPED',
      `${file}, line ${line}: X=${x} and Y=${y} look swapped: on a license X is the northing (7 digits in China) and Y the easting (6 digits, or 8 with the zone prefix). ` + 'Fix the column order, or label the header row "点号, Y, X"',
      { file, line },
    );
  }
}

/** Parse a CRS option that may be an EPSG string or a Crs already. */
export function crsOption(value: string | Crs | undefined, towgs84?: number[]): Crs | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? parseCrs(value, { source: '--crs', towgs84 }) : value;
}
