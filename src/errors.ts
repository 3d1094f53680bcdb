/**
 * One error class for everything greenmine refuses. `code` is stable (tests and
 * callers switch on it); `where` says which file, line, feature, block, ring or
 * vertex is at fault. Library errors are caught at the boundary and rethrown as
 * GreenmineError, so users never see a third-party stack trace.
 */
import type { ErrorCode } from './error-codes.js';

export { ERROR_CODES, type ErrorCode, errorCatalogueMarkdown } from './error-codes.js';

export interface Where {
  file?: string;
  line?: number;
  feature?: number;
  block?: number;
  ring?: number;
  vertex?: number;
  path?: string;
}

export interface Finding {
  code: ErrorCode;
  severity: 'error' | 'warning';
  message: string;
  where: Where;
}

export class GreenmineError extends Error {
  readonly code: ErrorCode;
  readonly where: Where;
  /** All error findings when several were collected before giving up (validation). */
  readonly findings: Finding[];

  constructor(code: ErrorCode, message: string, where: Where = {}, findings?: Finding[]) {
    super(message);
    this.name = 'GreenmineError';
    this.code = code;
    this.where = where;
    this.findings = findings ?? [{ code, severity: 'error', message, where }];
  }
}

export function formatWhere(where: Where): string {
  const parts: string[] = [];
  if (where.file) parts.push(where.file);
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.feature !== undefined) parts.push(`feature ${where.feature}`);
  if (where.block !== undefined) parts.push(`block ${where.block}`);
  if (where.ring !== undefined) parts.push(where.ring === 0 ? 'outer ring' : `hole ${where.ring}`);
  if (where.vertex !== undefined) parts.push(`vertex ${where.vertex}`);
  if (where.path) parts.push(where.path);
  return parts.join(', ');
}

/** Run `fn`, turning any non-greenmine exception into a GreenmineError with `code` and `where`. */
export function wrapForeign<T>(code: ErrorCode, what: string, where: Where, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof GreenmineError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new GreenmineError(code, `${what}: ${detail}`, where);
  }
}

export async function wrapForeignAsync<T>(code: ErrorCode, what: string, where: Where, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GreenmineError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new GreenmineError(code, `${what}: ${detail}`, where);
  }
}
