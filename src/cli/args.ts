/** Shared CLI plumbing: argument parsing on node:util parseArgs, usage errors, exit codes. */
import { mkdtempSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { flagRange } from '../audit/options.js';
import type { OffsetFrame } from '../crs/index.js';
import { formatWhere, GreenmineError } from '../errors.js';
import { checkOutput, MAX_INPUT_BYTES, writeOutput } from '../io/files.js';
import { LICENSE_EXTENSIONS, licenseFilesIn } from '../license/files.js';
import type { License } from '../license/index.js';

export const EXIT_OK = 0;
export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** -v: say more (what was read, timings). */
  verbose?: boolean;
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues<T extends OptionSpec> = { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string };

/**
 * Parse a command's arguments. A negative number after an option that takes a
 * value is that value (`--height-offset -5`, as GDAL's tools read it), and an
 * empty value (`--target=`) is a usage error, never read as 0.
 */
/** Levenshtein distance (small strings: command and flag names). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The candidate nearest to `word` (within a third of its length, at least 2 edits), or null. */
export function nearest(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** Options every command takes (main() acts on -q, -v and --version before the command runs). */
const COMMON = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/**
 * One vocabulary across commands: older spellings still read, as the current ones.
 * `--licenses <folder>` is `--license` (which takes files or folders), `--gcj02`/`--bd09` are
 * `--frame gcj02|bd09`, every side output is `--geojson` (`--patches`, `--thin`, `--uncovered`),
 * `-o` is `--out`.
 */
function canonical(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const [flag, value] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const rename = (to: string): void => {
      out.push(value === undefined ? to : `${to}=${value}`);
    };
    if (flag === '-o' && options.out) rename('--out');
    else if (flag === '--licenses' && options.license && !options.licenses) rename('--license');
    else if ((flag === '--patches' || flag === '--thin' || flag === '--uncovered') && options.geojson && !options[flag.slice(2)]) rename('--geojson');
    else if ((flag === '--gcj02' || flag === '--bd09') && options.frame && !options[flag.slice(2)]) out.push(`--frame=${flag.slice(2)}`);
    else out.push(a);
  }
  // A frame given twice (--gcj02 --frame bd09) cannot both be meant.
  const frames = out.flatMap((a, i) => (a.startsWith('--frame=') ? [a.slice(8).toLowerCase()] : a === '--frame' && out[i + 1] ? [out[i + 1]!.toLowerCase()] : []));
  if (new Set(frames).size > 1) throw new UsageError(`two coordinate frames given (${frames.join(', ')}); give one --frame`);
  return out;
}

export function parse<T extends OptionSpec>(argv: string[], commandOptions: T): { values: ParsedValues<T> & ParsedValues<typeof COMMON>; positionals: string[] } {
  const options: OptionSpec = { ...COMMON, ...commandOptions };
  argv = canonical(argv, options);
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && (/^-(\d|\.\d)/.test(next) || next === '-')) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's message names the flag; add the nearest known one.
    const unknown = /Unknown option '(--?[^']+)'/.exec((err as Error).message)?.[1];
    const known = Object.keys(options).map((k) => `--${k}`);
    const guess = unknown ? nearest(unknown, known) : null;
    throw new UsageError(unknown ? `unknown option ${unknown}${guess ? ` (did you mean ${guess}?)` : ''}; options: ${known.join(' ')}` : (err as Error).message);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string' && v.trim() === '') throw new UsageError(`--${name} needs a value (it was given an empty one)`);
    }
  }
  return { values: parsed.values as ParsedValues<T> & ParsedValues<typeof COMMON>, positionals: parsed.positionals };
}

/** Whether the command line asks for JSON on stdout (read before parsing, so a usage error is JSON too). */
export const wantsJson = (argv: string[]): boolean => argv.includes('--json');

/** License arguments as files: a folder stands for every license file in it (sorted), `-` for stdin. */
export function licenseFiles(args: string | string[] | undefined, flag = '--license'): string[] {
  const out: string[] = [];
  for (const arg of typeof args === 'string' ? [args] : (args ?? [])) {
    if (arg === '-') {
      out.push(stdinFile());
      continue;
    }
    let dir = false;
    try {
      dir = statSync(arg).isDirectory();
    } catch {
      // a missing file: the loader names it
    }
    if (!dir) {
      out.push(arg);
      continue;
    }
    const files = licenseFilesIn(arg);
    if (files.length === 0) throw new UsageError(`${flag} ${arg}: the folder holds no license file (${[...LICENSE_EXTENSIONS].join(' ')})`);
    out.push(...files);
  }
  return out;
}

/** Every license of the files or folders given. */
export async function loadLicenseArgs(args: string | string[] | undefined, flag = '--license'): Promise<License[]> {
  const all: License[] = [];
  const files = licenseFiles(args, flag);
  // The parsers load when a license is given (a third of a second a command without one does not spend).
  if (files.length === 0) return all;
  const { loadLicenses } = await import('../license/index.js');
  for (const file of files) all.push(...(await loadLicenses(file)));
  return all;
}

let stdinCopy: string | null = null;

/**
 * `-` as an input: stdin, read once into a private temporary file (the loaders read files and sniff
 * formats from content when there is no extension); removed when the process exits.
 */
export function stdinFile(): string {
  if (stdinCopy) return stdinCopy;
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-stdin-'));
  const path = join(dir, 'stdin');
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((err as NodeJS.ErrnoException).code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_INPUT_BYTES) throw new UsageError(`-: stdin is larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  writeFileSync(path, Buffer.concat(chunks), { mode: 0o600 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  stdinCopy = path;
  return path;
}

/** `--frame wgs84|gcj02|bd09` (any case; cgcs2000 is wgs84 here: the two differ by centimetres). */
export function frameArg(value: string | undefined): OffsetFrame {
  const v = (value ?? 'wgs84').toLowerCase().replace(/[^a-z0-9]/g, '');
  if (v === 'wgs84' || v === 'cgcs2000') return 'WGS84';
  if (v === 'gcj02') return 'GCJ02';
  if (v === 'bd09') return 'BD09';
  throw new UsageError(`--frame is one of wgs84, gcj02, bd09; got "${value}"`);
}

/** Check an output path before the work (nothing to check for `-`, stdout). */
export function checkOut(path: string, inputs: ReadonlyArray<string | undefined | null>, what: string): void {
  if (path !== '-') checkOutput(path, inputs, what);
}

/** When data goes to stdout (`-`), the command's report goes to stderr, as GDAL's tools do. */
export function summaryToStderr(io: Io): Io {
  return { ...io, stdout: io.stderr };
}

/** Write a single-file output, or to stdout when the path is `-`. */
export function emit(io: Io, path: string, data: string, inputs: ReadonlyArray<string | undefined | null>, what: string): void {
  if (path === '-') io.stdout(data);
  else writeOutput(path, data, inputs, what);
}

/** The numeric options that set no audit threshold (those come from src/audit/options.ts): range, whole number?, unit for messages. */
const NUMBER_OPTIONS: Record<string, { min: number; max: number; integer?: boolean; unit: string; minExclusive?: boolean }> = {
  '--zone': { min: 13, max: 45, integer: true, unit: 'a Gauss-Krüger zone' },
  '--min-duration': { min: 0, max: 31_536_000, unit: 'seconds' },
  '--warn': { min: 0, max: 10_000, unit: 'metres' },
  '--vertical-tolerance': { min: 0, max: 10_000, unit: 'metres' },
  '--merge-gap': { min: 0, max: 1_000, unit: 'metres' },
  '--min-share': { min: 0, max: 1, unit: 'a share from 0 to 1' },
  '--max-patches': { min: 0, max: 10_000_000, integer: true, unit: 'patches' },
  '--cell-m': { min: 0, max: 1_000, unit: 'metres', minExclusive: true },
  '--target-height-m': { min: 0, max: 1_000, unit: 'metres' },
  '--min-uncovered-m2': { min: 0, max: 1e9, unit: 'm²' },
  '--key-distance': { min: 0, max: 100_000, unit: 'metres' },
  '--concurrency': { min: 1, max: 256, integer: true, unit: 'audits at once' },
};

/** A numeric option checked against its row of a table: a number, in range, whole where it must be; absent, the fallback or the threshold's default. */
export function numberOption(value: string | undefined, name: string): number | undefined;
export function numberOption(value: string | undefined, name: string, fallback: number): number;
export function numberOption(value: string | undefined, name: string, fallback?: number): number | undefined {
  const table = flagRange(name);
  if (value === undefined) return fallback ?? table?.default;
  const spec: { min: number; max: number; integer?: boolean; unit: string; minExclusive?: boolean } | undefined = table ?? NUMBER_OPTIONS[name];
  if (!spec) throw new Error(`numberOption: ${name} is not in the table of options`);
  const s = value.trim();
  const n = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : NaN;
  const range = `${spec.minExclusive ? '>' : '≥'} ${spec.min} and ≤ ${spec.max}`;
  if (!Number.isFinite(n)) throw new UsageError(`${name} takes a number (${spec.unit}, ${range}), got "${value}"`);
  if (spec.integer && !Number.isInteger(n)) throw new UsageError(`${name} takes a whole number (${spec.unit}), got "${value}"`);
  if (n < spec.min || n > spec.max || (spec.minExclusive && n === spec.min)) throw new UsageError(`${name} takes ${spec.unit} ${range}, got "${value}"`);
  return n;
}

export function intOption(value: string | undefined, name: string): number | undefined {
  return numberOption(value, name);
}

export function numberList(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (!list.every(Number.isFinite) || (list.length !== 3 && list.length !== 7)) {
    throw new UsageError(`${name} takes 3 or 7 comma-separated numbers (dx,dy,dz[,rx,ry,rz,ds]), got "${value}"`);
  }
  return list;
}

/** Run a command body, mapping greenmine errors to exit 1 and usage errors to exit 2, never a stack trace. */
export async function guard(io: Io, json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`greenmine: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof GreenmineError) {
      if (json) io.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message, where: err.where }, findings: err.findings }, null, 2)}\n`);
      for (const f of err.findings) {
        const where = formatWhere(f.where);
        io.stderr(`error ${f.code}: ${f.message}${where && !f.message.startsWith(where) ? ` [${where}]` : ''}\n`);
      }
      return EXIT_DATA;
    }
    io.stderr(`greenmine: internal error: ${(err as Error)?.message ?? String(err)}\nPlease report this with the command and input that caused it.\n`);
    return EXIT_DATA;
  }
}
