import { RasterReader, type RasterBlock } from '../src/raster/index.js';
import { consume } from './harness.js';

/** Decode every block of a raster, a whole block row in flight with the next row prefetched (as the pipelines read). */
export async function decodeAll(path: string): Promise<void> {
  const reader = await RasterReader.open(path);
  const row = (by: number): Promise<RasterBlock[]> => Promise.all(Array.from({ length: reader.blocksAcross }, (_, bx) => reader.readBlock(bx, by)));
  let pending = row(0);
  for (let by = 0; by < reader.blocksDown; by++) {
    const blocks = await pending;
    if (by + 1 < reader.blocksDown) pending = row(by + 1);
    for (const b of blocks) consume(b[0]!);
  }
  await reader.close();
}
