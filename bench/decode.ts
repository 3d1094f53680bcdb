import type { License } from '../src/license/index.js';
import { PolygonCoverage, type RasterBlock, RasterReader, toPixelPolygons } from '../src/raster/index.js';
import { consume } from './harness.js';

/**
 * Decode the blocks of a raster as the class-area pipeline reads them: a
 * block row in flight with the next rows prefetched, through the inflate pool
 * when the raster uses it, every block returned to the main thread. With a
 * license, only the blocks it meets (the pipeline reads no others).
 */
export async function decodeAll(path: string, license?: License): Promise<number> {
  const reader = await RasterReader.open(path);
  const last = reader.blocksAcross - 1;
  const { blockWidth: bw, blockHeight: bh } = reader.info;
  const zone = license
    ? new PolygonCoverage(
        toPixelPolygons(
          license.blocks.map((b) => b.rings),
          license.crs,
          reader,
        ),
        'fractional',
      )
    : null;
  let decoded = 0;
  const row = (by: number): Promise<Array<RasterBlock | null>> => {
    const plan = zone ? Uint8Array.from({ length: last + 1 }, (_, bx) => (zone.rectangle(bx * bw, by * bh, (bx + 1) * bw, (by + 1) * bh) === 0 ? 2 : 0)) : null;
    if (reader.pool) return reader.readBlockRowPooled(by, 0, last, plan);
    return Promise.all(Array.from({ length: last + 1 }, (_, bx) => (plan?.[bx] === 2 ? null : reader.readBlock(bx, by))));
  };
  const ahead: Array<Promise<Array<RasterBlock | null>>> = [];
  for (let by = 0; by < Math.min(4, reader.blocksDown); by++) ahead.push(row(by));
  for (let by = 0; by < reader.blocksDown; by++) {
    const blocks = await ahead.shift()!;
    if (by + 4 < reader.blocksDown) ahead.push(row(by + 4));
    for (const b of blocks) {
      if (!b) continue;
      consume(b[0]!);
      decoded++;
    }
  }
  await reader.close();
  return decoded;
}
