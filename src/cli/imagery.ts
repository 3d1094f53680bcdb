import { formatWhere } from '../errors.js';
import { type BandRole, classifyImagery, type IndexMethod } from '../imagery/index.js';
import { checkOut, EXIT_OK, guard, type Io, loadLicenseArgs, numberOption, parse, stdinFile, UsageError, wantsJson } from './args.js';

export const CLASSIFY_HELP = `Usage: greenmine classify --image <tif> [--image <band.tif> …] -o <classes.tif> [options]

Classify imagery into land cover: vegetation, bare ground, water and shadow, from a
drone orthophoto (RGB, JPEG-YCbCr decoded as GDAL does, alpha honoured) or a scene
with near-infrared (blue, green, red, NIR). Writes a tiled DEFLATE uint8 GeoTIFF in
the image's grid (1 vegetation, 2 bare, 3 water, 4 shadow, 0 no data) and beside it
<classes>.scheme.json, which coverage, slopes and the audit pick up without flags.

Options:
  --image <tif>        the image (- reads stdin); repeat it for bands in separate files (Sentinel-2
                       B02 B03 B04 B08 B11: roles from the names, sampled onto the finest grid)
  -o, --out <tif>      the classes raster
  --method <m>         auto (NDVI with NIR, else ExG; default), exg, vari, gli, ndvi, savi, or bsi
                       (the bare-soil index with SWIR, negated: above the threshold is vegetation)
  --threshold <t>      otsu (default: Otsu on the index histogram inside the license) or a value
  --license <file|dir> the license: the histogram is taken inside it (plus --buffer), its cover checked
  --buffer <m>         widen the histogram's area around the license (default 0)
  --bands <list>       band roles in file order, e.g. B,G,R,NIR (R, G, B, NIR, SWIR, A for alpha, - to skip);
                       default: the file's RGB colour interpretation, alpha and band names
  --scale <n>          DN per unit reflectance (default: 255 for 8-bit, 10000 for 16-bit, 1 for float)
  --shadow <r>         mean reflectance below which a pixel is shadow (default 0.2 RGB, 0.07 with NIR)
  --json               print the report: method, threshold, histogram, separability, areas, green ratio
  -q, --quiet          errors only;  -v, --verbose  say more;  --version
  -h, --help           show this help

The threshold, the histogram and its separability (Otsu's η) are in the report; a poorly
separated histogram is a warning (CLASSIFY_LOW_SEPARABILITY), partial cover of the license too.
`;

const ROLES = new Set(['R', 'G', 'B', 'NIR', 'SWIR', 'A', '-']);

export async function classifyCommand(argv: string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  return guard(io, json, async () => {
    const { values } = parse(argv, {
      image: { type: 'string', multiple: true },
      out: { type: 'string' },
      method: { type: 'string' },
      threshold: { type: 'string' },
      license: { type: 'string', multiple: true },
      buffer: { type: 'string' },
      bands: { type: 'string' },
      scale: { type: 'string' },
      shadow: { type: 'string' },
    });
    if (values.help) {
      io.stdout(CLASSIFY_HELP);
      return EXIT_OK;
    }
    const images = ((values.image as unknown as string[] | undefined) ?? []).map((i) => (i === '-' ? stdinFile() : i));
    if (images.length === 0 || !values.out) throw new UsageError(`classify needs --image and --out\n\n${CLASSIFY_HELP}`);
    if (values.out === '-') throw new UsageError('classify writes a GeoTIFF and its scheme: -o takes a file name, not -');
    const method = (values.method ?? 'auto').toLowerCase();
    if (!['auto', 'exg', 'vari', 'gli', 'ndvi', 'savi', 'bsi'].includes(method)) throw new UsageError(`--method is one of auto, exg, vari, gli, ndvi, savi, bsi; got "${values.method}"`);
    let threshold: 'otsu' | number = 'otsu';
    if (values.threshold !== undefined && values.threshold.toLowerCase() !== 'otsu') {
      const n = Number(values.threshold);
      if (!Number.isFinite(n) || values.threshold.trim() === '') throw new UsageError(`--threshold is otsu or a number, got "${values.threshold}"`);
      threshold = n;
    }
    const bands = values.bands?.split(',').map((b) => b.trim().toUpperCase());
    if (bands && !bands.every((b) => ROLES.has(b))) throw new UsageError(`--bands takes roles R, G, B, NIR, SWIR, A or - in file order, got "${values.bands}"`);
    const positive = (v: string | undefined, name: string): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} takes a positive number, got "${v}"`);
      return n;
    };
    const licenseArgs = values.license as unknown as string[] | undefined;
    checkOut(values.out, [...images, ...(licenseArgs ?? [])], 'classes raster');
    const licenses = licenseArgs?.length ? await loadLicenseArgs(licenseArgs) : undefined;
    const report = await classifyImagery(images.length === 1 ? images[0]! : images, values.out, {
      method: method as 'auto' | IndexMethod,
      threshold,
      licenses,
      bufferM: numberOption(values.buffer, '--buffer', 0),
      bands: bands as BandRole[] | undefined,
      scale: positive(values.scale, '--scale'),
      shadow: positive(values.shadow, '--shadow'),
    });
    if (json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const m2 = (v: number): string => `${Math.round(v).toLocaleString('en-US')} m²`;
      const a = report.areasM2;
      io.stdout(
        [
          `${report.method.toUpperCase()} on bands ${report.bands.join(',')}: threshold ${report.threshold.value.toFixed(4)} (${report.threshold.source}${report.separability === null ? '' : `, separability η = ${report.separability.toFixed(2)}`})`,
          `${report.greenRatio === null ? 'no vegetation or bare ground judged' : `green ratio ${(report.greenRatio * 100).toFixed(1)} %`}${licenses ? ` inside the license (covered ${(report.coveredShare * 100).toFixed(1)} %)` : ''}`,
          `  vegetation ${m2(a.green)}, bare ${m2(a.bare)}, water ${m2(a.water)}, shadow (not judged) ${m2(a.shadow)}, no data ${m2(a.nodata)}`,
          `wrote ${report.out} and ${report.scheme}`,
          '',
        ].join('\n'),
      );
    }
    for (const f of report.findings) io.stderr(`warning ${f.code}: ${f.message} [${formatWhere(f.where)}]\n`);
    return EXIT_OK;
  });
}
