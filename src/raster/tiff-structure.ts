/**
 * A check of a TIFF's structure before `geotiff` reads it, so a hostile or
 * damaged file gets a coded error instead of a hang or a header-sized
 * allocation: the IFD chain is walked with every offset inside the file and no
 * IFD visited twice (geotiff loops forever on a chain that points back), and
 * every tag's values must lie inside the file (a count of 10⁹ in a 300-byte
 * file is refused before anything is allocated for it). Reads only the
 * directories themselves: a few hundred bytes per IFD.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ErrorCode } from '../error-codes.js';
import { GreenmineError } from '../errors.js';

/** More images than this in one file is not a GeoTIFF greenmine reads (COGs have a dozen). */
const MAX_IFDS = 1024;
/** Entries in one IFD (TIFF defines a few dozen tags; GDAL writes ~25). */
const MAX_ENTRIES = 4096;

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

export interface TiffStructure {
  bigTiff: boolean;
  littleEndian: boolean;
  fileBytes: number;
  /** File offset of each IFD, in chain order. */
  ifdOffsets: number[];
}

export function scanTiffStructure(file: string): TiffStructure {
  const fd = openSync(file, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const bad = (message: string, code: ErrorCode = 'RASTER_DAMAGED'): never => {
      throw new GreenmineError(code, `${file}: ${message}`, { file });
    };
    const read = (offset: number, length: number): Buffer => {
      if (offset < 0 || offset + length > fileBytes) bad(`the TIFF is truncated or damaged (a directory at byte ${offset} lies past the end of the ${fileBytes}-byte file)`);
      const b = Buffer.alloc(length);
      readSync(fd, b, 0, length, offset);
      return b;
    };
    if (fileBytes < 8) bad(`${fileBytes} bytes: too short to be a TIFF`, 'RASTER_UNREADABLE');
    const head = read(0, Math.min(16, fileBytes));
    const order = head.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') bad('not a TIFF (no II or MM byte-order mark)', 'RASTER_UNREADABLE');
    const le = order === 'II';
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number): number => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const magic = u16(head, 2);
    if (magic !== 42 && magic !== 43) bad(`not a TIFF (version ${magic}, expected 42 or BigTIFF 43)`, 'RASTER_UNREADABLE');
    const big = magic === 43;
    if (big && fileBytes < 16) bad('too short to be a BigTIFF', 'RASTER_UNREADABLE');
    let next = big ? u64(head, 8) : u32(head, 4);
    const seen = new Set<number>();
    const ifdOffsets: number[] = [];
    const entrySize = big ? 20 : 12;
    const inline = big ? 8 : 4;
    while (next !== 0) {
      if (seen.has(next)) bad(`the chain of image directories loops back to byte ${next}; the file is damaged`);
      if (ifdOffsets.length >= MAX_IFDS) bad(`more than ${MAX_IFDS} image directories`);
      seen.add(next);
      ifdOffsets.push(next);
      const countBytes = big ? 8 : 2;
      const c = read(next, countBytes);
      const entries = big ? u64(c, 0) : u16(c, 0);
      if (entries === 0 || entries > MAX_ENTRIES) bad(`an image directory at byte ${next} declares ${entries} entries`);
      const body = read(next + countBytes, entries * entrySize + (big ? 8 : 4));
      for (let k = 0; k < entries; k++) {
        const o = k * entrySize;
        const tag = u16(body, o);
        const type = u16(body, o + 2);
        const count = big ? u64(body, o + 4) : u32(body, o + 4);
        const size = TYPE_SIZE[type];
        if (size === undefined) continue; // Unknown types are skipped by readers too.
        const bytes = count * size;
        if (bytes > inline) {
          const at = big ? u64(body, o + 12) : u32(body, o + 8);
          if (!(at + bytes <= fileBytes)) bad(`tag ${tag} declares ${count} values (${bytes} bytes) past the end of the ${fileBytes}-byte file; the file is truncated or damaged`);
        }
      }
      next = big ? u64(body, entries * entrySize) : u32(body, entries * entrySize);
    }
    if (ifdOffsets.length === 0) bad('no image directory');
    return { bigTiff: big, littleEndian: le, fileBytes, ifdOffsets };
  } finally {
    closeSync(fd);
  }
}

/**
 * The sample type of a TIFF's first image from its directory alone (BitsPerSample, SampleFormat):
 * `init` tells a class raster (small integers) from a DEM (floats or 16-bit and wider) with it.
 * Null when the file is not a readable TIFF.
 */
export function tiffSampleType(file: string): { bits: number; format: 'uint' | 'int' | 'float' } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(16);
    if (readSync(fd, head, 0, 16, 0) < 8) return null;
    const le = head.toString('latin1', 0, 2) === 'II';
    if (!le && head.toString('latin1', 0, 2) !== 'MM') return null;
    const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const big = u16(head, 2) === 43;
    if (!big && u16(head, 2) !== 42) return null;
    const ifd = big ? Number(le ? head.readBigUInt64LE(8) : head.readBigUInt64BE(8)) : u32(head, 4);
    const countBytes = big ? 8 : 2;
    const entryBytes = big ? 20 : 12;
    const nb = Buffer.alloc(countBytes);
    readSync(fd, nb, 0, countBytes, ifd);
    const n = Math.min(big ? Number(le ? nb.readBigUInt64LE(0) : nb.readBigUInt64BE(0)) : u16(nb, 0), MAX_ENTRIES);
    const entries = Buffer.alloc(n * entryBytes);
    readSync(fd, entries, 0, entries.length, ifd + countBytes);
    let bits = 1;
    let format = 1;
    for (let i = 0; i < n; i++) {
      const o = i * entryBytes;
      const tag = u16(entries, o);
      // First value, inline (SHORT): enough for one sample type shared by all bands.
      const value = u16(entries, o + (big ? 12 : 8));
      if (tag === 258) bits = value;
      else if (tag === 339) format = value;
    }
    return { bits, format: format === 3 ? 'float' : format === 2 ? 'int' : 'uint' };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
