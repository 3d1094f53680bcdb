/**
 * A slope raster (degrees, as `gdaldem slope -compute_edges`) written as a
 * tiled DEFLATE float32 GeoTIFF, one band of 256 rows in memory at a time.
 * The output is checked against the DEM (never over it) and written
 * atomically (a failure leaves no file).
 */
import { GreenmineError } from '../errors.js';
import { checkOutput } from '../io/files.js';
import { RasterReader, writeTiledTiff } from '../raster/index.js';
import { type SlopeAlgorithm, SlopeRows } from './slope.js';

export async function writeSlopeRaster(demPath: string, outPath: string, options: { algorithm?: SlopeAlgorithm } = {}): Promise<{ width: number; height: number }> {
  checkOutput(outPath, [demPath], 'slope raster');
  const reader = await RasterReader.open(demPath);
  try {
    const { width, height, transform, crs } = reader.info;
    if (crs.epsg === null) throw new GreenmineError('CRS_UNSUPPORTED', `${demPath}: the slope raster is written with an EPSG code; this DEM has a custom CRS`, { file: demPath });
    const slopes = new SlopeRows(reader, options.algorithm ?? 'horn');
    const tile = 256;
    const band = new Float32Array(width * tile);
    await writeTiledTiff(
      outPath,
      { width, height, tileSize: tile, type: 'float32', deflate: true, originX: transform[0], originY: transform[3], pixelSize: transform[1], epsg: crs.epsg, geographic: crs.geographic, nodata: '-9999' },
      (tx, _ty, out) => {
        for (let r = 0; r < tile; r++) {
          for (let c = 0; c < tile; c++) {
            const x = tx * tile + c;
            out[r * tile + c] = x < width ? band[r * width + x]! : -9999;
          }
        }
      },
      async (ty) => {
        band.fill(-9999);
        const rows = Math.min(tile, height - ty * tile);
        for (let r = 0; r < rows; r++) {
          const s = await slopes.row(ty * tile + r);
          for (let c = 0; c < width; c++) band[r * width + c] = Number.isNaN(s[c]!) ? -9999 : s[c]!;
        }
      },
    );
    return { width, height };
  } finally {
    await reader.close();
  }
}
