import { greenCoveragePasses } from '../audit/checks/R1.1.js';
import { DEFAULT_THRESHOLDS } from '../audit/options.js';
import { formatWhere } from '../errors.js';
import { type License, loadLicenses } from '../license/index.js';
import { type CoverageMode, measureCoverage, schemeFor, schemeFromGroups } from '../raster/index.js';
import { checkOut, EXIT_OK, emit, guard, type Io, loadLicenseArgs, numberOption, parse, summaryToStderr, UsageError } from './args.js';

/** Defaults quoted in the help come from the option table. */
const D = DEFAULT_THRESHOLDS;

export const COVERAGE_HELP = `Usage: greenmine coverage --license <file> --classes <raster.tif> [options]

Green coverage of a mine from a classified land-cover GeoTIFF (R1.1, R2.1, R3.3):
class areas inside the license, the green-coverage ratio green ÷ (green + bare)
against the 100 % target, and bare ground outside the license within a buffer.

Options:
  --license <file|dir>  the license (corner table, .shp, .kml, .kmz, .geojson), or a folder of them
  --classes <tif>       the class raster (default scheme: ESA WorldCover codes)
  --exclude <file>      zones not yet due for greening (e.g. the active working floor), subtracted
  --zones <file>        greenable zones: measure these instead of the whole license
  --scheme <json>       a class scheme {"classes": {"10": {"name", "group": "green"|"bare"|"nongreenable"|"other"}}}
  --green <codes>       override the green codes (e.g. 10,20,30)
  --bare <codes>        override the bare codes (e.g. 60)
  --nongreen <codes>    override the non-greenable codes (e.g. 50,80)
  --mode <m>            fractional (default: exact pixel coverage), centre, all-touched
  --buffer <m>          buffer outside the license for R3.3 (default ${D.bufferM}; 0 = off)
  --crs <crs>           the raster's CRS when its GeoKeys name none
  --nodata <value>      override the raster's nodata value
  --target <ratio>      target green-coverage ratio (default ${D.greenRatio})
  --min-patch <m²>      smallest bare patch reported (default ${D.minPatchM2})
  --max-patches <n>     list at most the n largest patches (default 10000); all are counted
  --geojson <file>      write the bare patches (8-connected, with outlines) as GeoJSON (WGS 84;
                        - for stdout; --patches is the same)
  --json                print the report as JSON
  -h, --help            show this help

Exit codes: 0 measured (pass or fail is in the report), 1 errors in the data, 2 bad usage.
`;

function codes(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (!list.every((n) => Number.isInteger(n) && n >= 0 && n <= 65535)) throw new UsageError(`${name} takes comma-separated class codes, got "${value}"`);
  return list;
}

export async function coverageCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      license: { type: 'string' },
      classes: { type: 'string' },
      exclude: { type: 'string' },
      zones: { type: 'string' },
      scheme: { type: 'string' },
      green: { type: 'string' },
      bare: { type: 'string' },
      nongreen: { type: 'string' },
      mode: { type: 'string' },
      buffer: { type: 'string' },
      crs: { type: 'string' },
      nodata: { type: 'string' },
      target: { type: 'string' },
      'min-patch': { type: 'string' },
      'max-patches': { type: 'string' },
      geojson: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(COVERAGE_HELP);
      return EXIT_OK;
    }
    const data = io;
    if (values.geojson === '-') io = summaryToStderr(io);
    if (!values.license || !values.classes) throw new UsageError(`coverage needs --license and --classes\n\n${COVERAGE_HELP}`);
    const mode = (values.mode ?? 'fractional') as CoverageMode;
    if (!['fractional', 'centre', 'all-touched'].includes(mode)) throw new UsageError('--mode is one of fractional, centre, all-touched');
    const bufferM = numberOption(values.buffer, '--buffer')!;
    const target = numberOption(values.target, '--target')!;
    const nodata = values.nodata === undefined ? undefined : /^[-+]?nan$/i.test(values.nodata) ? NaN : Number(values.nodata);
    if (nodata !== undefined && values.nodata !== undefined && !/nan/i.test(values.nodata) && !Number.isFinite(nodata)) throw new UsageError('--nodata takes a number or nan');
    let scheme = schemeFor(values.classes, values.scheme);
    const groups = { green: codes(values.green, '--green'), bare: codes(values.bare, '--bare'), nongreenable: codes(values.nongreen, '--nongreen') };
    if (groups.green || groups.bare || groups.nongreenable) scheme = schemeFromGroups(scheme, groups);

    const inputs = [values.license, values.classes, values.exclude, values.zones, values.scheme];
    if (values.geojson) checkOut(values.geojson, inputs, '--geojson');
    const licenses = await loadLicenseArgs(values.license);
    const exclude: License[] | undefined = values.exclude ? await loadLicenses(values.exclude) : undefined;
    const greenable: License[] | undefined = values.zones ? await loadLicenses(values.zones) : undefined;
    const minPatchM2 = numberOption(values['min-patch'], '--min-patch')!;
    const maxPatches = numberOption(values['max-patches'], '--max-patches', 10_000);
    const report = await measureCoverage(values.classes, licenses, { mode, scheme, exclude, greenable, bufferM, target, crs: values.crs, nodata, minPatchM2, maxPatches, outlines: values.geojson !== undefined });
    if (values.geojson) {
      const fc = {
        type: 'FeatureCollection',
        features: report.barePatches.map((p) => ({
          type: 'Feature',
          properties: { id: p.id, areaM2: p.areaM2, pixels: p.pixels, centroidLon: p.centroid[0], centroidLat: p.centroid[1] },
          geometry: { type: 'MultiPolygon', coordinates: p.outline },
        })),
      };
      emit(data, values.geojson, `${JSON.stringify(fc)}\n`, inputs, '--geojson');
    }
    // On stdout the patches go without their outlines (those are in --patches).
    // The verdict is the audit's rule (R1.1), kept in the JSON contract.
    const pass = greenCoveragePasses(report.greenRatio, target);
    const printable = { ...report, pass, barePatches: report.barePatches.map(({ outline: _o, outlineRasterCrs: _r, ...rest }) => rest) };
    if (json) io.stdout(`${JSON.stringify(printable, null, 2)}\n`);
    else {
      const m2 = (v: number): string => `${v.toFixed(1)} m²`;
      const a = report.areaM2;
      io.stdout(
        [
          `${report.file}  (${report.crs}, ${report.pixelSizeM.map((v) => v.toFixed(3)).join(' × ')} m pixels, ${report.mode} coverage, scheme ${report.scheme})`,
          `  license      ${m2(report.areaM2.license)}${a.excluded > 0 ? `, excluded ${m2(a.excluded)}` : ''}`,
          `  green        ${m2(a.green)}`,
          `  bare         ${m2(a.bare)}`,
          `  not greenable ${m2(a.nongreenable)}, other ${m2(a.other)}, nodata ${m2(a.nodata)}`,
          `  green ratio  ${report.greenRatio === null ? '—' : `${(report.greenRatio * 100).toFixed(2)} %`} (target ${(report.target * 100).toFixed(0)} %): ${pass === null ? 'not assessed' : pass ? 'PASS' : 'FAIL'}`,
          report.patches !== null
            ? `  bare patches ${report.patches} of at least ${minPatchM2} m²${report.barePatches
                .slice(0, 5)
                .map((p) => `\n    #${p.id} ${p.areaM2.toFixed(0)} m² at ${p.centroid[0].toFixed(6)}, ${p.centroid[1].toFixed(6)}`)
                .join('')}`
            : '',
          report.outsideLicense ? `  outside the license within ${report.outsideLicense.bufferM} m: bare ${m2(report.outsideLicense.bareM2)}, not greenable (built-up, water…) ${m2(report.outsideLicense.nongreenableM2)}` : '',
        ]
          .filter(Boolean)
          .join('\n') + '\n',
      );
    }
    for (const f of report.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}
