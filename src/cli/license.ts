import { parseCrs } from '../crs/index.js';
import { formatWhere } from '../errors.js';
import { type LicenseFormat, type LicenseSummary, licensesToGeoJson, loadLicenses, summarizeLicense } from '../license/index.js';
import { checkOut, EXIT_OK, emit, frameArg, guard, type Io, intOption, numberList, parse, stdinFile, summaryToStderr, UsageError } from './args.js';

export const LICENSE_HELP = `Usage: greenmine license <file | -> [options]

Read a mining license (采矿许可证 矿区范围), validate it and measure its area.
<file> is a printed corner table (.txt/.csv: point, X northing, Y easting),
a shapefile (.shp with .dbf/.prj/.cpg), KML, KMZ or GeoJSON.

Options:
  --crs <crs>         CRS of the coordinates (EPSG:n, proj4 or WKT), overriding the file
  --zone <n>          Gauss-Krüger zone of a prefix-free corner table (3°: 25–45, 6°: 13–23)
  --encoding <enc>    text encoding of a corner table or shapefile attributes (utf-8, gbk)
  --frame <f>         KML/KMZ/GeoJSON coordinate frame: wgs84 (default), gcj02 (AMap,
                      Tencent), bd09 (Baidu); --gcj02 and --bd09 still read
  --towgs84 <7 nums>  datum shift for Xian 1980 / Beijing 1954 data (dx,dy,dz,rx,ry,rz,ds)
  --format <f>        force the format: corners, shapefile, kml, kmz, geojson
  --to <crs>          CRS of the GeoJSON written with --out (default EPSG:4326)
  -o, --out <file>    write the license(s) as GeoJSON to this file (- for stdout; --geojson is the same)
  --json              print the summary as JSON (one object, or an array for several licenses)
  -q, --quiet         errors only;  -v, --verbose  say more;  --version
  -h, --help          show this help

Exit codes: 0 loaded (warnings allowed), 1 errors in the data, 2 bad usage.
`;

const FORMATS: LicenseFormat[] = ['corners', 'shapefile', 'kml', 'kmz', 'geojson'];

export async function licenseCommand(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  return guard(io, json, async () => {
    const { values, positionals } = parse(argv, {
      crs: { type: 'string' },
      zone: { type: 'string' },
      encoding: { type: 'string' },
      frame: { type: 'string' },
      geojson: { type: 'string' },
      towgs84: { type: 'string' },
      format: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(LICENSE_HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(`license takes one file, got ${positionals.length}\n\n${LICENSE_HELP}`);
    if (values.geojson && values.out && values.geojson !== values.out) throw new UsageError('--geojson and --out name the same output (the GeoJSON); give one');
    const out = values.geojson ?? values.out;
    const file = positionals[0] === '-' ? stdinFile() : positionals[0]!;
    if (values.to && !out) throw new UsageError('--to names the CRS of the GeoJSON written with --out; give --out <file.geojson> too');
    const data = io;
    if (out === '-') io = summaryToStderr(io);
    if (values.format && !FORMATS.includes(values.format as LicenseFormat)) throw new UsageError(`--format is one of ${FORMATS.join(', ')}`);
    if (out) checkOut(out, [file], 'GeoJSON');
    const zone = intOption(values.zone, '--zone');
    const towgs84 = numberList(values.towgs84, '--towgs84');

    const licenses = await loadLicenses(file, {
      crs: values.crs,
      zone,
      encoding: values.encoding,
      frame: frameArg(values.frame),
      towgs84,
      format: values.format as LicenseFormat | undefined,
    });
    const summaries = licenses.map(summarizeLicense);
    if (out) {
      const target = parseCrs(values.to ?? 'EPSG:4326', { source: '--to', towgs84 });
      emit(data, out, `${JSON.stringify(licensesToGeoJson(licenses, target))}\n`, [file], 'GeoJSON');
    }
    if (json) {
      io.stdout(`${JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2)}\n`);
    } else {
      io.stdout(summaries.map(formatSummary).join('\n'));
      if (out && out !== '-') io.stdout(`\nwrote ${licenses.length} license(s) to ${out} in ${values.to ?? 'EPSG:4326'}\n`);
    }
    for (const s of summaries) for (const f of s.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}

function formatSummary(s: LicenseSummary): string {
  const km2 = (m2: number): string => (m2 / 1e6).toFixed(4);
  const lines = [
    `${s.name ?? s.id}${s.licenseNo ? `  (${s.licenseNo})` : ''}${s.holder ? `  ${s.holder}` : ''}`,
    `  file        ${s.file}`,
    `  CRS         ${s.crs}  ${s.crsName}  (recognised by ${s.crsResolvedBy})`,
    `  blocks      ${s.blocks}, excluded areas ${s.holes}, corners ${s.vertices}`,
    `  area        ${km2(s.areaM2.ellipsoidal)} km² ellipsoidal (${s.areaM2.ellipsoidal.toFixed(1)} m²), ${km2(s.areaM2.planar)} km² planar`,
    `  stated      ${s.statedAreaM2 === null ? '—' : `${km2(s.statedAreaM2)} km²`}`,
    `  elevation   ${s.elevationM ? `${s.elevationM.min} m to ${s.elevationM.max} m` : '—'}`,
    `  bbox        ${s.bbox.map((v) => v.toFixed(6)).join(', ')}`,
    `  findings    ${s.findings.length === 0 ? 'none' : s.findings.map((f) => f.code).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}
