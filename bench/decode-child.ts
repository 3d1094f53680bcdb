/**
 * Decoding alone, in a process of its own (the imagery benchmark compares `greenmine classify`, also a
 * process, with it): every block of every band of the image given, read as classify reads them — a
 * DEFLATE scene whose bands lie together through the inflate pool's workers, else on libuv's threads —
 * a block row in flight while the one before is touched. Prints a sum of the blocks' first samples.
 * Usage: node dist/bench/decode-child.js <image.tif>
 */
import { type RasterBlock, RasterReader } from '../src/raster/index.js';

async function decodeAllBands(path: string): Promise<number> {
  const r = await RasterReader.open(path);
  let sum = 0;
  try {
    let next: Promise<RasterBlock[]> | null = null;
    const row = (by: number): Promise<RasterBlock[]> => (r.poolAll ? r.readBlocksAllPooled(by, 0, r.blocksAcross - 1) : Promise.all(Array.from({ length: r.blocksAcross }, (_, bx) => r.readBlockAll(bx, by))));
    for (let by = 0; by < r.blocksDown; by++) {
      const blocks = await (next ?? row(by));
      next = by + 1 < r.blocksDown ? row(by + 1) : null;
      for (const b of blocks) sum += b[0]!;
    }
  } finally {
    await r.close();
  }
  return sum;
}

const image = process.argv[2];
if (!image) {
  console.error('usage: decode-child <image.tif>');
  process.exit(2);
}
console.log(String(await decodeAllBands(image)));
