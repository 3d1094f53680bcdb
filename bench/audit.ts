/**
 * A province of N small mines (each a manifest over the demo mine's data) audited with
 * the batch runner, against the same audits one at a time; plus one demo audit alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findManifests, runAudit, runBatch } from '../src/audit/index.js';
import { childRun, consume, peakRssMiB, report, time } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** N manifests over the demo mine's data, each in its own folder of a new temporary folder. */
export function province(count: number): string {
  const demoPath = join(ROOT, 'fixtures/demo-mine/mine.json');
  const demo = JSON.parse(readFileSync(demoPath, 'utf8'));
  const abs = (p: string): string => resolve(dirname(demoPath), p);
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-bench-province-'));
  for (let i = 0; i < count; i++) {
    const mineDir = join(dir, `mine-${String(i).padStart(4, '0')}`);
    mkdirSync(mineDir);
    writeFileSync(
      join(mineDir, 'mine.json'),
      JSON.stringify({
        ...demo,
        mine: { ...demo.mine, name: `矿山${i}` },
        license: abs(demo.license),
        classes: demo.classes.map((c: { path: string }) => ({ ...c, path: abs(c.path) })),
        dem: abs(demo.dem),
        soil: { before: abs(demo.soil.before), after: abs(demo.soil.after) },
        zones: Object.fromEntries(Object.entries(demo.zones as Record<string, string>).map(([k, v]) => [k, abs(v)])),
        tracks: demo.tracks.map((t: { path: string }) => ({ ...t, path: abs(t.path) })),
        sensors: { ...demo.sensors, readings: abs(demo.sensors.readings), stations: abs(demo.sensors.stations) },
        cameras: { ...demo.cameras, path: abs(demo.cameras.path) },
        // The shared data lives in the repository's fixtures: the manifests may reach it.
        root: join(ROOT, 'fixtures'),
      }),
    );
  }
  return dir;
}

export async function benchAudit(count: number): Promise<void> {
  const single = await time(
    'one audit of the demo mine',
    async () => {
      const report = await runAudit(join(ROOT, 'fixtures/demo-mine/mine.json'));
      // What users run: every check assessed, or the figure measures less than an audit.
      const skipped = report.checks.filter((c) => c.status === 'not-assessed');
      if (skipped.length) throw new Error(`audit benchmark: ${skipped.map((c) => `${c.id} (${c.reason})`).join(', ')} not assessed`);
      consume(report.checks.length);
    },
    { repeats: 3, warmup: 1 },
  );
  console.log(`\nOne audit of the demo mine: median ${single.medianMs.toFixed(0)} ms`);
  const dir = province(count);
  const manifests = findManifests(dir);
  const out = join(dir, 'out');
  const batch = await time(
    `greenmine batch (worker threads, one per core)`,
    async () => {
      rmSync(out, { recursive: true, force: true });
      const rows = await runBatch(manifests, { out });
      // The worker-thread path runs only from the built JavaScript: make its breakage loud here.
      const failed = rows.filter((r) => r.outcome !== 'audited');
      if (failed.length) throw new Error(`batch benchmark: ${failed.length} mine(s) not audited: ${failed[0]!.error}`);
      const partial = rows.filter((r) => Object.values(r.statuses).includes('not-assessed'));
      if (partial.length)
        throw new Error(
          `batch benchmark: ${partial.length} mine(s) with checks not assessed (${Object.entries(partial[0]!.statuses)
            .filter(([, v]) => v === 'not-assessed')
            .map(([k]) => k)
            .join(', ')})`,
        );
      consume(rows.length);
    },
    { repeats: 1, warmup: 0 },
  );
  const sequential = await time(
    'anchor: the same audits one at a time',
    async () => {
      rmSync(out, { recursive: true, force: true });
      consume((await runBatch(manifests, { out, concurrency: 1 })).length);
    },
    { repeats: 1, warmup: 0 },
  );
  report(`Province of ${count} mines`, batch, sequential, count, 'mines');
  console.log(`  ${((count / batch.medianMs) * 60000).toFixed(0)} mines per minute in this process; peak RSS ${peakRssMiB().toFixed(0)} MiB (both runs)`);
  // What users run: `greenmine batch` in its own process, its defaults, timed and its peak memory read by /usr/bin/time.
  rmSync(out, { recursive: true, force: true });
  const cli = childRun(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'batch', dir, '--out', out, '--json', '-q']);
  const summary = JSON.parse(cli.stdout) as { audited: number; rows: Array<{ statuses: Record<string, string> }> };
  if (summary.audited !== count || summary.rows.some((r) => Object.values(r.statuses).includes('not-assessed'))) throw new Error('audit benchmark: the CLI batch left mines unaudited or checks not assessed');
  console.log(
    `  \`greenmine batch\` (the CLI, its own process): ${(cli.ms / 1000).toFixed(1)} s, ${((count / cli.ms) * 60000).toFixed(0)} mines per minute, peak RSS ${cli.peakMiB === null ? 'unknown (no /usr/bin/time)' : `${cli.peakMiB.toFixed(0)} MiB`}`,
  );
  rmSync(dir, { recursive: true, force: true });
}
