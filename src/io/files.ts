/**
 * Every file greenmine reads or writes goes through here, so the trust rules
 * hold in one place:
 * - an input is a regular file (not a folder, device, FIFO or `/dev/zero`), read
 *   with a size limit, so memory follows what a file holds, never what it claims;
 * - an output never resolves to an input (same device and inode, or same real
 *   path), lands in an existing folder, and is written atomically: a temporary
 *   file in the same folder, renamed over the target only when complete, so a
 *   failure leaves the old file (or none), never a partial one;
 * - a path taken from a manifest or config stays inside its root (after
 *   symlinks) unless the user allowed otherwise.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, renameSync, type Stats, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { GreenmineError } from '../errors.js';

/** Inputs read whole are refused above this size (bytes); rasters are read block by block and not limited by it. */
export const MAX_INPUT_BYTES = 1 << 30;

function statInput(file: string, what: string): Stats {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GreenmineError('FILE_NOT_FOUND', `${file}: no such ${what}`, { file });
    if (code === 'ELOOP') throw new GreenmineError('FILE_UNREADABLE', `${file}: a symbolic-link loop, not a ${what}`, { file });
    throw new GreenmineError('FILE_UNREADABLE', `${file}: cannot read the ${what} (${code ?? (err as Error).message})`, { file });
  }
  if (st.isDirectory()) throw new GreenmineError('FILE_IS_DIRECTORY', `${file}: a folder, not a ${what}`, { file });
  if (!st.isFile()) throw new GreenmineError('FILE_NOT_REGULAR', `${file}: not a regular file (a device, pipe or socket); give a ${what} on disk`, { file });
  return st;
}

/** Check that `file` is a readable regular file (for readers that open it themselves); its stats. */
export function checkInputFile(file: string, what = 'file'): Stats {
  return statInput(file, what);
}

/** The bytes of an input file: a regular file of at most `maxBytes`; FILE_NOT_FOUND, FILE_IS_DIRECTORY, FILE_NOT_REGULAR, FILE_TOO_LARGE, FILE_UNREADABLE. */
export function readInput(file: string, what = 'file', maxBytes = MAX_INPUT_BYTES): Uint8Array {
  if (file === '') throw new GreenmineError('FILE_NOT_FOUND', `an empty path was given for the ${what}`, {});
  const st = statInput(file, what);
  if (st.size > maxBytes) throw new GreenmineError('FILE_TOO_LARGE', `${file}: ${st.size} bytes, more than the ${maxBytes} a ${what} may have`, { file });
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new GreenmineError('FILE_UNREADABLE', `${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file });
  }
  try {
    // Read what is there now (the file may have changed since stat), never more than the limit.
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new GreenmineError('FILE_TOO_LARGE', `${file}: ${size} bytes, more than the ${maxBytes} a ${what} may have`, { file });
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, out, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === size ? out : out.subarray(0, at);
  } catch (err) {
    if (err instanceof GreenmineError) throw err;
    throw new GreenmineError('FILE_UNREADABLE', `${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file });
  } finally {
    closeSync(fd);
  }
}

/** The file's identity (device and inode) when it exists, else its resolved path. */
function identity(path: string): string {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    // Not there yet: its real path (through its nearest existing folder).
    return `path:${realOrNearest(path)}`;
  }
}

/**
 * Refuse an output path that is (after symlinks and hard links) one of the
 * inputs, a folder, or in a folder that does not exist: OUTPUT_IS_INPUT,
 * OUTPUT_IS_DIRECTORY, OUTPUT_DIR_MISSING.
 */
export function checkOutput(path: string, inputs: ReadonlyArray<string | undefined | null>, what = 'output'): void {
  if (path === '') throw new GreenmineError('OUTPUT_BAD_PATH', `an empty path was given for the ${what}`, {});
  const id = identity(path);
  for (const input of inputs) {
    if (input && identity(input) === id) {
      throw new GreenmineError('OUTPUT_IS_INPUT', `${path}: the ${what} would overwrite the input ${input}; choose another path`, { file: path });
    }
  }
  let st: Stats | null = null;
  try {
    st = statSync(path);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) throw new GreenmineError('OUTPUT_IS_DIRECTORY', `${path}: a folder; the ${what} must be a file path`, { file: path });
  const dir = dirname(resolve(path));
  let dirSt: Stats;
  try {
    dirSt = statSync(dir);
  } catch {
    throw new GreenmineError('OUTPUT_DIR_MISSING', `${path}: the folder ${dir} does not exist; create it first`, { file: path });
  }
  if (!dirSt.isDirectory()) throw new GreenmineError('OUTPUT_DIR_MISSING', `${path}: ${dir} is not a folder`, { file: path });
}

/** A temporary path next to `path` (same folder, so the final rename is atomic). */
export function tempPathFor(path: string): string {
  return `${resolve(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
}

/** Move a finished temporary file over its target; on failure remove it and raise FILE_WRITE. */
export function commitTemp(temp: string, path: string): void {
  try {
    renameSync(temp, path);
  } catch (err) {
    discardTemp(temp);
    throw new GreenmineError('FILE_WRITE', `${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: path });
  }
}

export function discardTemp(temp: string): void {
  try {
    unlinkSync(temp);
  } catch {
    // Already gone.
  }
}

/**
 * Write an output atomically after `checkOutput`: the whole content to a
 * temporary file, then a rename. Nothing is left behind on failure.
 */
export function writeOutput(path: string, data: string | Uint8Array, inputs: ReadonlyArray<string | undefined | null> = [], what = 'output'): void {
  checkOutput(path, inputs, what);
  const temp = tempPathFor(path);
  try {
    writeFileSync(temp, data, { flag: 'wx' });
  } catch (err) {
    discardTemp(temp);
    throw new GreenmineError('FILE_WRITE', `${path}: cannot write the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: path });
  }
  commitTemp(temp, path);
}

/**
 * Several outputs as one set: each written to a temporary file first, then all
 * renamed. A failure before the renames leaves none of them changed.
 */
export function writeOutputSet(files: ReadonlyArray<{ path: string; data: string | Uint8Array }>, inputs: ReadonlyArray<string | undefined | null> = []): void {
  for (const f of files) checkOutput(f.path, inputs);
  const temps: string[] = [];
  try {
    for (const f of files) {
      const temp = tempPathFor(f.path);
      temps.push(temp);
      writeFileSync(temp, f.data, { flag: 'wx' });
    }
  } catch (err) {
    temps.forEach(discardTemp);
    throw new GreenmineError('FILE_WRITE', `${dirname(files[0]!.path)}: cannot write the outputs (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: files[0]!.path });
  }
  files.forEach((f, i) => commitTemp(temps[i]!, f.path));
}

/**
 * `path` (relative to `root` or absolute) resolved, refusing one that leaves
 * `root` after symlinks are followed (PATH_OUTSIDE_ROOT), unless `allowOutside`.
 * A path that does not exist yet is checked by its nearest existing parent.
 */
export function resolveInside(root: string, path: string, source: string, role: string, allowOutside = false): string {
  const full = resolve(root, path);
  if (allowOutside) return full;
  const realRoot = realOrSelf(root);
  const real = realOrNearest(full);
  const rel = relative(realRoot, real);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return full;
  throw new GreenmineError('PATH_OUTSIDE_ROOT', `${source}: ${role} "${path}" resolves outside ${root}; a manifest's files must be inside its folder (allow shared folders with --allow-outside or a "root" entry in the manifest)`, {
    file: source,
    path: role,
  });
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function realOrNearest(p: string): string {
  let cur = resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(cur), ...tail.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return resolve(p);
      tail.push(cur.slice(parent.length).replace(/^[\\/]/, ''));
      cur = parent;
    }
  }
}

/** What identifies a version of an input for staleness checks: size and modification time, or null when absent. */
export interface InputStamp {
  role: string;
  path: string;
  sizeBytes: number | null;
  mtimeMs: number | null;
}

export function stampInput(role: string, path: string): InputStamp {
  try {
    const st = statSync(path);
    return { role, path, sizeBytes: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return { role, path, sizeBytes: null, mtimeMs: null };
  }
}

/** True when every input still has the size and time it had (none added, none removed, none changed). */
export function stampsCurrent(stamps: ReadonlyArray<InputStamp>, now: ReadonlyArray<InputStamp>): boolean {
  if (stamps.length !== now.length) return false;
  return stamps.every((s, i) => {
    const n = now[i]!;
    return s.role === n.role && s.path === n.path && s.sizeBytes === n.sizeBytes && s.mtimeMs === n.mtimeMs;
  });
}
