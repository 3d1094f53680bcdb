/**
 * Hand-made little-endian TIFFs for the hostile-file tests: any tag, any
 * value, blocks placed after the header and their offsets filled in, several
 * IFDs and a next-IFD pointer that may loop.
 */
export interface Tag {
  tag: number;
  /** 2 ascii, 3 short, 4 long, 11 float, 12 double. */
  type: 2 | 3 | 4 | 11 | 12;
  values: number[] | string;
}

export interface CraftIfd {
  tags: Tag[];
  /** Block bytes; their offsets and byte counts are added (tiles when tag 322 is present, else strips) unless `rawOffsets`. */
  blocks?: Uint8Array[];
  rawOffsets?: boolean;
}

const SIZE: Record<number, number> = { 2: 1, 3: 2, 4: 4, 11: 4, 12: 8 };

/** GeoKeys for a projected CRS given by EPSG code (PixelIsArea unless `pixelIsPoint`). */
export function geoKeys(epsg: number, pixelIsPoint = false): Tag {
  return { tag: 34735, type: 3, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, pixelIsPoint ? 2 : 1, 3072, 0, 1, epsg] };
}

/** The tags of a north-up w × h uint8 raster in one strip, 1 m pixels at (x0, y0), EPSG:4549. */
export function baseTags(w: number, h: number, extra: Tag[] = [], x0 = 494671, y0 = 3384582): Tag[] {
  const tags: Tag[] = [
    { tag: 256, type: 4, values: [w] },
    { tag: 257, type: 4, values: [h] },
    { tag: 258, type: 3, values: [8] },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [1] },
    { tag: 277, type: 3, values: [1] },
    { tag: 278, type: 4, values: [h] },
    { tag: 339, type: 3, values: [1] },
    { tag: 33550, type: 12, values: [1, 1, 0] },
    { tag: 33922, type: 12, values: [0, 0, 0, x0, y0, 0] },
    geoKeys(4549),
  ];
  for (const e of extra) {
    const i = tags.findIndex((t) => t.tag === e.tag);
    if (i >= 0) tags[i] = e;
    else tags.push(e);
  }
  return tags;
}

export function craftTiff(ifds: CraftIfd[], options: { loop?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  let pos = 8;
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  parts.push(header);
  // Blocks first.
  const placed = ifds.map((ifd) => {
    const offsets: number[] = [];
    const counts: number[] = [];
    for (const b of ifd.blocks ?? []) {
      offsets.push(pos);
      counts.push(b.length);
      parts.push(Buffer.from(b));
      pos += b.length;
      if (pos % 2) {
        parts.push(Buffer.alloc(1));
        pos++;
      }
    }
    return { offsets, counts };
  });
  const ifdPositions: number[] = [];
  const ifdBuffers: Array<{ at: number; body: Buffer; blobs: Array<[number, Buffer]> }> = [];
  ifds.forEach((ifd, n) => {
    const tags = [...ifd.tags];
    if (ifd.blocks && !ifd.rawOffsets) {
      const tiled = tags.some((t) => t.tag === 322);
      tags.push({ tag: tiled ? 324 : 273, type: 4, values: placed[n]!.offsets });
      tags.push({ tag: tiled ? 325 : 279, type: 4, values: placed[n]!.counts });
    }
    tags.sort((a, b) => a.tag - b.tag);
    const at = pos;
    ifdPositions.push(at);
    const size = 2 + tags.length * 12 + 4;
    const body = Buffer.alloc(size);
    body.writeUInt16LE(tags.length, 0);
    let extra = at + size;
    const blobs: Array<[number, Buffer]> = [];
    tags.forEach((t, i) => {
      const o = 2 + i * 12;
      const count = t.type === 2 ? (t.values as string).length : (t.values as number[]).length;
      const bytes = Buffer.alloc(Math.max(4, count * SIZE[t.type]!));
      if (t.type === 2) bytes.write(t.values as string, 0, 'latin1');
      else
        (t.values as number[]).forEach((v, k) => {
          if (t.type === 3) bytes.writeUInt16LE(v, k * 2);
          else if (t.type === 4) bytes.writeUInt32LE(v, k * 4);
          else if (t.type === 11) bytes.writeFloatLE(v, k * 4);
          else bytes.writeDoubleLE(v, k * 8);
        });
      body.writeUInt16LE(t.tag, o);
      body.writeUInt16LE(t.type, o + 2);
      body.writeUInt32LE(count, o + 4);
      if (count * SIZE[t.type]! <= 4) bytes.copy(body, o + 8, 0, 4);
      else {
        body.writeUInt32LE(extra, o + 8);
        blobs.push([extra, bytes]);
        extra += bytes.length + (bytes.length % 2);
      }
    });
    ifdBuffers.push({ at, body, blobs });
    pos = extra;
  });
  ifdBuffers.forEach((b, n) => {
    const next = n + 1 < ifdBuffers.length ? ifdPositions[n + 1]! : options.loop ? ifdPositions[0]! : 0;
    b.body.writeUInt32LE(next, b.body.length - 4);
  });
  header.writeUInt32LE(ifdPositions[0]!, 4);
  const out = Buffer.alloc(pos);
  let w = 0;
  for (const p of parts) {
    p.copy(out, w);
    w += p.length;
  }
  for (const b of ifdBuffers) {
    b.body.copy(out, b.at);
    for (const [at, bytes] of b.blobs) bytes.copy(out, at);
  }
  return out;
}
