/**
 * `greenmine batch`: many audits, one mine's failure never stopping the rest,
 * with a progress bar, summary.csv / summary.json, `--resume` (skip mines
 * whose report is newer than the manifest and its files) and `--shard i/n`
 * (the i-th of n deterministic slices, so any job runner can spread a province
 * over machines; `greenmine merge` joins the summaries).
 */

import { type Dirent, mkdirSync, readdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../error-codes.js';
import { GreenmineError } from '../errors.js';
import { csvText } from '../io/csv.js';
import { readInput, stampsCurrent, writeOutputSet } from '../io/files.js';
import { parseJson } from '../io/json.js';
import { startWorker } from '../io/worker-argv.js';
import { type AuditReport, auditInputs, runAudit } from './audit.js';
import { CHECKS } from './checks/index.js';
import { loadManifest, type ManifestOptions } from './manifest.js';
import { writeAuditOutputs } from './outputs.js';

/** The summary's status columns: every check of the registry, in form order. */
export const SUMMARY_IDS: readonly string[] = CHECKS.map((c) => c.id);

export interface SummaryRow {
  manifest: string;
  mine: string;
  licenseNo: string;
  outcome: 'audited' | 'failed' | 'skipped';
  error: string;
  statuses: Record<string, string>;
  failed: number;
  greenRatio: number | null;
  exposedSlopes: number | null;
  excursions: number | null;
  bareOutsideM2: number | null;
  report: string;
  /** The slice this row came from ("i/n"), or "1/1" for a whole batch. */
  shard?: string;
  /** The batch's identity: a hash of the sorted list of every manifest before slicing (shards of one batch share it). */
  batch?: string;
}

/**
 * Manifests under a folder (every mine.json), or listed one per line in a text
 * file; sorted. Symbolic links to folders are not followed (no loops, no
 * folders outside the tree) and a link that leads nowhere is skipped.
 */
export function findManifests(input: string): string[] {
  let st: Stats;
  try {
    st = statSync(input);
  } catch {
    throw new GreenmineError('FILE_NOT_FOUND', `${input}: no such folder or list`, { file: input });
  }
  if (st.isFile() && extname(input) !== '.json') {
    const text = new TextDecoder().decode(readInput(input, 'list of manifests', 64 << 20));
    return text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => resolve(dirname(input), l))
      .sort();
  }
  if (st.isFile()) return [resolve(input)];
  if (!st.isDirectory()) throw new GreenmineError('FILE_NOT_REGULAR', `${input}: neither a folder nor a list of manifests`, { file: input });
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(path);
      } else if (e.name === 'mine.json' && (e.isFile() || (e.isSymbolicLink() && isFileQuiet(path)))) out.push(resolve(path));
    }
  };
  walk(input);
  return out.sort();
}

function isFileQuiet(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The i-th (1-based) of n deterministic slices. */
export function shard<T>(items: T[], i: number, n: number): T[] {
  if (!(Number.isInteger(i) && Number.isInteger(n) && n >= 1 && i >= 1 && i <= n)) throw new GreenmineError('USAGE', `--shard takes i/n with 1 ≤ i ≤ n, got ${i}/${n}`);
  return items.filter((_, k) => k % n === i - 1);
}

function outDirFor(manifest: string, root: string): string {
  // The mine's folder name, made unique by a short hash of its path.
  let h = 0;
  for (const ch of manifest) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return join(root, `${basename(dirname(manifest)).replace(/[^\p{L}\p{N}._-]+/gu, '_')}-${h.toString(36)}`);
}

/** True when the report at `reportPath` was made from exactly the inputs the manifest names now, and its whole set of outputs is there. */
function reportCurrent(manifestPath: string, reportPath: string, manifestOptions: ManifestOptions): AuditReport | null {
  const dir = dirname(reportPath);
  if (!['report.html', 'form.csv', 'evidence.geojson'].every((f) => isFileQuiet(join(dir, f)))) return null;
  try {
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as AuditReport;
    if (!Array.isArray(report.inputs)) return null;
    const now = auditInputs(manifestPath, loadManifest(manifestPath, manifestOptions));
    return stampsCurrent(report.inputs, now) ? report : null;
  } catch {
    return null;
  }
}

function summaryOf(manifest: string, report: AuditReport, reportPath: string): SummaryRow {
  const statuses: Record<string, string> = {};
  for (const id of SUMMARY_IDS) statuses[id] = report.checks.find((c) => c.id === id)?.status ?? 'not-assessed';
  const value = (id: string, key: string): number | null => {
    const v = report.checks.find((c) => c.id === id)?.values[key];
    return typeof v === 'number' ? v : null;
  };
  return {
    manifest,
    mine: report.mine.name,
    licenseNo: report.mine.licenseNo ?? report.mine.licenseNoFromLicense ?? '',
    outcome: 'audited',
    error: '',
    statuses,
    failed: report.checks.filter((c) => c.status === 'fail').length,
    greenRatio: value('R1.1', 'greenRatio'),
    exposedSlopes: value('R2.2', 'count'),
    excursions: value('R5.1', 'excursions'),
    bareOutsideM2: value('R3.3', 'bareOutsideM2'),
    report: reportPath,
  };
}

export function summaryCsv(rows: SummaryRow[]): string {
  const head = ['manifest', 'mine', 'licenseNo', 'outcome', 'failed', ...SUMMARY_IDS, 'greenRatio', 'exposedSlopes', 'excursions', 'bareOutsideM2', 'report', 'error', 'shard', 'batch'];
  return csvText([
    head,
    ...rows.map((r) => [r.manifest, r.mine, r.licenseNo, r.outcome, r.failed, ...SUMMARY_IDS.map((id) => r.statuses[id] ?? ''), r.greenRatio, r.exposedSlopes, r.excursions, r.bareOutsideM2, r.report, r.error, r.shard ?? '', r.batch ?? '']),
  ]);
}

/** summary.json and summary.csv in `out`, written as one set (atomically). */
export function writeSummary(rows: SummaryRow[], out: string, inputs: string[] = []): void {
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new GreenmineError('OUTPUT_DIR_MISSING', `${out}: cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: out });
  }
  const sorted = [...rows].sort((a, b) => (a.manifest < b.manifest ? -1 : a.manifest > b.manifest ? 1 : 0));
  writeOutputSet(
    [
      { path: join(out, 'summary.csv'), data: summaryCsv(sorted) },
      { path: join(out, 'summary.json'), data: `${JSON.stringify(sorted, null, 2)}\n` },
    ],
    inputs,
  );
}

export interface BatchOptions {
  out: string;
  concurrency?: number;
  /** Run the audits on worker threads (default: when running from the built JavaScript and concurrency > 1). */
  workers?: boolean;
  shard?: [number, number];
  resume?: boolean;
  /** Let manifests name files outside their folders (see loadManifest). */
  allowOutside?: boolean;
  /** IANA zone overriding each manifest's timeZone (the CLI's --tz). */
  timeZone?: string;
  /** Called after each mine (for progress). */
  onProgress?: (done: number, total: number, failed: number, row: SummaryRow) => void;
}

/** Audit every manifest, `concurrency` at a time; returns the summary rows (also written to out). */
export async function runBatch(manifests: string[], options: BatchOptions): Promise<SummaryRow[]> {
  const list = options.shard ? shard(manifests, options.shard[0], options.shard[1]) : manifests;
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism());
  const rows: SummaryRow[] = [];
  let next = 0;
  let failed = 0;
  const useWorkers = (options.workers ?? import.meta.url.endsWith('.js')) && concurrency > 1 && list.length > 1;
  const pool = useWorkers ? new AuditPool(Math.min(concurrency, list.length)) : null;
  const manifestOptions: ManifestOptions = { allowOutside: options.allowOutside ?? false, ...(options.timeZone ? { timeZone: options.timeZone } : {}) };
  const identity = { shard: options.shard ? `${options.shard[0]}/${options.shard[1]}` : '1/1', batch: batchId(manifests) };
  const one = async (manifest: string): Promise<SummaryRow> => {
    const dir = outDirFor(manifest, options.out);
    const reportPath = join(dir, 'report.json');
    if (options.resume && isFileQuiet(reportPath)) {
      const report = reportCurrent(manifest, reportPath, manifestOptions);
      if (report) return { ...summaryOf(manifest, report, reportPath), outcome: 'skipped' };
    }
    try {
      if (pool) return await pool.run(manifest, dir, manifestOptions);
      return auditOne(manifest, dir, await runAudit(manifest, manifestOptions));
    } catch (err) {
      const message = err instanceof GreenmineError ? `${err.code}: ${err.message}` : `internal error: ${(err as Error).message}`;
      return { manifest, mine: basename(dirname(manifest)), licenseNo: '', outcome: 'failed', error: message, statuses: {}, failed: 0, greenRatio: null, exposedSlopes: null, excursions: null, bareOutsideM2: null, report: '' };
    }
  };
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const manifest = list[next++]!;
      const row = { ...(await one(manifest)), ...identity };
      if (row.outcome === 'failed') failed++;
      rows.push(row);
      options.onProgress?.(rows.length, list.length, failed, row);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  } finally {
    await pool?.close();
  }
  writeSummary(rows, options.out, manifests);
  return rows;
}

/** A batch's identity: a short hash of its sorted manifest list (the same for every shard of it). */
export function batchId(manifests: string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0;
  for (const m of [...manifests].sort()) {
    for (let i = 0; i < m.length; i++) {
      h1 = Math.imul(h1 ^ m.charCodeAt(i), 16777619) >>> 0;
      h2 = (Math.imul(h2, 31) + m.charCodeAt(i)) >>> 0;
    }
    h1 = Math.imul(h1 ^ 10, 16777619) >>> 0;
  }
  return `${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}-${manifests.length}`;
}

/** Write one mine's outputs and its summary row (in whichever thread ran the audit). */
export function auditOne(manifest: string, dir: string, report: AuditReport): SummaryRow {
  writeAuditOutputs(report, dir);
  return summaryOf(manifest, report, join(dir, 'report.json'));
}

/** Worker threads running audits (src/audit/batch-worker.ts), one audit each at a time. */
class AuditPool {
  private idle: Worker[] = [];
  private waiting: Array<(w: Worker) => void> = [];
  private all: Worker[] = [];

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      // A small young generation: an audit makes ~100 MB of short-lived objects, collected more often in
      // 8 MB than in V8's default; measured on 60 demo audits: peak RSS 483–492 → 410–425 MiB for 3–5 % of speed.
      const w = startWorker(new URL('./batch-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      this.all.push(w);
      this.idle.push(w);
    }
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  async run(manifest: string, dir: string, options: ManifestOptions): Promise<SummaryRow> {
    const w = await this.acquire();
    try {
      return await new Promise<SummaryRow>((resolve, reject) => {
        const onMessage = (m: { row?: SummaryRow; error?: { code: string; message: string } }): void => {
          w.off('message', onMessage);
          w.off('error', onError);
          if (m.row) resolve(m.row);
          else reject(new GreenmineError((m.error?.code as ErrorCode | undefined) ?? 'AUDIT_WORKER', m.error?.message ?? 'worker failed'));
        };
        const onError = (err: Error): void => {
          w.off('message', onMessage);
          reject(err);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.postMessage({ manifest, dir, options });
      });
    } finally {
      this.release(w);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

/**
 * Join the summary.json of several batch outputs (shards) into one. Refuses
 * (MERGE_*) summaries of different batches, a shard given twice or slices of
 * different sizes, a manifest in two shards, and a batch with shards missing;
 * `out` may not hold one of the inputs' summaries.
 */
export function mergeSummaries(dirs: string[], out: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const paths = dirs.map((d) => join(d, 'summary.json'));
  const shards = new Map<string, string>();
  let batch: string | undefined;
  let of: number | undefined;
  for (const path of paths) {
    const text = new TextDecoder().decode(readInput(path, 'batch summary (summary.json)', 256 << 20));
    const list = parseJson(text, path, 'MERGE_BAD_SUMMARY', 'batch summary (summary.json)');
    if (!Array.isArray(list) || !list.every((r) => r && typeof r === 'object' && typeof (r as SummaryRow).manifest === 'string' && typeof (r as SummaryRow).outcome === 'string')) {
      throw new GreenmineError('MERGE_BAD_SUMMARY', `${path}: not a greenmine batch summary (an array of rows with manifest and outcome)`, { file: path });
    }
    const part = list as SummaryRow[];
    const ids = new Set(part.map((r) => `${r.batch ?? ''}|${r.shard ?? ''}`));
    if (ids.size > 1) throw new GreenmineError('MERGE_BAD_SUMMARY', `${path}: rows of several batches or shards in one summary`, { file: path });
    const first = part[0];
    if (!first) continue;
    if (!first.batch || !first.shard) throw new GreenmineError('MERGE_NO_IDENTITY', `${path}: the summary names no batch and shard (written by an older greenmine); run the batch again`, { file: path });
    if (batch !== undefined && first.batch !== batch) throw new GreenmineError('MERGE_OTHER_BATCH', `${path}: a shard of another batch (${first.batch}, not ${batch}): the shards were run over different manifest lists`, { file: path });
    batch = first.batch;
    const n = Number(first.shard.split('/')[1]);
    if (of !== undefined && n !== of) throw new GreenmineError('MERGE_SHARD_MISMATCH', `${path}: shard ${first.shard} does not slice the batch like the others (…/${of})`, { file: path });
    of = n;
    const seen = shards.get(first.shard);
    if (seen) throw new GreenmineError('MERGE_DUPLICATE_SHARD', `${path}: shard ${first.shard} was already given (${seen})`, { file: path });
    shards.set(first.shard, path);
    rows.push(...part);
  }
  const byManifest = new Map<string, SummaryRow>();
  for (const r of rows) {
    if (byManifest.has(r.manifest)) throw new GreenmineError('MERGE_DUPLICATE_MINE', `${r.manifest}: in two summaries`, { file: r.manifest });
    byManifest.set(r.manifest, r);
  }
  if (of !== undefined && shards.size !== of) {
    const missing = Array.from({ length: of }, (_, k) => `${k + 1}/${of}`).filter((s) => !shards.has(s));
    throw new GreenmineError('MERGE_SHARDS_MISSING', `the batch has ${of} shards; missing: ${missing.join(', ')}`, {});
  }
  writeSummary(rows, out, paths);
  return rows;
}
