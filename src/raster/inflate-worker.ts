/**
 * An inflate worker (see inflate-pool.ts): reads the DEFLATE blocks of a job
 * straight from the file, inflates them, undoes the predictor, and either
 * returns the decoded blocks or, for blocks the caller marked as lying wholly
 * inside its zone, only counts their classes (kept per session until the
 * caller collects them), so those blocks never travel back.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { inflateSync } from 'node:zlib';
import { BlockClassifier, ClassMapper } from '../imagery/classify-kernel.js';
import { BlockCounts } from './counts.js';
import { deflateRuns } from './deflate-runs.js';
import type { ClassTilesJob, InflateJob, InflateResult, PoolMessage } from './inflate-pool.js';
import { unpredict } from './predictor.js';

const files = new Map<string, number>();
const sessions = new Map<number, BlockCounts>();
let scratch = Buffer.alloc(1 << 20);
/** The classifier of the last job that classified, by its rules. */
let classifier: { key: string; c: BlockClassifier } | null = null;

function classifierFor(job: InflateJob): BlockClassifier {
  const key = JSON.stringify(job.classify);
  if (classifier?.key !== key) {
    const c = BlockClassifier.create(job.classify!);
    if (!c) throw new Error('no WebAssembly memory for the classifier in an inflate worker');
    classifier = { key, c };
  }
  return classifier.c;
}

function fd(file: string): number {
  let d = files.get(file);
  if (d === undefined) {
    d = openSync(file, 'r');
    files.set(file, d);
  }
  return d;
}

/** Read `length` bytes at `position` into the scratch buffer (grown when needed). */
function read(file: string, position: number, length: number): Buffer {
  if (scratch.length < length) scratch = Buffer.alloc(Math.max(length, scratch.length * 2));
  let done = 0;
  while (done < length) {
    const n = readSync(fd(file), scratch, done, length - done, position + done);
    if (n === 0) throw new Error(`the file ends at byte ${position + done}, inside a block that should end at byte ${position + length}`);
    done += n;
  }
  return scratch.subarray(0, length);
}

/** The block's pixels listed in the lookup table as bits (32 columns a word, rows apart), or null when none is. */
function bitsOf(values: Uint8Array | Uint16Array, width: number, rows: number, lut: Uint8Array): ArrayBuffer | null {
  const perRow = (width + 31) >>> 5;
  let bits: Uint32Array | null = null;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let c = 0; c < width; c++) {
      if (lut[values[base + c]!] === 0) continue;
      bits ??= new Uint32Array(perRow * rows);
      bits[r * perRow + (c >>> 5)]! |= 1 << (c & 31);
    }
  }
  return bits ? (bits.buffer as ArrayBuffer) : null;
}

function run(job: InflateJob): InflateResult {
  const n = job.offsets.length;
  const blocks: Array<ArrayBuffer | null> = new Array(n).fill(null);
  const bits: Array<ArrayBuffer | null> | undefined = job.keep ? new Array(n).fill(null) : undefined;
  let counts: BlockCounts | null = null;
  if (job.count) {
    counts = sessions.get(job.session) ?? new BlockCounts(job.u8);
    sessions.set(job.session, counts);
  }
  // One read for the whole run of blocks when they lie together in the file (as GDAL writes them).
  let lo = Infinity,
    hi = 0,
    sum = 0;
  for (let i = 0; i < n; i++) {
    if (job.counts[i] === 0) continue;
    lo = Math.min(lo, job.offsets[i]!);
    hi = Math.max(hi, job.offsets[i]! + job.counts[i]!);
    sum += job.counts[i]!;
  }
  let i = 0;
  try {
    const span = sum > 0 && hi - lo <= 2 * sum + (1 << 16) ? read(job.file, lo, hi - lo) : null;
    const expected = job.width * job.rows * (job.samples ?? 1) * (job.bits / 8);
    for (; i < n; i++) {
      let data: ArrayBufferLike;
      if (job.classify && job.counts[i] === 0) {
        // A block never written (only asked for when classifying): its samples are `fill`.
        data = (job.bits === 8 ? new Uint8Array(expected) : new Uint16Array(expected / 2)).fill(job.fill ?? 0).buffer;
      } else {
        const bytes = span ? span.subarray(job.offsets[i]! - lo, job.offsets[i]! - lo + job.counts[i]!) : read(job.file, job.offsets[i]!, job.counts[i]!);
        const out = inflateSync(bytes, { chunkSize: Math.max(64, expected) });
        data = out.byteOffset === 0 && out.buffer.byteLength === out.byteLength ? out.buffer : out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
        if (data.byteLength < expected) throw new Error(`decodes to ${data.byteLength} bytes, ${expected} expected`);
        if (job.predictor !== 1) data = unpredict(data, job.predictor, job.width, job.rows, job.bits, job.samples ?? 1);
      }
      if (job.classify) {
        // Its index codes in place of its samples.
        blocks[i] = classifierFor(job).classify(new Uint8Array(data, 0, expected), job.width * job.rows).buffer as ArrayBuffer;
        continue;
      }
      const values = job.u8 ? new Uint8Array(data, 0, expected) : new Uint16Array(data, 0, expected / 2);
      if (counts && job.count![i]) {
        counts.count(values);
        if (bits) bits[i] = bitsOf(values, job.width, job.rows, job.keep!);
      } else blocks[i] = data as ArrayBuffer;
    }
  } catch (err) {
    return { id: job.id, blocks: [], error: { block: Math.min(i, n - 1), message: (err as Error).message } };
  }
  return { id: job.id, blocks, bits };
}

let mapper: ClassMapper | null = null;

/** Classify's second pass (ClassTilesJob): the tiles read, mapped to classes, each coded as runs. */
function classTiles(id: number, job: ClassTilesJob): InflateResult {
  try {
    const codes = read(job.file, job.offset, job.tiles * job.tileBytes);
    mapper ??= new ClassMapper();
    const classes = mapper.map(codes, job.firstGreen);
    const blocks: ArrayBuffer[] = [];
    for (let t = 0; t < job.tiles; t++) {
      const coded = deflateRuns(classes.subarray(t * job.tileBytes, (t + 1) * job.tileBytes));
      blocks.push(coded.byteOffset === 0 && coded.byteLength === coded.buffer.byteLength ? (coded.buffer as ArrayBuffer) : (coded.slice().buffer as ArrayBuffer));
    }
    return { id, blocks };
  } catch (err) {
    return { id, blocks: [], error: { block: 0, message: (err as Error).message } };
  }
}

parentPort!.on('message', (m: PoolMessage) => {
  if (m.type === 'close') {
    const d = files.get(m.file);
    if (d !== undefined) closeSync(d);
    files.delete(m.file);
  } else if (m.type === 'classes') {
    const result = classTiles(m.id, m.job);
    parentPort!.postMessage(result, result.blocks as ArrayBuffer[]);
  } else if (m.type === 'collect') {
    const counts = sessions.get(m.session);
    sessions.delete(m.session);
    const result = counts ? counts.take() : null;
    parentPort!.postMessage({ id: m.id, blocks: [], counts: result }, result ? [result.buffer as ArrayBuffer] : []);
  } else {
    const result = run(m.job);
    parentPort!.postMessage(
      result,
      [...result.blocks, ...(result.bits ?? [])].filter((b): b is ArrayBuffer => b !== null),
    );
  }
});
