/**
 * Decoded blocks shared by every reader opened with the same cache: an audit
 * reads the latest class raster for six checks and the DEM for two, and each
 * would otherwise inflate the same blocks again (about a fifth of a demo
 * audit's CPU time, measured). Keys name the file by device, inode, size and
 * modification time, the image (overview), the band and the nodata value, so a
 * file replaced between two opens is never served from the cache. Bounded by bytes, least
 * recently used out; blocks handed out are shared and must not be written to
 * (no reader's caller does).
 */
import type { RasterBlock } from './reader.js';

export class BlockCache {
  private readonly blocks = new Map<string, { block: Promise<RasterBlock>; bytes: number }>();
  private bytes = 0;
  /** Blocks served without decoding, and blocks decoded (for tests and benchmarks). */
  hits = 0;
  misses = 0;

  /** At most `maxBytes` of decoded blocks are kept (default 64 MiB). */
  constructor(readonly maxBytes = 64 << 20) {}

  /** The block under `key`, decoded by `decode` if it is not held; `bytes` is its decoded size. */
  get(key: string, bytes: number, decode: () => Promise<RasterBlock>): Promise<RasterBlock> {
    const held = this.blocks.get(key);
    if (held) {
      this.hits++;
      this.blocks.delete(key);
      this.blocks.set(key, held);
      return held.block;
    }
    this.misses++;
    const block = decode();
    if (bytes > this.maxBytes) return block;
    this.blocks.set(key, { block, bytes });
    this.bytes += bytes;
    // A failed decode is not kept (the next reader tries again and gets its own error).
    block.catch(() => {
      if (this.blocks.get(key)?.block === block) this.drop(key);
    });
    for (const k of this.blocks.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k);
    }
    return block;
  }

  /** Bytes of decoded blocks held. */
  get heldBytes(): number {
    return this.bytes;
  }

  private drop(key: string): void {
    const held = this.blocks.get(key);
    if (!held) return;
    this.blocks.delete(key);
    this.bytes -= held.bytes;
  }
}
