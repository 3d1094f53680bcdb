/** TIFF predictors, undone on decoded blocks (shared by the reader and the inflate workers). */

/** Undo TIFF predictor 2 (horizontal differencing) or 3 (floating point) on one decoded block, in place or into a new buffer. */
export function unpredict(data: ArrayBufferLike, predictor: number, width: number, height: number, bits: number, samples = 1): ArrayBufferLike {
  const bytesPerSample = bits / 8;
  if (predictor === 2 && samples > 1) {
    // Pixel-interleaved samples: each sample differs from the same sample of the pixel before it.
    const a = bits === 8 ? new Uint8Array(data) : bits === 16 ? new Uint16Array(data) : bits === 32 ? new Uint32Array(data) : null;
    if (!a) throw new Error(`horizontal predictor over ${bits}-bit interleaved samples`);
    const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
    const rowLength = width * samples;
    for (let r = 0; r < height; r++) for (let i = r * rowLength + samples; i < (r + 1) * rowLength; i++) a[i] = ((a[i]! + a[i - samples]!) & mask) >>> 0;
    return data;
  }
  if (predictor !== 1 && samples > 1) throw new Error(`predictor ${predictor} over interleaved samples`);
  if (predictor === 2) {
    if (bits === 8) {
      const a = new Uint8Array(data);
      for (let r = 0; r < height; r++) for (let i = r * width + 1; i < (r + 1) * width; i++) a[i] = (a[i]! + a[i - 1]!) & 0xff;
    } else if (bits === 16) {
      const a = new Uint16Array(data);
      for (let r = 0; r < height; r++) for (let i = r * width + 1; i < (r + 1) * width; i++) a[i] = (a[i]! + a[i - 1]!) & 0xffff;
    } else if (bits === 32) {
      const a = new Uint32Array(data);
      for (let r = 0; r < height; r++) for (let i = r * width + 1; i < (r + 1) * width; i++) a[i] = (a[i]! + a[i - 1]!) >>> 0;
    } else return data;
    return data;
  }
  // Floating point: per row, undo the byte differences, then gather each sample's bytes (stored most significant first).
  const src = new Uint8Array(data);
  const rowBytes = width * bytesPerSample;
  if (bytesPerSample === 4) {
    const out = new Uint32Array(src.length / 4);
    for (let r = 0; r < height; r++) {
      const o = r * rowBytes;
      let acc = 0;
      for (let k = o; k < o + rowBytes; k++) src[k] = acc = (acc + src[k]!) & 0xff;
      const o1 = o + width,
        o2 = o + 2 * width,
        o3 = o + 3 * width,
        d = r * width;
      for (let i = 0; i < width; i++) out[d + i] = ((src[o + i]! << 24) | (src[o1 + i]! << 16) | (src[o2 + i]! << 8) | src[o3 + i]!) >>> 0;
    }
    return out.buffer;
  }
  const out = new Uint8Array(src.length);
  for (let r = 0; r < height; r++) {
    const o = r * rowBytes;
    for (let k = o + 1; k < o + rowBytes; k++) src[k] = (src[k]! + src[k - 1]!) & 0xff;
    for (let i = 0; i < width; i++) {
      const d = o + i * bytesPerSample;
      for (let b = 0; b < bytesPerSample; b++) out[d + bytesPerSample - 1 - b] = src[o + b * width + i]!;
    }
  }
  return out.buffer;
}
