/**
 * Streaming GeoTIFF reading on `geotiff`: metadata, georeferencing (computed
 * here from ModelTiepoint + ModelPixelScale or ModelTransformation), CRS from
 * GeoKeys, exact GDAL nodata, and one block (tile or strip) at a time through
 * `image.getTileOrStrip`, never the whole image.
 *
 * DEFLATE blocks are inflated by node:zlib on the libuv thread pool (registered
 * with geotiff's `addDecoder`), so several blocks awaited together decode in
 * parallel without a worker pool of our own; the other codecs are geotiff's.
 */
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { addDecoder, BaseDecoder, fromFile, type GeoTIFF, type GeoTIFFImage, getDecoder } from 'geotiff';
import { type Crs, crsFromGeoKeys, crsLabel, crsProjection, parseCrs } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import type { BlockRules } from '../imagery/classify-kernel.js';
import { checkInputFile } from '../io/files.js';
import type { BlockCache } from './block-cache.js';
import { InflatePool } from './inflate-pool.js';
import { decodeLzw } from './lzw.js';
import { unpredict } from './predictor.js';
import { scanTiffStructure } from './tiff-structure.js';

const inflateAsync = promisify(inflate);

/** The decoded size of one block (all its samples), from geotiff's decoder parameters. */
function blockBytes(parameters: unknown): number {
  const p = parameters as { tileWidth: number; tileHeight: number; bitsPerSample: number | number[] };
  const bits = Array.isArray(p.bitsPerSample) || ArrayBuffer.isView(p.bitsPerSample) ? Array.from(p.bitsPerSample as ArrayLike<number>).reduce((a, b) => a + b, 0) : Number(p.bitsPerSample);
  return Math.ceil((p.tileWidth * p.tileHeight * bits) / 8);
}

/**
 * A decoder that undoes the predictor itself: geotiff applies predictors in
 * generic JS after decodeBlock; doing it here, typed and specialised, is
 * several times faster for floating-point DEMs.
 */
abstract class PredictingDecoder extends BaseDecoder {
  override async decode(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const decoded = await this.decodeBlock(buffer);
    const p = this.parameters as { tileWidth: number; tileHeight: number; predictor: number; bitsPerSample: number | ArrayLike<number>; planarConfiguration: number };
    if (p.predictor === 1) return decoded;
    const bits = typeof p.bitsPerSample === 'number' ? p.bitsPerSample : Array.from(p.bitsPerSample);
    if (typeof bits !== 'number' && (bits.length !== 1 || p.planarConfiguration !== 1)) return super.decode(buffer);
    const b = typeof bits === 'number' ? bits : bits[0]!;
    const rows = Math.floor(decoded.byteLength / (p.tileWidth * (b / 8)));
    return unpredict(decoded, p.predictor, p.tileWidth, rows, b);
  }
}

class ZlibInflateDecoder extends PredictingDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    // One output chunk the size of a decoded block: no chunk copies and concatenation on the main thread.
    const expected = blockBytes(this.parameters);
    // A chunk of exactly the block's size: zlib then hands back that chunk itself, used without a copy.
    const out = await inflateAsync(new Uint8Array(buffer), { chunkSize: Math.max(64, expected) });
    if (out.byteOffset === 0 && out.buffer.byteLength === out.byteLength) return out.buffer;
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  }
}
addDecoder([8, 32946], () => Promise.resolve(ZlibInflateDecoder as unknown as typeof BaseDecoder));

class LzwDecoder extends PredictingDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const out = decodeLzw(new Uint8Array(buffer), blockBytes(this.parameters));
    return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out.buffer : out.slice().buffer;
  }
}
addDecoder(5, () => Promise.resolve(LzwDecoder as unknown as typeof BaseDecoder));

/**
 * JPEG tiles (compression 7) through libjpeg-turbo, as GDAL decodes them: sharp
 * (libvips) on libuv's thread pool. TIFF JPEG tiles are abbreviated streams whose
 * tables live in the JPEGTables tag; the two are joined into one stream (the
 * tables' markers, then the tile after its SOI). YCbCr data come out as RGB with
 * libjpeg's upsampling and colour conversion: the same bytes as GDAL (tested). A corrupt
 * stream fails (libjpeg's warnings included, as GDAL's JPEG reader fails on them): never
 * silently wrong pixels.
 * sharp is loaded on first use, so greenmine starts without it.
 */
let sharpModule: Promise<typeof import('sharp')> | null = null;
class LibjpegDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const p = this.parameters as unknown as { JPEGTables?: ArrayLike<number>; tileWidth: number; tileHeight: number; samples: number };
    sharpModule ??= import('sharp').then((m) => {
      m.default.cache(false);
      m.default.concurrency(1);
      return m;
    });
    const sharp = (await sharpModule).default;
    const tile = new Uint8Array(buffer);
    let jpeg = tile;
    const tables = p.JPEGTables;
    if (tables && tables.length > 4 && tile[0] === 0xff && tile[1] === 0xd8) {
      jpeg = new Uint8Array(tables.length - 2 + tile.length - 2);
      jpeg.set(Uint8Array.from(tables).subarray(0, tables.length - 2), 0);
      jpeg.set(tile.subarray(2), tables.length - 2);
    }
    // A greyscale JPEG comes out of libvips as sRGB (the grey copied to three bands): take one back.
    // No more pixels than the TIFF's own block: a JPEG header claiming more is refused before anything is allocated for it.
    const image = sharp(jpeg, { failOn: 'warning', limitInputPixels: p.tileWidth * p.tileHeight });
    const { data, info } = await (p.samples === 1 ? image.extractChannel(0) : image)
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch((err: Error) => {
        throw /pixel limit/i.test(err.message) ? new Error(`the JPEG block declares more pixels than the TIFF's ${p.tileWidth} × ${p.tileHeight} block`) : err;
      });
    if (info.channels !== p.samples || info.width !== p.tileWidth) throw new Error(`the JPEG block decodes to ${info.width} px × ${info.channels} samples, the TIFF says ${p.tileWidth} × ${p.samples}`);
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  }
}
addDecoder(7, () => Promise.resolve(LibjpegDecoder as unknown as typeof BaseDecoder));

export type DataType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
/** Bytes per sample of each data type. */
export const BYTES_PER_SAMPLE: Record<DataType, number> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8 };
const BYTES = BYTES_PER_SAMPLE;
export type RasterBlock = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none',
  2: 'CCITT RLE',
  3: 'CCITT fax 3',
  4: 'CCITT fax 4',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  8: 'DEFLATE',
  32946: 'DEFLATE',
  32773: 'PackBits',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'ZSTD',
  50001: 'WebP',
  50002: 'JPEG XL',
};
const SUPPORTED = new Set([1, 5, 7, 8, 32946, 32773, 34887, 50000]);

/** Rasters wider or taller than this are refused (a header can claim anything; 2²¹ px is 210 km at 0.1 m). */
export const MAX_RASTER_SIDE = 1 << 21;
/** A decoded block larger than this is refused (GDAL writes 256² or 512² tiles, or strips of a few rows). */
export const MAX_BLOCK_BYTES = 256 << 20;

export interface RasterInfo {
  file: string;
  width: number;
  height: number;
  blockWidth: number;
  blockHeight: number;
  tiled: boolean;
  bands: number;
  dataType: DataType;
  compression: string;
  crs: Crs;
  /** GDAL-order geotransform: x = t[0] + col·t[1] + row·t[2]; y = t[3] + col·t[4] + row·t[5] (pixel corners). */
  transform: [number, number, number, number, number, number];
  /** Exact nodata value (NaN allowed), or null when there is none. */
  nodata: number | null;
  pixelIsPoint: boolean;
  overviews: number;
  /** TIFF PhotometricInterpretation: 1 grey, 2 RGB, 6 YCbCr (JPEG tiles decode to RGB), … */
  photometric: number;
  /** Band descriptions GDAL wrote (GDAL_METADATA, role "description"): "red", "nir", "B08"…; null where none. */
  bandNames: Array<string | null>;
  /** ExtraSamples per extra band (0 unspecified, 1 associated alpha, 2 unassociated alpha); [] when none. */
  extraSamples: number[];
  findings: Finding[];
}

export interface OpenOptions {
  /** CRS to use when the raster has none, or to override it. */
  crs?: string | Crs;
  /** Nodata override. */
  nodata?: number;
  /** 1-based band to read (default 1). */
  band?: number;
  /** Read overview n (1 = the first reduced level of a COG) instead of the full resolution, for quick looks. */
  overview?: number;
  /** Decoded blocks shared with the other readers given the same cache (one audit's checks): see block-cache.ts. */
  cache?: BlockCache;
}

/** Band descriptions from GDAL's metadata XML (`<Item name="DESCRIPTION" sample="2" role="description">red</Item>`). */
function bandNamesOf(xml: string, bands: number): Array<string | null> {
  const names: Array<string | null> = Array.from({ length: bands }, () => null);
  for (const m of xml.matchAll(/<Item\b([^>]*)>([^<]*)<\/Item>/g)) {
    const attrs = m[1]!;
    const sample = /sample="(\d+)"/.exec(attrs);
    if (sample && /role="description"/.test(attrs) && Number(sample[1]) < bands) names[Number(sample[1])] = m[2]!.trim() || null;
  }
  return names;
}

function extraSamplesOf(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') return [value];
  return Array.from(value as ArrayLike<number>, Number);
}

function parseNodata(text: string, file: string): number {
  const s = text.replace(/\0/g, '').trim();
  if (/^[-+]?nan$/i.test(s)) return NaN;
  if (/^[-+]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  const n = Number(s);
  if (s === '' || Number.isNaN(n) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new GreenmineError('RASTER_BAD_NODATA', `${file}: GDAL_NODATA is not a number`, { file });
  return n;
}

const TYPE_RANGE: Partial<Record<DataType, [number, number]>> = { uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767], uint32: [0, 4294967295], int32: [-2147483648, 2147483647] };

/**
 * The nodata value as pixels of `type` can hold it, as GDAL does: a float32
 * raster's "-3.4e+38" is the float32 nearest it (else no pixel would equal it).
 * An integer raster's nodata that no pixel can take is reported.
 */
export function nodataForType(value: number, type: DataType, file: string, findings: Finding[]): number {
  if (Number.isNaN(value)) return value;
  if (type === 'float32') return Math.fround(value);
  const range = TYPE_RANGE[type];
  if (range && !(Number.isInteger(value) && value >= range[0] && value <= range[1])) {
    findings.push({ code: 'RASTER_NODATA_UNREPRESENTABLE', severity: 'warning', message: `${file}: the nodata value ${value} cannot occur in ${type} pixels, so no pixel is nodata`, where: { file } });
  }
  return value;
}

function dataTypeOf(format: number, bits: number, file: string): DataType {
  const key = `${format}:${bits}`;
  const map: Record<string, DataType> = { '1:8': 'uint8', '2:8': 'int8', '1:16': 'uint16', '2:16': 'int16', '1:32': 'uint32', '2:32': 'int32', '3:32': 'float32', '3:64': 'float64' };
  const t = map[key];
  if (t) return t;
  const supported = '(supported: uint8, int8, uint16, int16, uint32, int32, float32, float64)';
  const what =
    format === 3 && bits === 16
      ? '16-bit floating-point (half precision) samples are not supported; convert them: gdal_translate -ot Float32'
      : format === 4
        ? 'untyped (void) samples are not supported'
        : format === 5 || format === 6
          ? `complex ${format === 6 ? 'floating-point' : 'integer'} samples are not supported`
          : !(bits > 0 && bits <= 64)
            ? `${bits}-bit samples: BitsPerSample is missing or invalid`
            : bits % 8 !== 0
              ? `${bits}-bit samples (NBITS) are not supported; convert them: gdal_translate -ot ${bits < 8 ? 'Byte' : bits < 16 ? 'UInt16' : 'UInt32'}`
              : `${bits}-bit ${format === 3 ? 'floating-point' : format === 2 ? 'signed integer' : format === 1 ? 'unsigned integer' : `sample format ${format}`} samples are not supported`;
  throw new GreenmineError('RASTER_UNSUPPORTED_TYPE', `${file}: ${what} ${supported}`, { file });
}

export class RasterReader {
  readonly info: RasterInfo;
  readonly blocksAcross: number;
  readonly blocksDown: number;
  private readonly tiff: GeoTIFF;
  private readonly image: GeoTIFFImage;
  private readonly decoder: BaseDecoder;
  private readonly band: number;

  /** DEFLATE parameters when block rows can go to the inflate pool (one band), else null. */
  private readonly deflate: { predictor: number; bits: number } | null;
  /** DEFLATE parameters when whole blocks with every band can go to the inflate pool (pixel-interleaved, one sample size, predictor none or horizontal), else null. */
  private readonly deflateAll: { predictor: number; bits: number; samples: number } | null;

  private constructor(tiff: GeoTIFF, image: GeoTIFFImage, info: RasterInfo, decoder: BaseDecoder, band: number, deflate: { predictor: number; bits: number } | null, deflateAll: { predictor: number; bits: number; samples: number } | null) {
    this.tiff = tiff;
    this.deflate = deflate;
    this.deflateAll = deflateAll;
    this.image = image;
    this.info = info;
    this.decoder = decoder;
    this.band = band;
    this.blocksAcross = Math.ceil(info.width / info.blockWidth);
    this.blocksDown = Math.ceil(info.height / info.blockHeight);
  }

  static async open(file: string, options: OpenOptions = {}): Promise<RasterReader> {
    try {
      return await RasterReader.openChecked(file, options);
    } catch (err) {
      if (err instanceof GreenmineError) throw err;
      // geotiff's own failures on a damaged directory (a GeoKey that points nowhere, a tag of the wrong type).
      throw new GreenmineError('RASTER_DAMAGED', `${file}: the TIFF's directory is damaged (${String((err as Error)?.message ?? err).slice(0, 120)})`, { file });
    }
  }

  private static async openChecked(file: string, options: OpenOptions): Promise<RasterReader> {
    let tiff: GeoTIFF;
    let image: GeoTIFFImage;
    let base: GeoTIFFImage;
    const stats = checkInputFile(file, 'GeoTIFF');
    // The IFD chain and every tag's extent checked first (geotiff hangs on a looping chain).
    const structure = scanTiffStructure(file);
    if (!structure.littleEndian) {
      // geotiff reads the block offsets of big-endian (Motorola) files wrongly: garbage or zeros, never an error.
      throw new GreenmineError('RASTER_BIG_ENDIAN', `${file}: a big-endian (Motorola byte order) TIFF cannot be read here; convert it first: gdal_translate -co ENDIANNESS=LITTLE ${file} out.tif`, { file });
    }
    const imageCount = structure.ifdOffsets.length;
    try {
      tiff = await fromFile(file);
      base = await tiff.getImage(0);
      image = base;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new GreenmineError('FILE_NOT_FOUND', `${file}: no such file`, { file });
      throw new GreenmineError('RASTER_UNREADABLE', `${file}: not a readable GeoTIFF (${(err as Error).message})`, { file });
    }
    const overviewIndex: number[] = [];
    for (let i = 1; i < imageCount; i++) {
      const type = Number((await tiff.getImage(i)).getFileDirectory().getValue('NewSubfileType') ?? 0);
      if (!(type & 4)) overviewIndex.push(i);
    }
    if (options.overview) {
      const index = overviewIndex[options.overview - 1];
      if (index === undefined) throw new GreenmineError('RASTER_NO_OVERVIEW', `${file}: overview ${options.overview} does not exist (the file has ${overviewIndex.length})`, { file });
      image = await tiff.getImage(index);
    }
    // Georeferencing and GeoKeys live in the full-resolution image.
    const fd = base.getFileDirectory();
    const findings: Finding[] = [];
    const ifd = image.getFileDirectory();
    const compressionCode = Number(ifd.getValue('Compression') ?? 1);
    const compression = COMPRESSION_NAMES[compressionCode] ?? `code ${compressionCode}`;
    if (compressionCode === 6) {
      // Old-style JPEG (TIFF 6.0 §22): obsolete, ambiguous, and refused by GDAL's own writer.
      throw new GreenmineError('RASTER_JPEG_UNSUPPORTED', `${file}: old-style JPEG compression (6) is not decoded; convert it: gdal_translate -co COMPRESS=JPEG -co PHOTOMETRIC=YCBCR -co TILED=YES ${file} out.tif`, { file });
    }
    const photometric = Number(ifd.getValue('PhotometricInterpretation') ?? 1);
    if (compressionCode === 7 && image.planarConfiguration === 2) {
      throw new GreenmineError('RASTER_JPEG_UNSUPPORTED', `${file}: JPEG with separate band planes is not decoded; convert it: gdal_translate -co COMPRESS=JPEG -co PHOTOMETRIC=YCBCR -co TILED=YES ${file} out.tif`, { file });
    }
    if (!SUPPORTED.has(compressionCode)) {
      throw new GreenmineError(
        'RASTER_UNSUPPORTED_COMPRESSION',
        `${file}: ${compression} compression cannot be decoded here (supported: none, LZW, DEFLATE, PackBits, ZSTD, LERC, JPEG); convert it, e.g. gdal_translate -co COMPRESS=DEFLATE`,
        { file },
      );
    }
    const bands = image.getSamplesPerPixel();
    const band = options.band ?? 1;
    if (!Number.isInteger(band) || band < 1 || band > bands) throw new GreenmineError('RASTER_BAD_BAND', `${file}: band ${band} does not exist (the raster has ${bands})`, { file });
    const dataType = dataTypeOf(Number(image.getSampleFormat(band - 1) ?? 1), Number(image.getBitsPerSample(band - 1) ?? 0), file);
    checkDimensions(image, file);
    const predictor = Number((await ifd.loadValue('Predictor')) ?? 1);
    if (![1, 2, 3].includes(predictor)) throw new GreenmineError('RASTER_BAD_PREDICTOR', `${file}: predictor ${predictor} is not a TIFF predictor (1 none, 2 horizontal, 3 floating point)`, { file });
    if (predictor === 3 && !dataType.startsWith('float')) throw new GreenmineError('RASTER_BAD_PREDICTOR', `${file}: the floating-point predictor (3) on ${dataType} samples; GDAL refuses this file too`, { file });
    if (predictor === 2 && dataType.startsWith('float')) throw new GreenmineError('RASTER_BAD_PREDICTOR', `${file}: the horizontal predictor (2) on ${dataType} samples is not supported; GDAL writes predictor 3 for floats`, { file });

    // Georeferencing.
    const scale = fd.getValue('ModelPixelScale') as number[] | undefined;
    const tiepoint = fd.getValue('ModelTiepoint') as number[] | undefined;
    const matrix = fd.getValue('ModelTransformation') as number[] | undefined;
    let transform: RasterInfo['transform'];
    if (matrix && matrix.length >= 8) {
      transform = [matrix[3]!, matrix[0]!, matrix[1]!, matrix[7]!, matrix[4]!, matrix[5]!];
    } else if (scale && tiepoint && tiepoint.length >= 6) {
      if (tiepoint.length > 6) throw new GreenmineError('RASTER_UNSUPPORTED_GEOREF', `${file}: ${tiepoint.length / 6} tie points (a warped raster); only one tie point with a pixel scale is supported`, { file });
      transform = [tiepoint[3]! - tiepoint[0]! * scale[0]!, scale[0]!, 0, tiepoint[4]! + tiepoint[1]! * scale[1]!, 0, -scale[1]!];
    } else {
      throw new GreenmineError('RASTER_NO_GEOREF', `${file}: no georeferencing (ModelTiepoint + ModelPixelScale or ModelTransformation)`, { file });
    }
    if (!transform.every(Number.isFinite) || transform[1] === 0 || transform[5] === 0) {
      throw new GreenmineError('RASTER_BAD_GEOREF', `${file}: the pixel size or origin is not a finite, non-zero number (${transform.join(', ')}); the georeferencing is damaged`, { file });
    }
    if (transform[2] !== 0 || transform[4] !== 0) {
      throw new GreenmineError('RASTER_ROTATED', `${file}: the geotransform is rotated or sheared (${transform.join(', ')}); warp it north-up first (gdalwarp)`, { file });
    }
    const keys = (base.getGeoKeys() ?? {}) as Record<string, number | string | number[] | undefined>;
    const pixelIsPoint = keys.GTRasterTypeGeoKey === 2;
    if (pixelIsPoint) {
      // GDAL's convention: the tie point is the centre of a full-resolution pixel; shift to its corner
      // (before scaling to an overview, whose corner is the same point).
      transform[0] -= 0.5 * transform[1];
      transform[3] -= 0.5 * transform[5];
    }
    if (image !== base) {
      // An overview covers the same extent with fewer, larger pixels.
      transform[1] *= base.getWidth() / image.getWidth();
      transform[5] *= base.getHeight() / image.getHeight();
    }

    let crs: Crs;
    if (options.crs !== undefined) crs = typeof options.crs === 'string' ? parseCrs(options.crs, { source: '--crs' }) : options.crs;
    else {
      try {
        crs = crsFromGeoKeys(keys, file);
      } catch (err) {
        if (err instanceof GreenmineError && err.code === 'CRS_MISSING') {
          throw new GreenmineError('RASTER_NO_CRS', `${file}: the raster names no coordinate system; give it (the crs option, e.g. "greenmine coverage --crs EPSG:4549"), or assign one with gdal_edit.py -a_srs`, { file });
        }
        throw err;
      }
    }

    const projection = crsProjection(crs);
    if (!crs.geographic && !['tmerc', 'etmerc', 'utm'].includes(projection)) {
      // Pixel areas and slopes are read as metres on the ground: true (to a few 10⁻⁴) in transverse Mercator, not in Mercator or conic maps.
      throw new GreenmineError(
        'RASTER_CRS_UNSUPPORTED',
        `${file}: ${crsLabel(crs)} (${crs.name}, +proj=${projection}) distorts areas and distances; warp the raster to a Gauss-Krüger or UTM CRS first, e.g. gdalwarp -t_srs EPSG:4549 -r near ${file} out.tif`,
        { file },
      );
    }

    let nodata: number | null = null;
    if (options.nodata !== undefined) nodata = options.nodata;
    else if (fd.hasTag('GDAL_NODATA')) nodata = nodataForType(parseNodata(String(fd.getValue('GDAL_NODATA')), file), dataType, file, findings);

    const overviews = overviewIndex.length;
    if (overviews < imageCount - 1) {
      findings.push({ code: 'RASTER_MASK_IGNORED', severity: 'warning', message: `${file}: a GDAL internal mask is ignored by this measurement (nodata comes from GDAL_NODATA only; greenmine classify honours masks)`, where: { file } });
    }

    const tiled = image.isTiled;
    const info: RasterInfo = {
      file,
      width: image.getWidth(),
      height: image.getHeight(),
      blockWidth: image.getTileWidth(),
      blockHeight: image.getTileHeight(),
      tiled,
      bands,
      dataType,
      compression,
      crs,
      transform,
      nodata,
      pixelIsPoint,
      overviews,
      photometric,
      extraSamples: extraSamplesOf(ifd.getValue('ExtraSamples') as unknown),
      bandNames: bandNamesOf(fd.hasTag('GDAL_METADATA') ? String(await fd.loadValue('GDAL_METADATA' as never)) : '', bands),
      findings,
    };
    const params = {
      tileWidth: image.getTileWidth(),
      tileHeight: image.getTileHeight(),
      planarConfiguration: image.planarConfiguration,
      bitsPerSample: ifd.getValue('BitsPerSample') as unknown as number,
      predictor,
      samples: bands,
      ...(compressionCode === 34887 ? { LercParameters: await ifd.loadValue('LercParameters') } : {}),
      ...(compressionCode === 7 && ifd.hasTag('JPEGTables') ? { JPEGTables: await ifd.loadValue('JPEGTables') } : {}),
    };
    let decoder: BaseDecoder;
    try {
      decoder = await getDecoder(compressionCode, params as Parameters<typeof getDecoder>[1]);
    } catch (err) {
      throw new GreenmineError('RASTER_UNSUPPORTED_COMPRESSION', `${file}: cannot decode ${compression}: ${(err as Error).message}`, { file });
    }
    const bits = image.getBitsPerSample(band - 1);
    const isDeflate = compressionCode === 8 || compressionCode === 32946;
    const deflate = isDeflate && bands === 1 && bits % 8 === 0 ? { predictor: params.predictor, bits } : null;
    const sameBits = Array.from({ length: bands }, (_, i) => image.getBitsPerSample(i)).every((b) => b === bits);
    const deflateAll =
      isDeflate && (bands === 1 || image.planarConfiguration === 1) && sameBits && bits % 8 === 0 && (params.predictor === 1 || (params.predictor === 2 && bits <= 32) || bands === 1)
        ? { predictor: params.predictor, bits, samples: bands }
        : null;
    const reader = new RasterReader(tiff, image, info, decoder, band, deflate, deflateAll);
    if (options.cache) {
      // The file by device, inode, size and time; the image, band and nodata (a sparse block is filled with it).
      reader.shared = { cache: options.cache, id: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}|${options.overview ?? 0}|${band}|${info.nodata}` };
    }
    await reader.checkBlocks(structure.fileBytes, compressionCode === 1);
    // A GDAL internal mask of this image (NewSubfileType 4, same size and tiling): readMaskBlock reads it.
    for (let i = 1; i < imageCount; i++) {
      const m = await tiff.getImage(i);
      const type = Number(m.getFileDirectory().getValue('NewSubfileType') ?? 0);
      if (!(type & 4) || m.getWidth() !== image.getWidth() || m.getHeight() !== image.getHeight() || m.getTileWidth() !== image.getTileWidth() || m.getTileHeight() !== image.getTileHeight()) continue;
      const mc = Number(m.getFileDirectory().getValue('Compression') ?? 1);
      if (Number(m.getBitsPerSample(0)) !== 1 || ![1, 5, 8, 32946, 32773].includes(mc)) break;
      try {
        reader.mask = { image: m, decoder: await getDecoder(mc, { tileWidth: m.getTileWidth(), tileHeight: m.getTileHeight(), planarConfiguration: 1, bitsPerSample: 1, predictor: 1 } as Parameters<typeof getDecoder>[1]) };
      } catch {
        reader.mask = null;
      }
      break;
    }
    return reader;
  }

  /**
   * Every block the raster declares is in the offset table and inside the
   * file; an uncompressed block holds all its bytes. A truncated file is
   * RASTER_DAMAGED here, not a surprise in the middle of a measurement.
   */
  private async checkBlocks(fileBytes: number, uncompressed: boolean): Promise<void> {
    const { info } = this;
    const ifd = this.image.getFileDirectory();
    const offsets = Float64Array.from((await ifd.loadValue(info.tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number>);
    const counts = Float64Array.from((await ifd.loadValue(info.tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number>);
    const planes = this.image.planarConfiguration === 2 ? info.bands : 1;
    const expected = this.blocksAcross * this.blocksDown * planes;
    if (offsets.length < expected || counts.length < expected) {
      throw new GreenmineError('RASTER_DAMAGED', `${info.file}: the raster declares ${expected} blocks but its offset table lists ${Math.min(offsets.length, counts.length)}; the file is damaged`, { file: info.file });
    }
    const bytesPerPixel = (this.image.getBitsPerSample(this.band - 1) / 8) * (planes === 1 ? info.bands : 1);
    for (let k = 0; k < expected; k++) {
      if (counts[k] === 0) continue; // Sparse: all nodata.
      if (!(offsets[k]! + counts[k]! <= fileBytes)) {
        throw new GreenmineError('RASTER_DAMAGED', `${info.file}: block ${k} lies past the end of the ${fileBytes}-byte file; the file is truncated`, { file: info.file });
      }
      if (uncompressed) {
        const by = Math.floor((k % (this.blocksAcross * this.blocksDown)) / this.blocksAcross);
        const rows = info.tiled ? info.blockHeight : this.blockRows(by);
        if (counts[k]! < info.blockWidth * rows * bytesPerPixel)
          throw new GreenmineError('RASTER_DAMAGED', `${info.file}: uncompressed block ${k} holds ${counts[k]} bytes, fewer than its ${info.blockWidth * rows * bytesPerPixel}; the file is damaged`, { file: info.file });
      }
    }
    this.blockIndex = { offsets, counts };
  }

  /** Rows in block row `by` (the last strip or tile row may be shorter in the file). */
  blockRows(by: number): number {
    return Math.min(this.info.blockHeight, this.info.height - by * this.info.blockHeight);
  }

  /**
   * Decode block (bx, by): a typed array of blockWidth × blockHeight samples
   * (row stride blockWidth; a last strip may hold fewer rows).
   */
  async readBlock(bx: number, by: number): Promise<RasterBlock> {
    if (!(Number.isInteger(bx) && Number.isInteger(by) && bx >= 0 && by >= 0 && bx < this.blocksAcross && by < this.blocksDown)) {
      throw new GreenmineError('RASTER_BAD_BLOCK', `${this.info.file}: no block ${bx},${by} (the raster has ${this.blocksAcross} × ${this.blocksDown} blocks)`, { file: this.info.file });
    }
    const key = by * this.blocksAcross + bx;
    if (this.shared) return this.shared.cache.get(`${this.shared.id}|${key}`, this.info.blockWidth * this.info.blockHeight * BYTES[this.info.dataType], () => this.decodeBlock(bx, by));
    // A small bounded cache (most recent blocks): random access near a point costs one decode.
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const block = this.decodeBlock(bx, by);
    this.cache.set(key, block);
    block.catch(() => this.cache.delete(key));
    if (this.cache.size > RasterReader.CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    return block;
  }

  /**
   * Every band of block (bx, by), pixel-interleaved (blockWidth × blockHeight × bands samples):
   * one decode for all bands of a pixel-interleaved file (a JPEG orthophoto's tile is decoded once,
   * not once per band). Not cached.
   */
  async readBlockAll(bx: number, by: number): Promise<RasterBlock> {
    const { info } = this;
    if (!(Number.isInteger(bx) && Number.isInteger(by) && bx >= 0 && by >= 0 && bx < this.blocksAcross && by < this.blocksDown)) {
      throw new GreenmineError('RASTER_BAD_BLOCK', `${info.file}: no block ${bx},${by} (the raster has ${this.blocksAcross} × ${this.blocksDown} blocks)`, { file: info.file });
    }
    const samples = info.blockWidth * info.blockHeight;
    const counts = info.tiled ? 'TileByteCounts' : 'StripByteCounts';
    const planes = this.image.planarConfiguration === 2 ? info.bands : 1;
    try {
      if (planes === 1) {
        // One plane: the decoded block is the answer (no copy).
        const byteCount = Number(await this.image.getFileDirectory().loadValueIndexed(counts, by * this.blocksAcross + bx));
        if (byteCount === 0) return (this.image.getArrayForSample(0, samples * info.bands) as RasterBlock).fill(info.nodata ?? 0);
        const { data } = await this.image.getTileOrStrip(bx, by, 0, this.decoder);
        return this.image.getArrayForSample(0, data) as RasterBlock;
      }
      const out = this.image.getArrayForSample(0, samples * info.bands) as RasterBlock;
      for (let plane = 0; plane < planes; plane++) {
        const index = plane * this.blocksAcross * this.blocksDown + by * this.blocksAcross + bx;
        const byteCount = Number(await this.image.getFileDirectory().loadValueIndexed(counts, index));
        if (byteCount === 0) {
          if (planes === 1) out.fill(info.nodata ?? 0);
          else for (let i = plane; i < out.length; i += info.bands) out[i] = info.nodata ?? 0;
          continue;
        }
        const { data } = await this.image.getTileOrStrip(bx, by, plane, this.decoder);
        const block = this.image.getArrayForSample(plane, data) as RasterBlock;
        if (planes === 1) out.set(block.subarray(0, Math.min(block.length, out.length)) as never);
        else for (let i = 0, j = plane; i < Math.min(samples, block.length); i++, j += info.bands) out[j] = block[i]!;
      }
      return out;
    } catch (err) {
      if (err instanceof GreenmineError) throw err;
      throw new GreenmineError('RASTER_DECODE', `${info.file}: cannot read block ${bx},${by} (${(err as Error).message}); the file may be truncated or corrupt`, { file: info.file, path: `block ${bx},${by}` });
    }
  }

  /** The GDAL internal mask of the image, when it has one greenmine can read (1-bit, uncompressed, LZW, DEFLATE or PackBits). */
  mask: { image: GeoTIFFImage; decoder: BaseDecoder } | null = null;

  /** Block (bx, by) of the internal mask: 1 where the image has data, 0 where it is masked (blockWidth × blockHeight). */
  async readMaskBlock(bx: number, by: number): Promise<Uint8Array> {
    const { info } = this;
    const out = new Uint8Array(info.blockWidth * info.blockHeight).fill(1);
    if (!this.mask) return out;
    try {
      const { data } = await this.mask.image.getTileOrStrip(bx, by, 0, this.mask.decoder);
      const bytes = new Uint8Array(data);
      if (bytes.length >= out.length) {
        // geotiff hands 1-bit samples back one per byte.
        for (let i = 0; i < out.length; i++) out[i] = bytes[i] ? 1 : 0;
        return out;
      }
      const rowBytes = Math.ceil(info.blockWidth / 8);
      for (let y = 0; y < info.blockHeight && y * rowBytes < bytes.length; y++) {
        for (let x = 0; x < info.blockWidth; x++) out[y * info.blockWidth + x] = (bytes[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
      }
      return out;
    } catch (err) {
      throw new GreenmineError('RASTER_DECODE', `${info.file}: cannot read block ${bx},${by} of the internal mask (${(err as Error).message})`, { file: info.file, path: `mask block ${bx},${by}` });
    }
  }

  /** Blocks kept in the cache (the most recently used). */
  static CACHE_BLOCKS = 16;
  /** The cache shared with other readers (OpenOptions.cache), and this image's key in it. */
  private shared: { cache: BlockCache; id: string } | null = null;
  private readonly cache = new Map<number, Promise<RasterBlock>>();

  private async decodeBlock(bx: number, by: number): Promise<RasterBlock> {
    const { info } = this;
    const where = { file: info.file, path: `block ${bx},${by}` };
    try {
      const index = by * this.blocksAcross + bx;
      const counts = info.tiled ? 'TileByteCounts' : 'StripByteCounts';
      const byteCount = Number(await this.image.getFileDirectory().loadValueIndexed(counts, this.image.planarConfiguration === 2 ? index + (this.band - 1) * this.blocksAcross * this.blocksDown : index));
      if (byteCount === 0) {
        return this.sparseBlock();
      }
      const { data } = await this.image.getTileOrStrip(bx, by, this.image.planarConfiguration === 2 ? this.band - 1 : 0, this.decoder);
      const all = this.image.getArrayForSample(this.band - 1, data) as RasterBlock;
      if (info.bands === 1 || this.image.planarConfiguration === 2) return all;
      // Pixel-interleaved bands: take ours.
      const out = this.image.getArrayForSample(this.band - 1, info.blockWidth * info.blockHeight) as RasterBlock;
      for (let i = 0, j = this.band - 1; i < out.length; i++, j += info.bands) out[i] = all[j]!;
      return out;
    } catch (err) {
      if (err instanceof GreenmineError) throw err;
      throw new GreenmineError('RASTER_DECODE', `${info.file}: cannot read block ${bx},${by} (${(err as Error).message}); the file may be truncated or corrupt`, where);
    }
  }

  /** A sparse block (no bytes in the file; GDAL writes none for all-nodata blocks): nodata, exactly. */
  private sparseBlock(): RasterBlock {
    const empty = this.image.getArrayForSample(this.band - 1, this.info.blockWidth * this.info.blockHeight) as RasterBlock;
    return empty.fill(this.info.nodata ?? 0);
  }

  /** Rasters from this many pixels up go to the inflate pool (smaller ones are not worth a worker's start). */
  static POOL_MIN_PIXELS = 1 << 22;

  /** The inflate pool this raster's block rows can use, or null (see inflate-pool.ts). */
  get pool(): InflatePool | null {
    if (!this.deflate || this.info.width * this.info.height < RasterReader.POOL_MIN_PIXELS) return null;
    return InflatePool.shared();
  }

  /** Every block's file offset and byte count (read and checked at open). */
  private blockIndex: { offsets: Float64Array; counts: Float64Array } | null = null;
  /** True once the pool has read this file (it keeps a descriptor open until `close`). */
  private pooled = false;

  /**
   * Blocks bxFirst…bxLast of block row `by` through the inflate pool, split
   * among its workers (one file read per worker). `plan` (indexed from
   * bxFirst) may mark blocks 1 = count only: the block (whole, inside the
   * raster) is counted into pool session `session` and comes back as null; or
   * 2 = skip: not read at all, null. With `keepClasses` (a lookup table of
   * class codes) a counted block that holds any of them also puts its pixels
   * of those classes, as bits, in `bitsOut` (same indexing; see
   * InflateResult.bits), so patches can be labelled without the block.
   */
  async readBlockRowPooled(
    by: number,
    bxFirst: number,
    bxLast: number,
    plan: Uint8Array | null = null,
    session = 0,
    keepClasses: Uint8Array | null = null,
    bitsOut: Array<Uint32Array | null> | null = null,
  ): Promise<Array<RasterBlock | null>> {
    if (!this.pool || !this.deflate) throw new GreenmineError('RASTER_NO_POOL', `${this.info.file}: no inflate pool for this raster (check reader.pool first)`, { file: this.info.file });
    return this.pooledRow(by, bxFirst, bxLast, { ...this.deflate, samples: 1 }, plan, session, keepClasses, bitsOut);
  }

  /** The inflate pool whole blocks of this raster (every band, pixel-interleaved) can go to, or null (see readBlocksAllPooled). */
  get poolAll(): InflatePool | null {
    if (!this.deflateAll || this.info.width * this.info.height < RasterReader.POOL_MIN_PIXELS) return null;
    return InflatePool.shared();
  }

  /**
   * Blocks bxFirst…bxLast of block row `by` with every band, pixel-interleaved (as readBlockAll gives
   * them), inflated by the pool's workers: off this thread, one file read per worker.
   */
  async readBlocksAllPooled(by: number, bxFirst: number, bxLast: number): Promise<RasterBlock[]> {
    if (!this.poolAll || !this.deflateAll) throw new GreenmineError('RASTER_NO_POOL', `${this.info.file}: no inflate pool for this raster's blocks (check reader.poolAll first)`, { file: this.info.file });
    return (await this.pooledRow(by, bxFirst, bxLast, this.deflateAll, null, 0, null, null)) as RasterBlock[];
  }

  /**
   * Blocks bxFirst…bxLast of block row `by` as readBlocksAllPooled reads them, each classified by the
   * worker that inflated it (`rules`: imagery/classify-kernel.ts's BlockRules): its index codes, a byte
   * per pixel, row-major like the block. For images without an internal mask (the caller checks).
   */
  async readBlocksClassifiedPooled(by: number, bxFirst: number, bxLast: number, rules: BlockRules): Promise<Uint8Array[]> {
    if (!this.poolAll || !this.deflateAll) throw new GreenmineError('RASTER_NO_POOL', `${this.info.file}: no inflate pool for this raster's blocks (check reader.poolAll first)`, { file: this.info.file });
    return (await this.pooledRow(by, bxFirst, bxLast, this.deflateAll, null, 0, null, null, rules)) as Uint8Array[];
  }

  private async pooledRow(
    by: number,
    bxFirst: number,
    bxLast: number,
    deflate: { predictor: number; bits: number; samples: number },
    plan: Uint8Array | null,
    session: number,
    keepClasses: Uint8Array | null,
    bitsOut: Array<Uint32Array | null> | null,
    classify: BlockRules | null = null,
  ): Promise<Array<RasterBlock | null>> {
    const pool = InflatePool.shared();
    if (!pool) throw new GreenmineError('RASTER_NO_POOL', `${this.info.file}: no inflate pool in this thread`, { file: this.info.file });
    if (!(by >= 0 && by < this.blocksDown && bxFirst >= 0 && bxLast < this.blocksAcross && bxFirst <= bxLast)) {
      throw new GreenmineError('RASTER_BAD_BLOCK', `${this.info.file}: no blocks ${bxFirst}…${bxLast} in row ${by} (the raster has ${this.blocksAcross} × ${this.blocksDown} blocks)`, { file: this.info.file });
    }
    const { info } = this;
    const { offsets, counts } = this.blockIndex!;
    this.pooled = true;
    const n = bxLast - bxFirst + 1;
    const blocks: Array<RasterBlock | null> = new Array(n).fill(null);
    const rows = info.tiled ? info.blockHeight : this.blockRows(by);
    const wanted: number[] = [];
    for (let i = 0; i < n; i++) {
      if (plan?.[i] === 2) continue;
      if (counts[by * this.blocksAcross + bxFirst + i] === 0 && !classify) {
        // Made here (and never counted by a worker).
        blocks[i] = deflate.samples === 1 ? this.sparseBlock() : (this.image.getArrayForSample(0, info.blockWidth * info.blockHeight * deflate.samples) as RasterBlock).fill(info.nodata ?? 0);
      } else wanted.push(i);
    }
    const per = Math.ceil(wanted.length / pool.size);
    const jobs: Array<Promise<void>> = [];
    for (let j = 0; j < wanted.length; j += per) {
      const part = wanted.slice(j, j + per);
      const index = part.map((i) => by * this.blocksAcross + bxFirst + i);
      const job = pool.run({
        session,
        file: info.file,
        offsets: Float64Array.from(index, (k) => offsets[k]!),
        counts: Float64Array.from(index, (k) => counts[k]!),
        rows,
        width: info.blockWidth,
        bits: deflate.bits,
        samples: deflate.samples,
        predictor: deflate.predictor,
        count: plan ? Uint8Array.from(part, (i) => (plan[i] === 1 ? 1 : 0)) : null,
        u8: info.dataType === 'uint8',
        keep: keepClasses,
        ...(classify ? { classify, fill: info.nodata ?? 0 } : {}),
      });
      jobs.push(
        job.then(
          (r) => {
            if (r.error) {
              const bx = bxFirst + part[r.error.block]!;
              throw new GreenmineError('RASTER_DECODE', `${info.file}: cannot read block ${bx},${by} (${r.error.message}); the file may be truncated or corrupt`, { file: info.file, path: `block ${bx},${by}` });
            }
            part.forEach((i, k) => {
              const data = r.blocks[k];
              if (data) blocks[i] = classify ? new Uint8Array(data) : (this.image.getArrayForSample(deflate.samples === 1 ? this.band - 1 : 0, data) as RasterBlock);
              const bits = r.bits?.[k];
              if (bits && bitsOut) bitsOut[i] = new Uint32Array(bits);
            });
          },
          (err: unknown) => {
            // The pool's own failure (a worker died): name the raster.
            if (err instanceof GreenmineError && err.code === 'RASTER_WORKER') throw new GreenmineError(err.code, `${info.file}: ${err.message}`, { file: info.file });
            throw err;
          },
        ),
      );
    }
    await Promise.all(jobs);
    return blocks;
  }

  /** Pixel area in m² for row `row` (constant for projected rasters; on the ellipsoid for geographic ones). */
  pixelAreaM2(row: number): number {
    const t = this.info.transform;
    if (!this.info.crs.geographic) return Math.abs(t[1] * t[5] - t[2] * t[4]);
    const lat1 = t[3] + row * t[5];
    const lat2 = lat1 + t[5];
    return Math.abs(ellipsoidBandAreaM2(lat1, lat2) * (Math.abs(t[1]) / 360));
  }

  describe(): string {
    const i = this.info;
    return `${i.width}×${i.height} ${i.dataType}, ${i.tiled ? 'tiled' : 'striped'} ${i.blockWidth}×${i.blockHeight}, ${i.compression}, ${crsLabel(i.crs)}`;
  }

  async close(): Promise<void> {
    if (this.pooled) this.pool?.release(this.info.file);
    await this.tiff.close?.();
  }
}

/** Width, height and block size within what a real raster has, so no allocation follows a header's fantasy. */
function checkDimensions(image: GeoTIFFImage, file: string): void {
  const width = image.getWidth();
  const height = image.getHeight();
  const bw = image.getTileWidth();
  const bh = image.getTileHeight();
  const dims = [width, height, bw, bh];
  const samples = image.getSamplesPerPixel() as unknown;
  const bits = image.getFileDirectory().getValue('BitsPerSample') as unknown;
  const bitsCount = typeof bits === 'number' ? 1 : ArrayBuffer.isView(bits) || Array.isArray(bits) ? (bits as ArrayLike<number>).length : 0;
  if (!(typeof samples === 'number' && Number.isInteger(samples) && samples >= 1 && samples <= 1024) || (bitsCount !== samples && bitsCount !== 1)) {
    throw new GreenmineError('RASTER_DAMAGED', `${file}: SamplesPerPixel ${Array.isArray(samples) || ArrayBuffer.isView(samples) ? '(a list)' : String(samples)} with ${bitsCount} BitsPerSample value(s); the directory is damaged`, { file });
  }
  if (!dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new GreenmineError('RASTER_DAMAGED', `${file}: width ${width}, height ${height}, block ${bw}×${bh}: every size must be a whole number ≥ 1`, { file });
  }
  if (width > MAX_RASTER_SIDE || height > MAX_RASTER_SIDE) {
    throw new GreenmineError('RASTER_TOO_LARGE', `${file}: ${width}×${height} pixels; greenmine reads rasters up to ${MAX_RASTER_SIDE} pixels a side (cut or coarsen it first)`, { file });
  }
  const bytes = bw * bh * (Number(image.getBitsPerSample(0) ?? 8) / 8) * image.getSamplesPerPixel();
  if (bytes > MAX_BLOCK_BYTES) {
    throw new GreenmineError('RASTER_TOO_LARGE', `${file}: one block of ${bw}×${bh} pixels is ${(bytes / 2 ** 20).toFixed(0)} MiB decoded; retile it: gdal_translate -co TILED=YES`, { file });
  }
}

/** Area (m²) between two parallels, all longitudes, on the GRS80/CGCS2000 ellipsoid. */
export function ellipsoidBandAreaM2(lat1Deg: number, lat2Deg: number): number {
  const a = 6378137;
  const f = 1 / 298.257222101;
  const e2 = f * (2 - f);
  const e = Math.sqrt(e2);
  const q = (latDeg: number): number => {
    const s = Math.sin((latDeg * Math.PI) / 180);
    return s / (1 - e2 * s * s) + (1 / (2 * e)) * Math.log((1 + e * s) / (1 - e * s));
  };
  const b2 = a * a * (1 - e2);
  return Math.PI * b2 * Math.abs(q(lat2Deg) - q(lat1Deg));
}
