import { readFileSync } from 'node:fs';
import { GreenmineError } from '../errors.js';

/** The bytes of an input file; a missing or unreadable file is a GreenmineError naming it (FILE_NOT_FOUND, FILE_UNREADABLE). */
export function readInput(file: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GreenmineError('FILE_NOT_FOUND', `${file}: no such ${what}`, { file });
    throw new GreenmineError('FILE_UNREADABLE', `${file}: cannot read the ${what} (${code ?? (err as Error).message})`, { file });
  }
}
