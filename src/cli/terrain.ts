import { exposedSlopesPass } from '../audit/checks/R2.2.js';
import { DEFAULT_THRESHOLDS } from '../audit/options.js';
import { formatWhere } from '../errors.js';
import { schemeFor } from '../raster/index.js';
import { exposedSlopes, exposedSlopesInZones, platformSoil, type SlopeAlgorithm, writeSlopeRaster } from '../terrain/index.js';
import { checkOut, EXIT_OK, emit, guard, type Io, loadLicenseArgs, numberOption, parse, summaryToStderr, UsageError } from './args.js';

/** Defaults quoted in the help come from the option table. */
const D = DEFAULT_THRESHOLDS;

export const SLOPES_HELP = `Usage: greenmine slopes --license <file> --classes <raster> --dem <raster> [options]

Exposed final slopes (R2.2, at most 2 per open-pit mine): bare pixels inside the
license with slope ≥ --min-slope, 8-connected; components of at least --min-area
planimetric m² count as exposed final slopes.

Options:
  --license <file|dir> the license, or a folder of licenses
  --classes <tif>      class raster (ESA WorldCover codes unless --scheme)
  --dem <tif>          DEM (same CRS as the classes; any grid)
  --min-slope <deg>    slope threshold (default ${D.minSlopeDeg})
  --min-area <m²>      smallest exposed slope (default ${D.minSlopeAreaM2})
  --limit <n>          allowed exposed final slopes (default ${D.maxExposedSlopes})
  --algorithm <a>      horn (default, as gdaldem) or zevenbergen
  --scheme <json>      class scheme (bare group = bare)
  --slope-zones <file> final-slope polygons (zone mode): each is exposed when its bare
                       area ≥ --min-area or its bare share ≥ --min-share
  --min-share <ratio>  zone mode bare share (default 0.5)
  --merge-gap <m>      join bare steep patches closer than this (default 0: off)
  --geojson <file>     write the exposed slopes' outlines as GeoJSON (WGS 84; - for stdout;
                       --patches is the same)
  --json               print the report as JSON
  -h, --help           show this help
`;

export const SOIL_HELP = `Usage: greenmine soil (--platforms <file> | --license <file>) --before <dem> --after <dem> [options]

Platform soil thickness (R2.3, at least 30 cm): after − before at the pixel
centres inside each platform polygon.

Options:
  --platforms <file>     platform polygons (GeoJSON, shapefile, KML…)
  --license <file>       without a platform layer: the license's flat cells stand in for platforms
  --max-platform-slope <deg>  what counts as flat with --license (default ${D.maxPlatformSlopeDeg})
  --before <tif>         DEM before soil spreading
  --after <tif>          DEM after soil spreading (resampled bilinearly if on another grid)
  --min-thickness <m>    minimum thickness (default ${D.minSoilM})
  --geojson <file>       write the thin places as GeoJSON (WGS 84; - for stdout; --thin is the same)
  --json                 print the report as JSON
  -h, --help             show this help
`;

export const SLOPE_HELP = `Usage: greenmine slope --dem <dem> -o <slope.tif> [--algorithm horn|zevenbergen] [--json]

Write the slope raster (degrees, float32, nodata -9999, DEFLATE) in the DEM's
grid, computed as gdaldem slope -compute_edges does, so the two can be compared.
`;

function algorithmOf(value: string | undefined): SlopeAlgorithm {
  if (value === undefined || value === 'horn') return 'horn';
  if (value === 'zevenbergen' || value === 'zt') return 'zevenbergen';
  throw new UsageError('--algorithm is horn or zevenbergen');
}

export async function slopesCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      license: { type: 'string' },
      classes: { type: 'string' },
      dem: { type: 'string' },
      'min-slope': { type: 'string' },
      'min-area': { type: 'string' },
      limit: { type: 'string' },
      algorithm: { type: 'string' },
      scheme: { type: 'string' },
      'slope-zones': { type: 'string' },
      'min-share': { type: 'string' },
      'merge-gap': { type: 'string' },
      geojson: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(SLOPES_HELP);
      return EXIT_OK;
    }
    const data = io;
    if (values.geojson === '-') io = summaryToStderr(io);
    if (!values.license || !values.classes || !values.dem) throw new UsageError(`slopes needs --license, --classes and --dem\n\n${SLOPES_HELP}`);
    const options = {
      minSlopeDeg: numberOption(values['min-slope'], '--min-slope')!,
      minAreaM2: numberOption(values['min-area'], '--min-area')!,
      limit: numberOption(values.limit, '--limit')!,
      algorithm: algorithmOf(values.algorithm),
      scheme: schemeFor(values.classes, values.scheme),
      mergeGapM: numberOption(values['merge-gap'], '--merge-gap', 0),
    };
    const minShare = numberOption(values['min-share'], '--min-share', 0.5);
    if (values.geojson) checkOut(values.geojson, [values.license, values.classes, values.dem, values['slope-zones'], values.scheme], '--geojson');
    const licenses = await loadLicenseArgs(values.license);
    const report = values['slope-zones']
      ? await exposedSlopesInZones(values.classes, values.dem, await loadLicenseArgs(values['slope-zones'], '--slope-zones'), { ...options, minShare })
      : await exposedSlopes(values.classes, values.dem, licenses, options);
    if (values.geojson) {
      const fc = { type: 'FeatureCollection', features: report.slopes.map(({ outline, ...p }) => ({ type: 'Feature', properties: p, geometry: { type: 'MultiPolygon', coordinates: outline } })) };
      emit(data, values.geojson, `${JSON.stringify(fc)}\n`, [values.license, values.classes, values.dem, values['slope-zones'], values.scheme], '--geojson');
    }
    // The verdict is the audit's rule (R2.2), kept in the JSON contract.
    const pass = exposedSlopesPass(report.count, report.limit);
    const printable = { ...report, pass, slopes: report.slopes.map(({ outline: _o, ...rest }) => rest) };
    if (json) io.stdout(`${JSON.stringify(printable, null, 2)}\n`);
    else {
      io.stdout(`exposed final slopes: ${report.count} (limit ${report.limit}): ${pass ? 'PASS' : 'FAIL'}  (slope ≥ ${report.minSlopeDeg}°, area ≥ ${report.minAreaM2} m², 8-connected)\n`);
      io.stdout(`bare steep ground: ${report.bareSlopeAreaM2.planar.toFixed(1)} m² planimetric, ${report.bareSlopeAreaM2.surface.toFixed(1)} m² surface, in ${report.componentsBeforeAreaFilter} patch(es)\n`);
      for (const s of report.slopes) {
        io.stdout(
          `  #${s.id} ${s.areaM2.toFixed(0)} m² (surface ${s.surfaceAreaM2.toFixed(0)} m²), slope mean ${s.meanSlopeDeg.toFixed(1)}° max ${s.maxSlopeDeg.toFixed(1)}°, ${s.elevationM.min.toFixed(1)}–${s.elevationM.max.toFixed(1)} m, at ${s.centroid[0].toFixed(6)}, ${s.centroid[1].toFixed(6)}\n`,
        );
      }
    }
    for (const f of report.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}

export async function soilCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      platforms: { type: 'string' },
      license: { type: 'string' },
      'max-platform-slope': { type: 'string' },
      before: { type: 'string' },
      after: { type: 'string' },
      'min-thickness': { type: 'string' },
      geojson: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(SOIL_HELP);
      return EXIT_OK;
    }
    const data = io;
    if (values.geojson === '-') io = summaryToStderr(io);
    if ((!values.platforms && !values.license) || !values.before || !values.after) throw new UsageError(`soil needs --platforms (or --license), --before and --after\n\n${SOIL_HELP}`);
    const minThicknessM = numberOption(values['min-thickness'], '--min-thickness')!;
    const maxSlopeDeg = values.platforms ? undefined : numberOption(values['max-platform-slope'], '--max-platform-slope')!;
    if (values.geojson) checkOut(values.geojson, [values.platforms, values.license, values.before, values.after], '--geojson');
    const platforms = await loadLicenseArgs((values.platforms ?? values.license)!, values.platforms ? '--platforms' : '--license');
    const report = await platformSoil(platforms, values.before, values.after, { minThicknessM, maxSlopeDeg });
    if (values.geojson) {
      const fc = {
        type: 'FeatureCollection',
        features: report.platforms.flatMap((p) => p.thinPatches.map((coordinates, k) => ({ type: 'Feature', properties: { platform: p.id, patch: k + 1 }, geometry: { type: 'MultiPolygon', coordinates } }))),
      };
      emit(data, values.geojson, `${JSON.stringify(fc)}\n`, [values.platforms, values.license, values.before, values.after], '--geojson');
    }
    const printable = { ...report, platforms: report.platforms.map(({ thinPatches, ...rest }) => ({ ...rest, thinPatches: thinPatches.length })) };
    if (json) io.stdout(`${JSON.stringify(printable, null, 2)}\n`);
    else {
      io.stdout(`platform soil ≥ ${report.minThicknessM} m: ${report.pass === null ? 'not assessed' : report.pass ? 'PASS' : 'FAIL'}  (${report.resampling})\n`);
      for (const p of report.platforms) {
        io.stdout(
          `  platform ${p.id}: ${p.areaM2.toFixed(0)} m², mean ${p.meanM?.toFixed(3) ?? '—'} m, min ${p.minM?.toFixed(3) ?? '—'} m, 5th percentile ${p.p05M?.toFixed(3) ?? '—'} m, below ${p.fractionBelow === null ? '—' : `${(p.fractionBelow * 100).toFixed(1)} %`}\n`,
        );
      }
    }
    for (const f of report.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}

export async function slopeCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, { dem: { type: 'string' }, out: { type: 'string' }, algorithm: { type: 'string' } });
    if (values.help) {
      io.stdout(SLOPE_HELP);
      return EXIT_OK;
    }
    if (!values.dem || !values.out) throw new UsageError(`slope needs --dem and --out\n\n${SLOPE_HELP}`);
    const algorithm = algorithmOf(values.algorithm);
    const { width, height } = await writeSlopeRaster(values.dem, values.out, { algorithm });
    if (json) io.stdout(`${JSON.stringify({ wrote: values.out, width, height, unit: 'degrees', algorithm }, null, 2)}\n`);
    else io.stdout(`wrote ${values.out} (${width}×${height} slope in degrees)\n`);
    return EXIT_OK;
  });
}
