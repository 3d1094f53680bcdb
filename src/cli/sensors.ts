import { formatWhere, GreenmineError } from '../errors.js';
import { readInput } from '../io/files.js';
import { checkTimeZone, DEFAULT_TIME_ZONE, isoLocal } from '../io/time.js';
import { analyseDust, type DustRule, loadReadings, loadStations, parseRule } from '../sensors/index.js';
import { EXIT_OK, guard, type Io, numberOption, parse, stdinFile, UsageError } from './args.js';

export const DUST_HELP = `Usage: greenmine dust --readings <csv> --stations <csv> [--preset gb16297|gb3095-pm10 | --rule <json>] [--json]

Dust over-limit alarms (R4.1, R5.4): readings CSV (time, station, PM10 / PM2.5 / TSP with the
unit in the header, µg/m³ or mg/m³; Chinese or English headers; a repeated header may switch
units), a station list (station, lon, lat[, role]).

Options:
  --readings <csv>   monitor readings (- reads stdin)
  --stations <csv>   stations with positions
  --preset <name>    gb16297 (TSP 1.0 mg/m³, 1-hour mean; default) or gb3095-pm10 (PM10 150 µg/m³, 24-hour mean)
  --rule <json|file> a rule, inline or a .json file (a local standard): {"name":"…","pollutant":"PM10","window":"rolling"|"calendar","windowMin":60,"limitUgM3":150,"allowedPerDay":0}
  --key <role:lon,lat>  a key position that must have a monitor (repeatable), e.g. "processing plant:119.948,30.579"
  --key-distance <m> how near a monitor must be (default 100)
  --tz <zone>        IANA time zone of readings without one and of the times printed (default
                     Asia/Shanghai); times are printed as ISO 8601 with their offset
  --json             print {"stations", "alarms": [{station, start, end, peak, mean, unit}], "completeness"}
  -q, --quiet        errors only;  -v, --verbose  say more;  --version
  -h, --help         show this help
`;

export async function dustCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      readings: { type: 'string' },
      stations: { type: 'string' },
      preset: { type: 'string' },
      rule: { type: 'string' },
      key: { type: 'string', multiple: true },
      'key-distance': { type: 'string' },
      tz: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(DUST_HELP);
      return EXIT_OK;
    }
    if (!values.readings || !values.stations) throw new UsageError(`dust needs --readings and --stations\n\n${DUST_HELP}`);
    if (values.preset && values.rule) throw new UsageError('--preset and --rule exclude each other');
    let rule: DustRule;
    // A local standard kept as a JSON file is a preset of its own: --rule local-standard.json.
    let ruleText = values.rule;
    if (ruleText !== undefined && /\.json$/i.test(ruleText.trim())) {
      ruleText = new TextDecoder().decode(readInput(ruleText.trim(), 'rule file'));
    }
    try {
      rule = parseRule(ruleText ?? values.preset ?? 'gb16297', values.rule ? `--rule ${values.rule.trim().endsWith('.json') ? values.rule : ''}`.trim() : '--preset');
    } catch (err) {
      if (err instanceof GreenmineError) throw new UsageError(err.message);
      throw err;
    }
    const keyPositions = ((values.key as unknown as string[] | undefined) ?? []).map((k) => {
      const m = /^(.+):\s*([-\d.]+)\s*,\s*([-\d.]+)$/.exec(k);
      if (!m) throw new UsageError(`--key takes role:lon,lat, got "${k}"`);
      const lon = Number(m[2]);
      const lat = Number(m[3]);
      if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) throw new UsageError(`--key takes role:lon,lat with a longitude and latitude in degrees, got "${k}"`);
      return { role: m[1]!.trim(), lon, lat };
    });
    const keyDistanceM = numberOption(values['key-distance'], '--key-distance', 100);
    const timeZone = checkTimeZone(values.tz ?? DEFAULT_TIME_ZONE);
    const { readings, findings } = loadReadings(values.readings === '-' ? stdinFile() : values.readings, timeZone);
    const report = analyseDust(readings, loadStations(values.stations), rule, { keyPositions, keyDistanceM });
    report.findings.unshift(...findings);
    const iso = (s: number): string => isoLocal(s, timeZone);
    const out = {
      rule: report.rule,
      stations: report.stations,
      alarms: report.alarms.map((a) => ({ station: a.station, start: iso(a.start), end: iso(a.end), peak: a.peakUgM3, mean: a.meanUgM3, unit: 'µg/m³', windows: a.windows })),
      completeness: Object.fromEntries(report.stations.map((s) => [s.id, s.completeness])),
      keyPositions: report.keyPositions,
      findings: report.findings,
    };
    if (json) io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    else {
      io.stdout(`${report.rule.name}: ${out.alarms.length} alarm(s)\n`);
      for (const a of out.alarms) io.stdout(`  ${a.station}  ${a.start} → ${a.end}  peak ${a.peak.toFixed(0)} µg/m³, mean ${a.mean.toFixed(0)} µg/m³\n`);
      for (const s of report.stations) io.stdout(`  station ${s.id}${s.role ? ` (${s.role})` : ''}: ${(s.completeness * 100).toFixed(0)} % complete${s.silent ? ' — SILENT' : ''}\n`);
    }
    for (const f of report.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}
