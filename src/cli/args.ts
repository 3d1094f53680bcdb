/** Shared CLI plumbing: argument parsing on node:util parseArgs, usage errors, exit codes. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { flagRange } from '../audit/options.js';
import { formatWhere, GreenmineError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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

export function parse<T extends OptionSpec>(argv: string[], options: T): { values: ParsedValues<T>; positionals: string[] } {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
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
  return { values: parsed.values as ParsedValues<T>, positionals: parsed.positionals };
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
