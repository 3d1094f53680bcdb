/** Shared CLI plumbing: argument parsing on node:util parseArgs, usage errors, exit codes. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GreenmineError, formatWhere } from '../errors.js';

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

export function parse<T extends OptionSpec>(argv: string[], options: T): { values: ParsedValues<T>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as ParsedValues<T>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`${name} takes a whole number, got "${value}"`);
  return n;
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
