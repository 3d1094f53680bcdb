/**
 * `greenmine batch`: many audits, one mine's failure never stopping the rest,
 * with a progress bar, summary.csv / summary.json, `--resume` (skip mines
 * whose report is newer than the manifest and its files) and `--shard i/n`
 * (the i-th of n deterministic slices, so any job runner can spread a province
 * over machines; `greenmine merge` joins the summaries).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { GreenmineError } from '../errors.js';
import { runAudit, type AuditReport } from './audit.js';
import { loadManifest } from './manifest.js';
import { writeAuditOutputs } from './outputs.js';
import { workerExecArgv } from '../io/worker-argv.js';

export const SUMMARY_IDS = ['R1.1', 'R2.1', 'R2.2', 'R2.3', 'R3.1', 'R3.3', 'R4.1', 'R4.2', 'R5.1', 'R5.2', 'R5.3', 'R5.4'];

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
}

/** Manifests under a folder (every mine.json), or listed one per line in a text file; sorted. */
export function findManifests(input: string): string[] {
  if (!existsSync(input)) throw new GreenmineError('FILE_NOT_FOUND', `${input}: no such folder or list`, { file: input });
  if (statSync(input).isFile() && extname(input) !== '.json') {
    return readFileSync(input, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => resolve(dirname(input), l)).sort();
  }
  if (statSync(input).isFile()) return [resolve(input)];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'node_modules' && !name.startsWith('.')) walk(path);
      } else if (name === 'mine.json') out.push(resolve(path));
    }
  };
  walk(input);
  return out.sort();
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

function newestInput(manifestPath: string): number {
  let newest = statSync(manifestPath).mtimeMs;
  try {
    const { manifest, resolve: r } = loadManifest(manifestPath);
    const paths = [manifest.license, ...(manifest.classes ?? []).map((c) => c.path), manifest.dem, manifest.soil?.before, manifest.soil?.after, ...Object.values(manifest.zones ?? {}), ...(manifest.tracks ?? []).map((t) => t.path)];
    for (const p of paths) if (p && existsSync(r(p))) newest = Math.max(newest, statSync(r(p)).mtimeMs);
  } catch {
    return Infinity;
  }
  return newest;
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
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ['manifest', 'mine', 'licenseNo', 'outcome', 'failed', ...SUMMARY_IDS, 'greenRatio', 'exposedSlopes', 'excursions', 'bareOutsideM2', 'report', 'error'];
  const lines = [head.join(',')];
  for (const r of rows) lines.push([r.manifest, r.mine, r.licenseNo, r.outcome, r.failed, ...SUMMARY_IDS.map((id) => r.statuses[id] ?? ''), r.greenRatio, r.exposedSlopes, r.excursions, r.bareOutsideM2, r.report, r.error].map(cell).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export function writeSummary(rows: SummaryRow[], out: string): void {
  mkdirSync(out, { recursive: true });
  const sorted = [...rows].sort((a, b) => a.manifest.localeCompare(b.manifest));
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(sorted, null, 2)}\n`);
  writeFileSync(join(out, 'summary.csv'), summaryCsv(sorted));
}

export interface BatchOptions {
  out: string;
  concurrency?: number;
  /** Run the audits on worker threads (default: when running from the built JavaScript and concurrency > 1). */
  workers?: boolean;
  shard?: [number, number];
  resume?: boolean;
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
  const one = async (manifest: string): Promise<SummaryRow> => {
    const dir = outDirFor(manifest, options.out);
    const reportPath = join(dir, 'report.json');
    if (options.resume && existsSync(reportPath) && statSync(reportPath).mtimeMs >= newestInput(manifest)) {
      try {
        const report = JSON.parse(readFileSync(reportPath, 'utf8')) as AuditReport;
        return { ...summaryOf(manifest, report, reportPath), outcome: 'skipped' };
      } catch {
        // An unreadable old report: audit again.
      }
    }
    try {
      if (pool) return await pool.run(manifest, dir);
      return auditOne(manifest, dir, await runAudit(manifest));
    } catch (err) {
      const message = err instanceof GreenmineError ? `${err.code}: ${err.message}` : `internal error: ${(err as Error).message}`;
      return { manifest, mine: basename(dirname(manifest)), licenseNo: '', outcome: 'failed', error: message, statuses: {}, failed: 0, greenRatio: null, exposedSlopes: null, excursions: null, bareOutsideM2: null, report: '' };
    }
  };
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const manifest = list[next++]!;
      const row = await one(manifest);
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
  writeSummary(rows, options.out);
  return rows;
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
      const w = new Worker(new URL('./batch-worker.js', import.meta.url), { execArgv: workerExecArgv() });
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

  async run(manifest: string, dir: string): Promise<SummaryRow> {
    const w = await this.acquire();
    try {
      return await new Promise<SummaryRow>((resolve, reject) => {
        const onMessage = (m: { row?: SummaryRow; error?: { code: string; message: string } }): void => {
          w.off('message', onMessage);
          w.off('error', onError);
          if (m.row) resolve(m.row);
          else reject(new GreenmineError(m.error?.code ?? 'AUDIT_WORKER', m.error?.message ?? 'worker failed'));
        };
        const onError = (err: Error): void => {
          w.off('message', onMessage);
          reject(err);
        };
        w.on('message', onMessage);
        w.on('error', onError);
        w.postMessage({ manifest, dir });
      });
    } finally {
      this.release(w);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

/** Join the summary.json of several batch outputs (shards) into one. */
export function mergeSummaries(dirs: string[], out: string): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const dir of dirs) {
    const path = join(dir, 'summary.json');
    if (!existsSync(path)) throw new GreenmineError('FILE_NOT_FOUND', `${path}: no summary to merge`, { file: path });
    rows.push(...(JSON.parse(readFileSync(path, 'utf8')) as SummaryRow[]));
  }
  writeSummary(rows, out);
  return rows;
}
