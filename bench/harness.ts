/**
 * A small benchmark harness in the flatbush style: seeded data, warm-up,
 * repetitions, median and min, a sink the optimiser cannot remove, and the
 * process's peak memory. Each benchmark runs its anchor in the same process.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export let sink = 0;

/** Keep a result alive; ±Infinity (a distance beyond the search radius) and NaN count as 1, so the sink stays a finite number. */
export function consume(value: number): void {
  sink += Number.isFinite(value) ? value : 1;
}

/** A Timing from samples already taken (ms). */
export function timing(name: string, samplesMs: number[]): Timing {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { name, medianMs: sorted[Math.floor(sorted.length / 2)]!, minMs: sorted[0]!, runs: sorted.length };
}

/** mulberry32: a seeded generator so every run sees the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Timing {
  name: string;
  medianMs: number;
  minMs: number;
  runs: number;
}

export async function time(name: string, fn: () => unknown, options: { warmup?: number; repeats?: number } = {}): Promise<Timing> {
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { name, medianMs: samples[Math.floor(samples.length / 2)]!, minMs: samples[0]!, runs: repeats };
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function report(title: string, subject: Timing, anchor: Timing, items: number, unit: string): void {
  const perSecond = (t: Timing): string => `${Math.round((items / t.medianMs) * 1000).toLocaleString('en-US')} ${unit}/s`;
  console.log(`\n${title}  (${items.toLocaleString('en-US')} ${unit})`);
  console.log(`  ${subject.name.padEnd(48)} median ${subject.medianMs.toFixed(1).padStart(8)} ms  min ${subject.minMs.toFixed(1).padStart(8)} ms  ${perSecond(subject)}`);
  console.log(`  ${anchor.name.padEnd(48)} median ${anchor.medianMs.toFixed(1).padStart(8)} ms  min ${anchor.minMs.toFixed(1).padStart(8)} ms  ${perSecond(anchor)}`);
  const ratio = subject.medianMs / anchor.medianMs;
  const plain = ratio <= 1 ? `${(1 / ratio).toFixed(1)}× faster than the anchor` : `${ratio.toFixed(2)}× the anchor's time`;
  console.log(`  ratio greenmine / anchor: ${ratio.toFixed(2)} (${plain})   peak RSS so far: ${peakRssMiB().toFixed(0)} MiB`);
}

/** Run a command in its own process: wall time and its peak RSS (from /usr/bin/time when there is one). */
export function childRun(command: string, args: string[]): { ms: number; peakMiB: number | null; stdout: string } {
  const t0 = performance.now();
  const timed = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (timed.error) {
    const plain = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (plain.status !== 0) throw new Error(`${command} failed: ${plain.stderr}`);
    return { ms: performance.now() - t0, peakMiB: null, stdout: plain.stdout };
  }
  const ms = performance.now() - t0;
  if (timed.status !== 0) throw new Error(`${command} failed: ${timed.stderr}`);
  const kib = Number(timed.stderr.trim().split('\n').pop());
  return { ms, peakMiB: Number.isFinite(kib) ? kib / 1024 : null, stdout: timed.stdout };
}
