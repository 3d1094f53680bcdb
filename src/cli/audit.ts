import { runAudit, writeAuditOutputs } from '../audit/index.js';
import { formatWhere } from '../errors.js';
import { EXIT_OK, guard, parse, UsageError, type Io } from './args.js';

export const AUDIT_HELP = `Usage: greenmine audit <mine.json> --out <dir> [--json]

Run every measurable check of the action plan on one mine and fill the
remediation form (矿山企业整治提升表). Writes to <dir>:
  report.json       everything, versioned (schema: schemas/mine.schema.json for the manifest)
  report.html       the form, checks, map and on-site checklist (self-contained, prints to A4)
  evidence.geojson  every feature a finding refers to (WGS 84), with its finding ID
  form.csv          the form's columns, UTF-8 with BOM (opens in Excel)

Options:
  --out <dir>   output folder (created if needed; default ./greenmine-report)
  --json        also print report.json on stdout
  -h, --help    show this help

Exit codes: 0 the audit ran (whatever it found), 1 it could not run, 2 bad usage.
`;

export async function auditCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout(AUDIT_HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(`audit takes one manifest (mine.json)\n\n${AUDIT_HELP}`);
    const started = performance.now();
    const report = await runAudit(positionals[0]!);
    const files = writeAuditOutputs(report, values.out ?? 'greenmine-report');
    if (json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const mark = { pass: '✔', fail: '✘', 'not-assessed': '·' } as const;
      io.stdout(`${report.mine.name}: ${report.checks.filter((c) => c.status === 'fail').length} failed, ${report.checks.filter((c) => c.status === 'pass').length} passed, ${report.checks.filter((c) => c.status === 'not-assessed').length} not assessed (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      for (const c of report.checks) io.stdout(`  ${mark[c.status]} ${c.id.padEnd(5)} ${c.title.en}${c.status === 'fail' && c.problem ? ` — ${c.problem.en}` : c.reason ? ` — ${c.reason}` : ''}\n`);
      io.stdout(`report: ${files.html}\n        ${files.json}\n        ${files.geojson}\n        ${files.csv}\n`);
    }
    for (const f of report.findings) io.stderr(`${f.severity} ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}
