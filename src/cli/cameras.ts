import { cameraCoverage, loadCameras } from '../cameras/index.js';
import { formatWhere } from '../errors.js';
import { checkOut, EXIT_OK, emit, guard, type Io, loadLicenseArgs, numberOption, parse, summaryToStderr, UsageError } from './args.js';

export const CAMERAS_HELP = `Usage: greenmine cameras --license <file> --cameras <file> [--dem <dem>] [--geojson <out.geojson>] [--json]

Video coverage of the mining area (R5.3): the share of the license area some camera sees.
Without a DEM each camera sees its view sector on flat ground; with a DEM, what its line of
sight reaches (a pit wall hides what lies behind it).

Cameras: CSV (id, lon/lat or easting/northing or X/Y, height, heading, hfov, range[, tilt, vfov];
Chinese headers 编号, 经度, 纬度, 安装高度, 朝向, 水平视场角, 监控距离 work too) or GeoJSON points.
Plain X/Y columns are read in whichever order (east/north or the survey's north/east) lands
near the license.

Options:
  --license <file>       license boundary (corner table, shapefile, KML/KMZ, GeoJSON)
  --cameras <file>       cameras (.csv or .geojson)
  --cameras-crs <crs>    CRS of projected camera positions (e.g. EPSG:4549)
  --dem <dem>            DEM for line-of-sight visibility (GeoTIFF, north-up)
  --cell-m <m>           cell size of the flat-ground grid without a DEM (default: ~4 million cells)
  --target-height-m <m>  height a target must show to count as seen (default 0: the ground; 1.7 for a person)
  --geojson <file>       write the uncovered parts as GeoJSON (WGS 84; - for stdout;
                         --uncovered is the same)
  --min-uncovered-m2 <m²> leave smaller uncovered parts out of the GeoJSON (default 0; still counted)
  --json                 print {"coveredShare", "coveredM2", "licenseM2", "cameras": [{"id", "visibleM2"}], …}
  -h, --help             show this help
`;

export async function camerasCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      license: { type: 'string' },
      cameras: { type: 'string' },
      'cameras-crs': { type: 'string' },
      dem: { type: 'string' },
      'cell-m': { type: 'string' },
      'target-height-m': { type: 'string' },
      geojson: { type: 'string' },
      'min-uncovered-m2': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(CAMERAS_HELP);
      return EXIT_OK;
    }
    const data = io;
    if (values.geojson === '-') io = summaryToStderr(io);
    if (!values.license || !values.cameras) throw new UsageError(`cameras needs --license and --cameras\n\n${CAMERAS_HELP}`);
    const cellM = numberOption(values['cell-m'], '--cell-m');
    const targetHeightM = numberOption(values['target-height-m'], '--target-height-m');
    const minUncoveredM2 = numberOption(values['min-uncovered-m2'], '--min-uncovered-m2');
    if (values.geojson) checkOut(values.geojson, [values.license, values.cameras, values.dem], '--geojson');
    const licenses = await loadLicenseArgs(values.license);
    const cameras = loadCameras(values.cameras, values['cameras-crs'] ? { crs: values['cameras-crs'] } : {});
    const report = await cameraCoverage(licenses, cameras, { dem: values.dem, cellM, targetHeightM, minUncoveredM2 });
    if (values.geojson) {
      emit(data, values.geojson, `${JSON.stringify(report.uncovered)}\n`, [values.license, values.cameras, values.dem], '--geojson');
    }
    const { uncovered: _uncovered, ...rest } = report;
    if (json) io.stdout(`${JSON.stringify({ ...rest, uncoveredParts: report.uncovered.features.length }, null, 2)}\n`);
    else {
      io.stdout(`video coverage (${report.mode}): ${(report.coveredShare * 100).toFixed(1)} % of ${report.licenseM2.toFixed(0)} m² (${report.coveredM2.toFixed(0)} m² seen, ${report.uncovered.features.length} uncovered part(s))\n`);
      for (const c of report.cameras) io.stdout(`  camera ${c.id}: ${c.visibleM2.toFixed(0)} m²${c.reachesLicense ? '' : ' (out of range)'}\n`);
    }
    for (const f of report.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}
