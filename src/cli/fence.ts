import { DEFAULT_THRESHOLDS } from '../audit/options.js';
import { type Finding, formatWhere } from '../errors.js';
import { countOutside, detectEvents, detectWashViolations, type EventOptions, eventsGeoJson, type FenceEvent, FenceIndex, fenceSearchRadiusM } from '../fence/index.js';
import { checkTimeZone, DEFAULT_TIME_ZONE, isoLocal } from '../io/time.js';
import { type License, loadLicenses } from '../license/index.js';
import { loadTracks, TRACK_FORMAT_NAMES, type Track, type TrackFormat } from '../track/index.js';
import { checkOut, EXIT_OK, emit, frameArg, guard, type Io, licenseFiles as licenseArgFiles, numberOption, parse, stdinFile, summaryToStderr, UsageError } from './args.js';

const D = DEFAULT_THRESHOLDS;

export const FENCE_HELP = `Usage: greenmine fence --license <file> --track <file> [options]

Check GPS tracks against mining licenses (电子围栏) and report events:
out-of-bounds excursions, crossings between sparse fixes, pre-warnings,
fixes below the licensed floor, runs outside every license, feed gaps.

Options:
  --license <file|dir>   a license file, or a folder of them (.txt .csv .shp .kml .kmz .geojson .json);
                         repeatable; a file may hold many licenses; - reads stdin
  --track <file>         a track file: GPX, CSV, NMEA or GeoJSON (repeatable; - reads stdin)
  --format <f>           force the track format: ${TRACK_FORMAT_NAMES.join(', ')}
  --frame <f>            track coordinate frame: wgs84 (default), gcj02, bd09 (any case)
  --tz <zone>            IANA time zone for times without one and for the times printed
                         (default Asia/Shanghai); times are ISO 8601 with their offset
  --device <id>          device id for track files that do not name one
  --tolerance <m>        GNSS allowance before a fix counts as outside (default ${D.fenceToleranceM})
  --min-duration <s>     drop excursions shorter than this (default 0)
  --min-fixes <n>        drop excursions with fewer fixes (default ${D.minExcursionFixes})
  --warn <m>             pre-warn inside within this distance of the boundary (default 0: off)
  --max-gap <s>          report feed gaps longer than this (default 0: off)
  --height-offset <m>    added to licensed elevations before comparing with fix heights (default ${D.heightOffsetM})
  --vertical-tolerance <m>  allowance below the licensed floor (default 1)
  --no-segments          do not check the segments between consecutive inside fixes
  --province             report runs inside no license ("outside-all") instead of excursions
  --wash-zones <file>    wash-zone polygons: check every exit from the site for a wash (R4.2)
  --exits <file>         site-exit polygons: only leaving through them counts as an exit
  --min-wash <s>         shortest acceptable wash dwell before an exit (default ${D.minWashS})
  --wash-within <s>      the dwell must fall within this long before the exit (default ${D.washWithinS})
  --geojson <file>       write the events with their fixes as GeoJSON (- for stdout)
  --json                 print {"points","skipped","outside","events":[…]} as JSON
  -q, --quiet            print errors only;  -v, --verbose  say more;  --version
  -h, --help             show this help

Exit codes: 0 done (events are findings, not failures), 1 errors in the data, 2 bad usage.
`;

export async function fenceCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      license: { type: 'string', multiple: true },
      tz: { type: 'string' },
      track: { type: 'string', multiple: true },
      format: { type: 'string' },
      frame: { type: 'string' },
      device: { type: 'string' },
      tolerance: { type: 'string' },
      'min-duration': { type: 'string' },
      'min-fixes': { type: 'string' },
      warn: { type: 'string' },
      'max-gap': { type: 'string' },
      'height-offset': { type: 'string' },
      'vertical-tolerance': { type: 'string' },
      'no-segments': { type: 'boolean' },
      province: { type: 'boolean' },
      'wash-zones': { type: 'string' },
      exits: { type: 'string' },
      'min-wash': { type: 'string' },
      'wash-within': { type: 'string' },
      geojson: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(FENCE_HELP);
      return EXIT_OK;
    }
    const licenseFiles = licenseArgFiles(values.license as unknown as string[] | undefined);
    const trackFiles = ((values.track as unknown as string[] | undefined) ?? []).map((t) => (t === '-' ? stdinFile() : t));
    const timeZone = checkTimeZone(values.tz ?? DEFAULT_TIME_ZONE);
    const data = io;
    if (values.geojson === '-') io = summaryToStderr(io);
    if (licenseFiles.length === 0) throw new UsageError(`fence needs --license <file or folder>\n\n${FENCE_HELP}`);
    if (trackFiles.length === 0) throw new UsageError(`fence needs --track <file>\n\n${FENCE_HELP}`);
    if (values.geojson) checkOut(values.geojson, [...licenseFiles, ...trackFiles, values['wash-zones'], values.exits], '--geojson');
    if (values.format && !(TRACK_FORMAT_NAMES as readonly string[]).includes(values.format)) throw new UsageError(`--format is one of ${TRACK_FORMAT_NAMES.join(', ')}`);
    const options: EventOptions = {
      toleranceM: numberOption(values.tolerance, '--tolerance')!,
      minDurationS: numberOption(values['min-duration'], '--min-duration', 0),
      minFixes: numberOption(values['min-fixes'], '--min-fixes')!,
      warnDistanceM: numberOption(values.warn, '--warn', 0),
      // Off unless asked: the command reports gaps on request; the audit (R5.2) uses the table's default.
      maxGapS: numberOption(values['max-gap'], '--max-gap', 0),
      verticalToleranceM: numberOption(values['vertical-tolerance'], '--vertical-tolerance', 1),
      heightOffsetM: numberOption(values['height-offset'], '--height-offset')!,
      segmentCheck: !values['no-segments'],
      mode: values.province ? 'province' : 'license',
    };
    if (!Number.isFinite(options.heightOffsetM)) throw new UsageError('--height-offset takes a number');
    const frame = frameArg(values.frame);

    const licenses: License[] = [];
    for (const file of licenseFiles) licenses.push(...(await loadLicenses(file)));
    const fence = FenceIndex.build(licenses, { searchRadiusM: fenceSearchRadiusM(options) });
    const floors = licenses.map((l) => l.elevationM?.min ?? NaN);

    if (values.exits && !values['wash-zones']) throw new UsageError('--exits goes with --wash-zones');
    const washZones = values['wash-zones'] ? FenceIndex.build(await loadLicenses(values['wash-zones'])) : null;
    const exitZones = values.exits ? FenceIndex.build(await loadLicenses(values.exits)) : undefined;
    const washOptions = {
      minWashS: numberOption(values['min-wash'], '--min-wash')!,
      withinS: numberOption(values['wash-within'], '--wash-within')!,
      toleranceM: options.toleranceM,
    };

    const findings: Finding[] = [];
    const tracks: Track[] = [];
    let points = 0;
    let skipped = 0;
    for (const file of trackFiles) {
      const set = loadTracks(file, { frame, deviceId: values.device, format: values.format as TrackFormat | undefined, timeZone });
      tracks.push(...set.tracks);
      points += set.tracks.reduce((n, t) => n + t.timeS.length, 0);
      skipped += set.badCount + set.duplicates;
      findings.push(...set.findings);
    }
    const events: Array<FenceEvent & { track: Track }> = [];
    let outside = 0;
    const tolerance = options.toleranceM!;
    for (const track of tracks) {
      for (const e of detectEvents(fence, track, options, floors)) events.push({ ...e, track });
      if (washZones) for (const e of detectWashViolations(fence, washZones, track, washOptions, exitZones)) events.push({ ...e, track });
      outside += countOutside(fence, track, tolerance);
    }
    events.sort((a, b) => a.startS - b.startS || a.device.localeCompare(b.device) || a.type.localeCompare(b.type));
    const iso = (s: number): string => isoLocal(s, timeZone);
    const report = {
      licenses: licenses.length,
      devices: tracks.length,
      points,
      skipped,
      outside,
      events: events.map(({ track: _track, ...e }) => ({
        type: e.type,
        device: e.device,
        licenseId: e.licenseId,
        start: iso(e.startS),
        end: iso(e.endS),
        durationS: e.durationS,
        fixes: e.fixes,
        maxDistanceM: e.maxDistanceM,
        firstBackIndex: e.firstBackIndex,
        ...('washDwellS' in e ? { washDwellS: e.washDwellS } : {}),
      })),
      findings,
    };
    if (values.geojson) emit(data, values.geojson, `${JSON.stringify(eventsGeoJson(events))}\n`, [...licenseFiles, ...trackFiles, values['wash-zones'], values.exits], '--geojson');
    if (json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else {
      io.stdout(`${licenses.length} license(s), ${tracks.length} device(s), ${points} fixes (${skipped} skipped), ${outside} outside by more than ${tolerance} m\n`);
      for (const e of report.events) {
        io.stdout(`  ${e.type.padEnd(13)} ${e.device}  ${e.start} → ${e.end}  ${e.durationS.toFixed(0)} s, ${e.fixes} fixes${e.maxDistanceM === null ? '' : `, ${e.maxDistanceM.toFixed(1)} m`}${e.licenseId ? `  [${e.licenseId}]` : ''}\n`);
      }
      if (report.events.length === 0) io.stdout('  no events\n');
    }
    for (const f of findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}
