/**
 * A pool of inflate workers for DEFLATE rasters, made on first use and kept
 * for the process (idle workers do not keep it alive).
 *
 * Why not geotiff's own pool or node:zlib's async inflate: both leave the main
 * thread a file read, a promise chain and a copy per block (≈ 40 % of the
 * decode time on two cores), and every decoded block comes back to it. Here a
 * worker reads a run of blocks with one read, inflates them, undoes the
 * predictor and, for blocks wholly inside the caller's zone, returns only
 * their class counts; the main thread handles the blocks on the zone's
 * boundary. Only available from the built JavaScript (a worker needs a .js
 * file); elsewhere `InflatePool.shared()` is null and the reader inflates on
 * the libuv thread pool.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, type Worker } from 'node:worker_threads';
import { GreenmineError } from '../errors.js';
import type { BlockRules } from '../imagery/classify-kernel.js';
import { startWorker } from '../io/worker-argv.js';

export interface InflateJob {
  id: number;
  /** The counting session blocks flagged in `count` are counted into (see `collect`). */
  session: number;
  file: string;
  /** File offset and byte count of each block (float64: BigTIFF offsets pass 2³²). */
  offsets: Float64Array;
  counts: Float64Array;
  /** Decoded rows of the job's blocks (one block row: a last strip may hold fewer). */
  rows: number;
  width: number;
  bits: number;
  /** Samples per pixel, interleaved (1 for one band). */
  samples?: number;
  predictor: number;
  /** Per block: 1 = count its classes into the session instead of returning it (the block lies wholly inside the zone), 0 = return it. */
  count: Uint8Array | null;
  u8: boolean;
  /** Class codes (a lookup table: 1 = listed) whose pixels in a counted block come back as bits (`bits`): the caller labels their patches. */
  keep: Uint8Array | null;
  /**
   * Classify each block as it is inflated (imagery/classify-kernel.ts's BlockClassifier) and return its
   * index codes, a byte per pixel, instead of its samples; a block of no bytes (never written) is a block
   * of samples `fill`.
   */
  classify?: BlockRules;
  fill?: number;
}

export interface InflateResult {
  id: number;
  blocks: Array<ArrayBuffer | null>;
  /** Per counted block holding `keep` classes: their pixels as bits (row by row, 32 columns a word, bit c & 31 of word c >> 5). */
  bits?: Array<ArrayBuffer | null>;
  /** A collected session's counts per class code. */
  counts?: Float64Array | null;
  error?: { block: number; message: string };
}

/**
 * Classify's second pass: whole tiles of its temporary index raster (their bytes one after another from
 * `offset`) to classes through the threshold (bins from `firstGreen` on green), each coded as runs
 * (raster/deflate-runs.ts): the tiles' DEFLATE streams come back.
 */
export interface ClassTilesJob {
  file: string;
  offset: number;
  tiles: number;
  tileBytes: number;
  firstGreen: number;
}

export type PoolMessage = { type: 'job'; job: InflateJob } | { type: 'classes'; id: number; job: ClassTilesJob } | { type: 'collect'; id: number; session: number } | { type: 'close'; file: string };

interface Slot {
  worker: Worker;
  busy: number;
}

export class InflatePool {
  private static instance: InflatePool | null | undefined;
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, { resolve: (r: InflateResult) => void; reject: (e: Error) => void; slot: Slot }>();
  private nextId = 1;
  private nextSession = 1;
  /** Set when a worker failed: every later request is refused with it. */
  private failure: GreenmineError | null = null;

  /**
   * The process's pool, or null where workers cannot run (TypeScript sources under a test runner)
   * or should not: inside a worker thread (a batch worker is already one of a pool of its own).
   */
  static shared(): InflatePool | null {
    if (InflatePool.instance === undefined) {
      InflatePool.instance = import.meta.url.endsWith('.js') && isMainThread ? new InflatePool(Math.max(1, Math.min(availableParallelism(), 8))) : null;
    }
    return InflatePool.instance;
  }

  get size(): number {
    return this.slots.length;
  }

  private constructor(size: number) {
    this.slots = Array.from({ length: size }, () => {
      const worker = startWorker(new URL('./inflate-worker.js', import.meta.url));
      worker.unref();
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (r: InflateResult) => this.settle(slot, r));
      worker.on('error', (err) => this.fail(err));
      // Workers never exit while the process runs: one that does (killed, out of memory) fails the pool,
      // so that no job waits for it.
      worker.on('exit', (code) => this.fail(new Error(`the worker exited (code ${code})`)));
      return slot;
    });
  }

  /** A new counting session (one per class-area computation). */
  session(): number {
    return this.nextSession++;
  }

  /** Run a job on the least busy worker. */
  run(job: Omit<InflateJob, 'id'>): Promise<InflateResult> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    return this.send(slot, (id) => ({ type: 'job', job: { ...job, id } }));
  }

  /** A ClassTilesJob on the least busy worker: the tiles' DEFLATE streams, or an Error with the worker's message. */
  async classTiles(job: ClassTilesJob): Promise<Uint8Array[]> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const r = await this.send(slot, (id) => ({ type: 'classes', id, job }));
    if (r.error) throw new Error(r.error.message);
    return r.blocks.map((b) => new Uint8Array(b!));
  }

  /**
   * The class counts of a session summed over the workers (each answers after
   * the jobs sent to it before), and the session's tables freed; null when no
   * block was counted.
   */
  async collect(session: number): Promise<Float64Array | null> {
    const parts = await Promise.all(this.slots.map((slot) => this.send(slot, (id) => ({ type: 'collect', id, session }))));
    let total: Float64Array | null = null;
    for (const p of parts) {
      if (!p.counts) continue;
      if (!total) total = p.counts;
      else for (let v = 0; v < total.length; v++) total[v] = total[v]! + p.counts[v]!;
    }
    return total;
  }

  private send(slot: Slot, message: (id: number) => PoolMessage): Promise<InflateResult> {
    const id = this.nextId++;
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      // A worker with work keeps the process alive until it answers.
      if (slot.busy++ === 0) slot.worker.ref();
      slot.worker.postMessage(message(id));
    });
  }

  /** Let the workers close their descriptor of `file`. */
  release(file: string): void {
    for (const s of this.slots) s.worker.postMessage({ type: 'close', file } satisfies PoolMessage);
  }

  private settle(slot: Slot, r: InflateResult): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if (--slot.busy === 0) slot.worker.unref();
    w.resolve(r);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    // A worker that died takes its jobs with it, and the process decodes on the main thread's path from
    // now on (a worker that cannot start would fail again).
    if (InflatePool.instance === this) InflatePool.instance = null;
    this.failure = new GreenmineError('RASTER_WORKER', `an inflate worker failed: ${err.message}`);
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    for (const s of this.slots) void s.worker.terminate();
  }
}
