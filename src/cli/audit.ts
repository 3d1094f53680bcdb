import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { findManifests, initManifest, mergeSummaries, reportJson, runAudit, runBatch, shard, writeAuditOutputs, writeReportPdf } from '../audit/index.js';
import { SCHEMA_PATH } from '../audit/manifest.js';
import { formatWhere } from '../errors.js';
import { checkEvidenceFormats, type EvidenceFormat, evidenceFiles } from '../export/index.js';
import { writeOutput } from '../io/files.js';
import { EXIT_DATA, EXIT_OK, guard, type Io, numberOption, parse, processIo, UsageError, wantsJson } from './args.js';

export const AUDIT_HELP = `Usage: greenmine audit <mine.json> [-o <dir>] [--pdf] [--json]

Run every measurable check of the action plan on one mine and fill the
remediation form (矿山企业整治提升表). Writes to <dir>:
  report.json       everything, versioned (schema: schemas/mine.schema.json for the manifest)
  report.html       the form, checks, map and on-site checklist (self-contained, prints to A4)
  evidence.geojson  every feature a finding refers to (WGS 84), with its finding ID
  form.csv          the form's columns, UTF-8 with BOM (opens in Excel)
  report.pdf        with --pdf: report.html printed to A4 by headless Chromium

Options:
  -o, --out <dir>  output folder (created if needed; default ./greenmine-report)
  --pdf         also write report.pdf (needs Chromium, Chrome or Edge, found on the usual
                paths or GREENMINE_CHROMIUM, and a CJK font: on Linux apt install fonts-noto-cjk;
                without one it fails with PDF_CJK_FONT_MISSING rather than print empty boxes)
  --evidence-format <f>  also write the evidence as shp (shapefiles: evidence_polygons.shp,
                evidence_lines.shp, GBK attributes, .prj), kml (Google Earth, Ovital) or gpkg;
                repeatable or comma-separated; evidence.geojson (WGS 84) is always written
  --evidence-crs <crs>   CRS of the shapefiles and GeoPackage (default: the license's CGCS2000
                Gauss-Krüger CRS, else the 3° zone of its centre); KML is WGS 84 by definition
  --json        also print report.json on stdout
  --allow-outside  let the manifest name files outside its folder (by default a
                manifest's paths must resolve, after symbolic links, inside its
                folder or the folder its "root" entry names)
  --tz <zone>   IANA time zone for times without one and for every time written
                (default: the manifest's timeZone, else Asia/Shanghai)
  -q, --quiet   print errors only (no findings)
  -v, --verbose also list every input read
  --version     print greenmine's version
  -h, --help    show this help

Exit codes: 0 the audit ran (whatever it found), 1 it could not run, 2 bad usage.
`;

export async function auditCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values, positionals } = parse(argv, {
      out: { type: 'string' },
      pdf: { type: 'boolean' },
      'evidence-format': { type: 'string', multiple: true },
      'evidence-crs': { type: 'string' },
      'allow-outside': { type: 'boolean' },
      tz: { type: 'string' },
    });
    if (values.help) {
      io.stdout(AUDIT_HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(`audit takes one manifest (mine.json)\n\n${AUDIT_HELP}`);
    const manifest = positionals[0]!;
    if (existsSync(manifest) && statSync(manifest).isDirectory()) {
      const inside = join(manifest, 'mine.json');
      if (!existsSync(inside)) throw new UsageError(`${manifest} is a folder with no mine.json; give the manifest, or write one with: greenmine init ${manifest}`);
      positionals[0] = inside;
    }
    let formats: EvidenceFormat[];
    try {
      formats = checkEvidenceFormats(((values['evidence-format'] as unknown as string[] | undefined) ?? []).flatMap((f) => f.split(',')).map((f) => f.trim().toLowerCase()));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const started = performance.now();
    const report = await runAudit(positionals[0]!, { allowOutside: values['allow-outside'], ...(values.tz ? { timeZone: values.tz } : {}) });
    const outDir = values.out ?? 'greenmine-report';
    const extra = await evidenceFiles(report, outDir, { formats, crs: values['evidence-crs'] });
    const files = writeAuditOutputs(report, outDir, extra);
    const pdf = values.pdf ? await writeReportPdf(files.html, join(dirname(files.html), 'report.pdf'), { inputs: report.inputs.map((i) => i.path) }) : null;
    if (json) io.stdout(reportJson(report));
    else {
      const mark = { pass: '✔', fail: '✘', 'not-assessed': '·' } as const;
      io.stdout(
        `${report.mine.name}: ${report.checks.filter((c) => c.status === 'fail').length} failed, ${report.checks.filter((c) => c.status === 'pass').length} passed, ${report.checks.filter((c) => c.status === 'not-assessed').length} not assessed (${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
      );
      for (const c of report.checks) io.stdout(`  ${mark[c.status]} ${c.id.padEnd(5)} ${c.title.en}${c.status === 'fail' && c.problem ? ` — ${c.problem.en}` : c.reason ? ` — ${c.reason.en}` : ''}\n`);
      io.stdout(`report: ${files.html}\n        ${files.json}\n        ${files.geojson}\n        ${files.csv}\n${pdf ? `        ${pdf.path} (${pdf.pages} pages)\n` : ''}`);
      for (const f of extra.filter((e) => /\.(shp|kml|gpkg)$/.test(e.path))) io.stdout(`        ${f.path}\n`);
      if (io.verbose) for (const i of report.inputs) io.stdout(`  read ${i.role.padEnd(16)} ${i.path} (${i.sizeBytes ?? '?'} bytes)\n`);
    }
    for (const f of report.findings) io.stderr(`${f.severity} ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}

export const BATCH_HELP = `Usage: greenmine batch <folder | list.txt> --out <dir> [--concurrency N] [--shard i/n] [--resume]

Audit many mines: every mine.json under the folder (or each manifest path listed
in list.txt). One mine's failure never stops the batch. Writes each mine's report
to <dir>/<mine folder>-<id>/ and summary.csv (UTF-8 with BOM) and summary.json
(one row per mine: status per requirement, key figures).

Options:
  --out <dir>          output folder
  --concurrency <n>    audits in flight at once (default: the number of cores)
  --shard <i/n>        run only the i-th of n deterministic slices (for job arrays)
  --resume             skip mines whose outputs are complete and whose manifest and
                       every file it names are unchanged (size and time)
  --allow-outside      let manifests name files outside their folders
  --json               print {mines, audited, skipped, failed, rows} on stdout
  -q, --quiet          no progress lines
  -h, --help           show this help

Join the summaries of shards with: greenmine merge <dir> <dir> … --out <dir>
Exit codes: 0 every mine audited or skipped, 1 some mine failed (named on stderr), 2 bad usage.
`;

export const MERGE_HELP = `Usage: greenmine merge <batch-out> [<batch-out> …] --out <dir>

Join the summary.json files of several batch runs (shards) into one summary.csv / summary.json.
--json prints the joined rows on stdout.
`;

export const INIT_HELP = `Usage: greenmine init <dir> [--force]

Scan a folder of mine data and write a manifest draft (<dir>/mine.json, or
mine.draft.json when mine.json exists, unless --force), guessing roles from file
types and names; lists the files it could not place and the roles left empty.
--json prints {wrote, manifest, missingRoles, unassessable, ambiguous, unplaced}.
`;

export async function batchCommand(argv: string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  return guard(io, json, async () => {
    const { values, positionals } = parse(argv, {
      out: { type: 'string' },
      concurrency: { type: 'string' },
      shard: { type: 'string' },
      resume: { type: 'boolean' },
      'allow-outside': { type: 'boolean' },
      tz: { type: 'string' },
    });
    if (values.help) {
      io.stdout(BATCH_HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1 || !values.out) throw new UsageError(`batch takes a folder or list and --out\n\n${BATCH_HELP}`);
    let shardSpec: [number, number] | undefined;
    if (values.shard) {
      const m = /^(\d+)\/(\d+)$/.exec(values.shard);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError('--shard takes i/n with 1 ≤ i ≤ n, e.g. 3/8');
      shardSpec = [Number(m[1]), Number(m[2])];
    }
    const concurrency = numberOption(values.concurrency, '--concurrency');
    const manifests = findManifests(positionals[0]!);
    const started = performance.now();
    const tty = process.stderr.isTTY && io.stderr === processIo.stderr;
    const bar = tty ? new SingleBar({ format: 'mines {bar} {value}/{total} | failed {failed} | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic) : null;
    const total = shardSpec ? shard(manifests, shardSpec[0], shardSpec[1]).length : manifests.length;
    bar?.start(total, 0, { failed: 0 });
    const rows = await runBatch(manifests, {
      out: values.out,
      concurrency,
      shard: shardSpec,
      resume: values.resume,
      allowOutside: values['allow-outside'],
      ...(values.tz ? { timeZone: values.tz } : {}),
      onProgress: (done, all, failed, row) => {
        if (bar) bar.update(done, { failed });
        else io.stderr(`[${done}/${all}] ${row.outcome.padEnd(7)} ${row.mine}${row.licenseNo ? ` (${row.licenseNo})` : ''} ${row.manifest}${row.error ? ` — ${row.error}` : ''}\n`);
      },
    });
    bar?.stop();
    const secs = (performance.now() - started) / 1000;
    const failed = rows.filter((r) => r.outcome === 'failed');
    if (json) {
      io.stdout(
        `${JSON.stringify({ mines: rows.length, audited: rows.filter((r) => r.outcome === 'audited').length, skipped: rows.filter((r) => r.outcome === 'skipped').length, failed: failed.length, seconds: Number(secs.toFixed(2)), summary: join(values.out, 'summary.json'), rows }, null, 2)}\n`,
      );
      return failed.length ? EXIT_DATA : EXIT_OK;
    }
    io.stdout(
      `${rows.length} mine(s): ${rows.filter((r) => r.outcome === 'audited').length} audited, ${rows.filter((r) => r.outcome === 'skipped').length} skipped (current), ${rows.filter((r) => r.outcome === 'failed').length} failed, in ${secs.toFixed(1)} s (${((rows.length / secs) * 60).toFixed(0)} mines/min)\nsummary: ${values.out}/summary.csv\n`,
    );
    // A batch with failed mines is a failed run for scripts and CI: exit 1, naming them.
    if (failed.length) {
      io.stderr(`${failed.length} of ${rows.length} mine(s) failed:\n${failed.map((r) => `  ${r.manifest}: ${r.error}`).join('\n')}\n`);
      return EXIT_DATA;
    }
    return EXIT_OK;
  });
}

export async function mergeCommand(argv: string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  return guard(io, json, async () => {
    const { values, positionals } = parse(argv, { out: { type: 'string' } });
    if (values.help) {
      io.stdout(MERGE_HELP);
      return EXIT_OK;
    }
    if (positionals.length === 0 || !values.out) throw new UsageError(`merge takes batch output folders and --out\n\n${MERGE_HELP}`);
    const rows = mergeSummaries(positionals, values.out);
    if (json) io.stdout(`${JSON.stringify({ mines: rows.length, summary: join(values.out, 'summary.json'), rows }, null, 2)}\n`);
    else io.stdout(`merged ${rows.length} mine(s) into ${values.out}/summary.csv\n`);
    return EXIT_OK;
  });
}

export async function initCommand(argv: string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  return guard(io, json, async () => {
    const { values, positionals } = parse(argv, { force: { type: 'boolean' } });
    if (values.help) {
      io.stdout(INIT_HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1 || !existsSync(positionals[0]!) || !statSync(positionals[0]!).isDirectory()) throw new UsageError(`init takes one folder\n\n${INIT_HELP}`);
    const dir = positionals[0]!;
    const { manifest, unplaced, missingRoles, unassessable, ambiguous, mismatched } = initManifest(dir);
    const target = existsSync(join(dir, 'mine.json')) && !values.force ? join(dir, 'mine.draft.json') : join(dir, 'mine.json');
    // $schema: the installed schema, relative to the draft (editors validate against it offline).
    const schema = relative(dirname(resolve(target)), SCHEMA_PATH)
      .split('\\')
      .join('/');
    writeOutput(target, `${JSON.stringify({ $schema: schema, ...manifest }, null, 2)}\n`);
    if (json) {
      io.stdout(`${JSON.stringify({ wrote: target, manifest: { $schema: schema, ...manifest }, missingRoles, unassessable, ambiguous, mismatched, unplaced }, null, 2)}\n`);
      return EXIT_OK;
    }
    io.stdout(`wrote ${target}\n`);
    if (missingRoles.length) io.stdout(`roles left empty: ${missingRoles.join(', ')}\n`);
    if (unassessable.length) io.stdout(`checks this draft cannot run:\n${unassessable.map((u) => `  ${u.id}: ${u.en}`).join('\n')}\n`);
    if (ambiguous.length) io.stdout(`roles with several candidates (left empty; choose one):\n${ambiguous.map((a) => `  ${a.role}: ${a.files.join(', ')}`).join('\n')}\n`);
    if (mismatched.length) io.stdout(`rasters whose type rules out the role their name suggests (not placed):\n${mismatched.map((m) => `  ${m.file}: named like ${m.role}, but ${m.type}`).join('\n')}\n`);
    if (unplaced.length) io.stdout(`files not placed:\n${unplaced.map((f) => `  ${f}`).join('\n')}\n`);
    return EXIT_OK;
  });
}
