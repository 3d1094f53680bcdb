/**
 * Imagery: JPEG-YCbCr tiles decoded byte for byte as GDAL decodes them, and the
 * classification against the scene's truth and against an independent numpy +
 * scikit-image computation of the same rules (fixtures/make_imagery.py).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dilateRows } from '../src/imagery/classify.js';
import { ClassifyKernel } from '../src/imagery/classify-kernel.js';
import { classifyImagery } from '../src/imagery/index.js';
import { otsu } from '../src/imagery/otsu.js';
import { loadLicenses } from '../src/license/index.js';
import { RasterReader } from '../src/raster/index.js';
import { errorCode, fixture, rng, run } from './helpers.js';
import { baseTags, craftTiff } from './tiff-craft.js';

const EXPECTED = JSON.parse(readFileSync(fixture('imagery/EXPECTED.json'), 'utf8')) as {
  images: Record<string, { kind: string; method: string; decodedSha256: string; otsuThreshold: number; greenRatioTruth: number; judgedPixels: number }>;
};
const IMAGES = Object.keys(EXPECTED.images);
const tmp = mkdtempSync(join(tmpdir(), 'greenmine-imagery-'));

/** Every band of the image, pixel-interleaved, as the reader decodes them (the first `keep` bands). */
async function decodeAll(path: string, keep?: number): Promise<Uint8Array> {
  const r = await RasterReader.open(path);
  const { width, height, blockWidth, blockHeight, bands } = r.info;
  const nb = keep ?? bands;
  const out = r.info.dataType === 'uint16' ? new Uint16Array(width * height * nb) : new Uint8Array(width * height * nb);
  for (let by = 0; by < r.blocksDown; by++) {
    for (let bx = 0; bx < r.blocksAcross; bx++) {
      const b = await r.readBlockAll(bx, by);
      for (let y = 0; y < blockHeight && by * blockHeight + y < height; y++) {
        for (let x = 0; x < blockWidth && bx * blockWidth + x < width; x++) {
          for (let c = 0; c < nb; c++) out[((by * blockHeight + y) * width + bx * blockWidth + x) * nb + c] = b[(y * blockWidth + x) * bands + c]!;
        }
      }
    }
  }
  await r.close();
  return new Uint8Array(out.buffer);
}

async function band1(path: string): Promise<Uint8Array> {
  return decodeAll(path, 1);
}

describe('JPEG-compressed TIFFs', () => {
  it('decode to the bytes GDAL gives (YCbCr orthophotos at quality 75 and 95), and other layouts too', async () => {
    for (const name of IMAGES) {
      const decoded = await decodeAll(fixture(`imagery/${name}`), name === 'ortho_rgba.tif' ? 3 : undefined);
      expect(createHash('sha256').update(decoded).digest('hex'), name).toBe(EXPECTED.images[name]!.decodedSha256);
    }
    const info = (await RasterReader.open(fixture('imagery/ortho_q75.tif'))).info;
    expect(info.compression).toBe('JPEG');
    expect(info.photometric).toBe(6);
  });

  it('a damaged JPEG tile is a coded error naming the block', async () => {
    const bytes = Buffer.from(readFileSync(fixture('imagery/ortho_q75.tif')));
    // Overwrite the middle of the file (inside tile data) with garbage.
    bytes.fill(0x55, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 4000);
    const bad = join(tmp, 'damaged_jpeg.tif');
    writeFileSync(bad, bytes);
    const r = await RasterReader.open(bad);
    const codes: string[] = [];
    for (let by = 0; by < r.blocksDown; by++) {
      for (let bx = 0; bx < r.blocksAcross; bx++) {
        await r.readBlockAll(bx, by).catch((err: { code?: string; message: string }) => codes.push(`${err.code}: ${err.message}`));
      }
    }
    expect(codes.length).toBeGreaterThan(0);
    expect(codes[0]).toMatch(/^RASTER_DECODE: .*damaged_jpeg\.tif: cannot read block \d+,\d+/);
  });
});

describe('hostile JPEG tiles', () => {
  it('a tile whose JPEG header claims more pixels than the TIFF block is refused by code before decoding', async () => {
    const sharp = (await import('sharp')).default;
    const jpeg = Buffer.from(
      await sharp(Buffer.alloc(16 * 16 * 3, 128), { raw: { width: 16, height: 16, channels: 3 } })
        .jpeg()
        .toBuffer(),
    );
    // The frame header (SOF0: FF C0, length, precision, height, width) patched to claim far more than the TIFF's 16² tile.
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    jpeg.writeUInt16BE(4_000, sof + 5);
    jpeg.writeUInt16BE(4_000, sof + 7);
    const tags = baseTags(16, 16, [
      { tag: 258, type: 3, values: [8, 8, 8] },
      { tag: 259, type: 3, values: [7] },
      { tag: 262, type: 3, values: [6] },
      { tag: 277, type: 3, values: [3] },
      { tag: 278, type: 4, values: [16] },
      { tag: 339, type: 3, values: [1, 1, 1] },
    ]);
    const file = join(tmp, 'jpeg_bomb.tif');
    writeFileSync(file, craftTiff([{ tags, blocks: [new Uint8Array(jpeg)] }]));
    const r = await RasterReader.open(file);
    const before = process.memoryUsage().rss;
    const err = await r.readBlockAll(0, 0).catch((e: { code?: string; message: string }) => e);
    expect((err as { code?: string }).code).toBe('RASTER_DECODE');
    expect((err as { message: string }).message).toContain('jpeg_bomb.tif');
    // Refused on the header, before libjpeg reads a scanline (4 000² RGB would be 48 MB, and a header may claim far more).
    expect((err as { message: string }).message).toContain("declares more pixels than the TIFF's 16 × 16 block");
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
    await r.close();
  });
});

describe('classify', () => {
  it('agrees with numpy + scikit-image (Otsu within one bin, ≥ 99.9 % alike) and with the truth (≥ 97 %, green ratio within 1 point)', async () => {
    const licenses = await loadLicenses(fixture('imagery/license.geojson'));
    const truth = await band1(fixture('imagery/truth.tif'));
    for (const name of IMAGES) {
      const e = EXPECTED.images[name]!;
      const out = join(tmp, `classes_${name}`);
      const report = await classifyImagery(fixture(`imagery/${name}`), out, { licenses });
      expect(report.method).toBe(e.method);
      expect(Math.abs(report.threshold.value - e.otsuThreshold), name).toBeLessThanOrEqual(report.threshold.binWidth);
      // The same pixels judged, to the boundary pixels of the polygon (GDAL's rasteriser and ours may differ on a few).
      expect(Math.abs(report.histogram.counts.reduce((s, c) => s + c, 0) - e.judgedPixels) / e.judgedPixels).toBeLessThan(1e-4);
      const ours = await band1(out);
      const ref = await band1(fixture(`imagery/ref_${name}`));
      let alike = 0;
      let right = 0;
      let judged = 0;
      for (let i = 0; i < ours.length; i++) {
        if (ours[i] === ref[i]) alike++;
        if (truth[i] === 0 || truth[i] === 4 || ours[i] === 0) continue;
        judged++;
        if (ours[i] === truth[i]) right++;
      }
      expect(alike / ours.length, name).toBeGreaterThanOrEqual(0.999);
      expect(right / judged, name).toBeGreaterThanOrEqual(0.97);
      expect(Math.abs(report.greenRatio! - e.greenRatioTruth), name).toBeLessThan(0.01);
      expect(report.separability!).toBeGreaterThan(0.5);
      expect(report.areasM2.shadow).toBeGreaterThan(0); // the cast shadow is reported, not judged
      expect(JSON.parse(readFileSync(report.scheme, 'utf8')).classes['4'].group).toBe('other');
    }
  });

  it('alpha 0 is no data: partial cover of the license is a finding with the share', async () => {
    const licenses = await loadLicenses(fixture('imagery/license.geojson'));
    const report = await classifyImagery(fixture('imagery/ortho_rgba.tif'), join(tmp, 'rgba.tif'), { licenses });
    const f = report.findings.find((x) => x.code === 'CLASSIFY_PARTIAL_COVER');
    expect(f?.message).toMatch(/covers 9\d\.\d %/);
    expect(report.coveredShare).toBeLessThan(0.999);
    expect(report.areasM2.nodata).toBeGreaterThan(0);
  });

  it('bad input gets coded errors naming the file', async () => {
    const out = join(tmp, 'bad.tif');
    expect(await errorCode(() => classifyImagery(fixture('imagery/truth.tif'), out))).toBe('CLASSIFY_BANDS'); // one band, no names
    expect(await errorCode(() => classifyImagery(fixture('imagery/ortho_q75.tif'), out, { method: 'ndvi' }))).toBe('CLASSIFY_NO_NIR');
    expect(await errorCode(() => classifyImagery(fixture('imagery/ortho_q75.tif'), out, { bands: ['R', 'G'] }))).toBe('CLASSIFY_BANDS');
    expect(await errorCode(() => classifyImagery(fixture('imagery/ms4.tif'), out, { bands: ['B', 'NIR', '-', '-'] }))).toBe('CLASSIFY_NOT_RGB'); // no red
    const elsewhere = await loadLicenses(fixture('scene-a/license_corners.txt'));
    expect(await errorCode(() => classifyImagery(fixture('imagery/ortho_q75.tif'), out, { licenses: elsewhere }))).toBe('CLASSIFY_NO_OVERLAP');
    expect(existsSync(out)).toBe(false);
  });

  it('a unimodal histogram is CLASSIFY_LOW_SEPARABILITY; a fixed threshold is used as given', async () => {
    // 64 × 64 RGB noise around one colour: no two modes.
    const w = 64;
    const px = new Uint8Array(w * w * 3);
    let seed = 7;
    for (let i = 0; i < px.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      px[i] = [120, 130, 100][i % 3]! + ((seed >>> 16) % 21) - 10;
    }
    const tags = baseTags(w, w, [
      { tag: 258, type: 3, values: [8, 8, 8] },
      { tag: 262, type: 3, values: [2] },
      { tag: 277, type: 3, values: [3] },
      { tag: 339, type: 3, values: [1, 1, 1] },
    ]);
    const file = join(tmp, 'flat_rgb.tif');
    writeFileSync(file, craftTiff([{ tags, blocks: [px] }]));
    const report = await classifyImagery(file, join(tmp, 'flat_classes.tif'));
    expect(report.findings.map((f) => f.code)).toContain('CLASSIFY_LOW_SEPARABILITY');
    const fixed = await classifyImagery(file, join(tmp, 'flat_fixed.tif'), { threshold: 0.5 });
    expect(fixed.threshold).toMatchObject({ value: 0.5, source: 'fixed' });
    expect(fixed.greenRatio).toBe(0); // ExG of these greys is far below 0.5
  });

  it('Otsu on a two-spike histogram splits between them, with separability 1', () => {
    const counts = new Array(10).fill(0);
    counts[2] = 50;
    counts[7] = 50;
    const o = otsu(counts, 0, 10)!;
    expect(o.bin).toBeGreaterThanOrEqual(2);
    expect(o.bin).toBeLessThan(7);
    expect(o.separability).toBeCloseTo(1, 10);
    expect(otsu(new Array(10).fill(0), 0, 1)).toBeNull();
  });
});

describe('the license and its buffer as row spans', () => {
  it('a square dilation of the rows equals the brute-force dilation of their mask', () => {
    const random = rng(41);
    for (let trial = 0; trial < 60; trial++) {
      const width = 1 + Math.floor(random() * 50);
      const height = 1 + Math.floor(random() * 50);
      const px = 1 + Math.floor(random() * 12);
      const rows = Array.from({ length: height }, () => {
        const spans: number[] = [];
        for (let x = Math.floor(random() * width); x < width; ) {
          const end = Math.min(width, x + 1 + Math.floor(random() * 8));
          if (random() < 0.4) spans.push(x, end);
          x = end + 1 + Math.floor(random() * 10);
        }
        return random() < 0.3 ? [] : spans;
      });
      const mask = (r: number, c: number): boolean => rows[r]!.some((_, k) => k % 2 === 0 && c >= rows[r]![k]! && c < rows[r]![k + 1]!);
      const expected = Array.from({ length: height }, (_, r) => {
        const out: number[] = [];
        for (let c = 0; c < width; c++) {
          let on = false;
          for (let q = Math.max(0, r - px); q <= Math.min(height - 1, r + px) && !on; q++) for (let x = Math.max(0, c - px); x <= Math.min(width - 1, c + px) && !on; x++) on = mask(q, x);
          if (on && out.length && out[out.length - 1] === c) out[out.length - 1] = c + 1;
          else if (on) out.push(c, c + 1);
        }
        return out;
      });
      const start = Int32Array.from({ length: height + 1 }, (_, r) => rows.slice(0, r).reduce((n, spans) => n + spans.length, 0));
      const got = dilateRows({ start, data: Int32Array.from(rows.flat()) }, px, width);
      expect(
        Array.from({ length: height }, (_, r) => Array.from(got.data.subarray(got.start[r]!, got.start[r + 1]!))),
        `trial ${trial}`,
      ).toEqual(expected);
    }
  });
});

describe('the two ExG kernels, and image layouts', () => {
  /** Classify with the WebAssembly kernel, then with the JavaScript one (GREENMINE_NO_WASM), into two files; each run checked to have taken its path. */
  async function both(image: string, options: Parameters<typeof classifyImagery>[2], name: string) {
    const create = vi.spyOn(ClassifyKernel, 'create');
    try {
      const a = await classifyImagery(image, join(tmp, `${name}-wasm.tif`), options);
      expect(create.mock.results.at(-1)?.value, `${name}: the WebAssembly kernel`).not.toBeNull();
      vi.stubEnv('GREENMINE_NO_WASM', '1');
      const b = await classifyImagery(image, join(tmp, `${name}-js.tif`), options);
      expect(create.mock.results.at(-1)?.value, `${name}: the JavaScript kernel`).toBeNull();
      return [a, b] as const;
    } finally {
      vi.unstubAllEnvs();
      create.mockRestore();
    }
  }

  it('WebAssembly and JavaScript give the same classes, histogram and areas (license and buffer, alpha, internal mask, another water ratio)', async () => {
    const licenses = await loadLicenses(fixture('imagery/license.geojson'));
    const cases: Array<[string, Parameters<typeof classifyImagery>[2]]> = [
      ['ortho_q75.tif', { licenses, bufferM: 3 }],
      ['ortho_rgba.tif', { licenses }],
      ['ortho_mask.tif', { licenses, bufferM: 2 }],
      ['ortho_q95.tif', { waterBlueRatio: 1.2 }],
      ['ortho_q95.tif', { threshold: -2 }],
      // The other indices (index_span): 16-bit NIR scenes through the reflectance table, RGB with alpha and a mask.
      ['ms4.tif', { licenses, bufferM: 3 }],
      ['ms4.tif', { method: 'savi' }],
      ['ms4.tif', { method: 'ndvi', threshold: 0.3 }],
      ['ortho_q95.tif', { method: 'gli' }],
      ['ortho_rgba.tif', { method: 'vari', licenses }],
      ['ortho_mask.tif', { method: 'gli', licenses, bufferM: 2 }],
    ];
    for (const [i, [name, options]] of cases.entries()) {
      const [a, b] = await both(fixture(`imagery/${name}`), options, `kernels-${i}`);
      expect(readFileSync(a.out).equals(readFileSync(b.out)), name).toBe(true);
      expect(a.histogram, name).toEqual(b.histogram);
      expect(a.areasM2, name).toEqual(b.areasM2);
      expect(a.threshold, name).toEqual(b.threshold);
      expect(a.areasM2.green + a.areasM2.bare, name).toBeGreaterThan(0);
    }
  });

  it("8-bit RGB on every exact bin edge, shadow edge, water edge and black: the sixteen-pixel path gives the table's codes", async () => {
    const pixels: Array<[number, number, number]> = [[0, 0, 0]];
    // Every (G, R + B) with 250·G / S a whole number (S = G + R + B), and its neighbours one level off.
    for (let g = 0; g < 256; g++) {
      for (let x = 0; x <= 510; x++) {
        if (g + x > 0 && (250 * g) % (g + x) === 0) {
          const r = Math.min(255, x);
          pixels.push([r, g, x - r], [Math.max(0, r - 1), g, x - r], [r, Math.min(255, g + 1), x - r]);
        }
      }
    }
    // Sums around the shadow edge (153) and the water edge (268), blue above 1.4 × red or just not.
    for (let sum = 150; sum < 156; sum++) pixels.push([sum - 100, 50, 50], [50, sum - 100, 50]);
    for (let r = 20; r < 60; r++) pixels.push([r, 40, Math.round(1.4 * r)], [r, 40, Math.round(1.4 * r) + 1], [r, 60, 267 - r - 60]);
    const random = rng(33);
    while (pixels.length < 512 * 512) pixels.push([Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)]);
    const strip = Uint8Array.from(pixels.flat());
    const path = join(tmp, 'edges.tif');
    const tags = baseTags(512, 512, [
      { tag: 258, type: 3, values: [8, 8, 8] },
      { tag: 262, type: 3, values: [2] },
      { tag: 277, type: 3, values: [3] },
      { tag: 284, type: 3, values: [1] },
    ]);
    writeFileSync(path, craftTiff([{ tags, blocks: [strip] }]));
    const [a, b] = await both(path, { threshold: 0.1 }, 'edges');
    expect(readFileSync(a.out).equals(readFileSync(b.out))).toBe(true);
    expect(a.histogram).toEqual(b.histogram);
    expect(a.areasM2.water).toBeGreaterThan(0);
    expect(a.areasM2.shadow).toBeGreaterThan(0);
  });

  it('NDVI of 8- and 16-bit scenes on every bin edge, water edge and shadow edge: both kernels give the bins counted here in integers', async () => {
    /** The histogram, water and shadow of (B, G, R, N) pixels by the rules in exact integers: the largest bin b with b·(N + R) ≤ 250·N. */
    const expected = (pixels: number[][], shadowSum: number, nodata: number) => {
      const hist = new Array<number>(250).fill(0);
      let water = 0;
      let shadow = 0;
      let none = 0;
      for (const [B, G, R, N, A] of pixels as Array<[number, number, number, number, number?]>) {
        if (A === 0 || [B, G, R, N].includes(nodata)) none++;
        else if (G > N) water++;
        else if (B + G + R + N < shadowSum) shadow++;
        else if (N + R === 0) hist[125]!++;
        else {
          let b = 0;
          while (b < 249 && (b + 1) * (N + R) <= 250 * N) b++;
          hist[b]!++;
        }
      }
      return { hist, water, shadow, none };
    };
    const random = rng(41);
    const cases: Array<{ bits: 8 | 16; alpha: boolean; nodata: number; pixels: number[][]; shadowSum: number; order?: Array<'B' | 'G' | 'R' | 'NIR'> }> = [];
    // 8-bit B, G, R, NIR (the sixteen-pixel path): every (N, R) on a bin's edge and its neighbours, N + R = 0,
    // G one either side of N, sums either side of the shadow edge (4 · 255 · 0.07 = 71.4).
    const eight: number[][] = [[255, 0, 0, 0]];
    for (let n = 0; n < 256; n++) {
      for (let r = 0; r < 256; r++) {
        if (n + r > 0 && (250 * n) % (n + r) === 0) eight.push([255, n, r, n], [255, n, r, Math.max(0, n - 1)], [255, n, Math.min(255, r + 1), n], [0, n + 1 > 255 ? 0 : n + 1, r, n]);
      }
    }
    for (let sum = 68; sum < 76; sum++) eight.push([sum - 60, 20, 20, 20], [20, 20, sum - 60, 20]);
    while (eight.length < 512 * 512) eight.push([0, 0, 0, 0].map(() => Math.floor(random() * 256)));
    cases.push({ bits: 8, alpha: false, nodata: -1, pixels: eight.slice(0, 512 * 512), shadowSum: 72 });
    // The same pixels with the bands in another order in the file (the sixteen-pixel path reorders them).
    cases.push({ bits: 8, alpha: false, nodata: -1, pixels: eight.slice(0, 512 * 512), shadowSum: 72, order: ['NIR', 'R', 'B', 'G'] });
    // 16-bit B, G, R, NIR and alpha with a nodata value (one pixel at a time): edges N = b·m, N + R = 250·m.
    const sixteen: number[][] = [];
    for (let b = 0; b < 250; b++) {
      for (let m = 1; m <= 262; m += 13) sixteen.push([30000, b * m, (250 - b) * m, b * m, 1], [30000, b * m, (250 - b) * m + 1, b * m, 1], [30000, b * m + 1, (250 - b) * m, b * m, 1]);
    }
    for (let sum = 2796; sum < 2804; sum++) sixteen.push([sum - 1500, 500, 500, 500, 1]);
    while (sixteen.length < 301 * 203) sixteen.push([...[0, 0, 0, 0].map(() => Math.floor(random() * 65536)), random() < 0.05 ? 0 : 65535]);
    for (let i = 0; i < 200; i++) sixteen[Math.floor(random() * sixteen.length)]![Math.floor(random() * 4)] = 7;
    cases.push({ bits: 16, alpha: true, nodata: 7, pixels: sixteen.slice(0, 301 * 203), shadowSum: 2800 });
    for (const { bits, alpha, nodata, pixels, shadowSum, order = ['B', 'G', 'R', 'NIR'] as Array<'B' | 'G' | 'R' | 'NIR'> } of cases) {
      const bands = alpha ? 5 : 4;
      const at = order.map((role) => ['B', 'G', 'R', 'NIR'].indexOf(role));
      const [w, h] = bits === 8 ? [512, 512] : [301, 203];
      const samples = pixels.flatMap((p) => [...at.map((i) => p[i]!), ...p.slice(4)]);
      const strip = bits === 8 ? Uint8Array.from(samples) : new Uint8Array(Uint16Array.from(samples).buffer);
      const path = join(tmp, `ndvi-edges-${bits}-${order.join('')}.tif`);
      const tags = baseTags(w, h, [
        { tag: 258, type: 3, values: new Array(bands).fill(bits) },
        { tag: 277, type: 3, values: [bands] },
        { tag: 338, type: 3, values: alpha ? [0, 0, 0, 2] : [0, 0, 0] },
        ...(nodata >= 0 ? [{ tag: 42113, type: 2 as const, values: `${nodata}\0` }] : []),
      ]);
      writeFileSync(path, craftTiff([{ tags, blocks: [strip] }]));
      const [a, b] = await both(path, { bands: [...order, ...(alpha ? (['A'] as const) : [])], threshold: 0.1 }, `ndvi-edges-${bits}-${order.join('')}`);
      expect(readFileSync(a.out).equals(readFileSync(b.out)), `${bits}-bit`).toBe(true);
      expect(a.histogram, `${bits}-bit`).toEqual(b.histogram);
      const want = expected(pixels, shadowSum, nodata);
      expect(a.histogram.counts, `${bits}-bit bins`).toEqual(want.hist);
      expect([a.areasM2.water, a.areasM2.shadow, a.areasM2.nodata], `${bits}-bit water, shadow, no data`).toEqual([want.water, want.shadow, want.none]);
      expect(want.water * want.shadow * (bits === 16 ? want.none : 1), `${bits}-bit: every rule is taken`).toBeGreaterThan(0);
    }
  });

  it('float and signed 16-bit scenes with no data, NaN and infinities, in strips of odd widths: both kernels alike', async () => {
    const random = rng(21);
    const [w, h] = [301, 203];
    for (const [type, bits, format] of [
      ['float32', 32, 3],
      ['int16', 16, 2],
    ] as const) {
      const bytes = bits / 8;
      const strip = Buffer.alloc(w * h * 4 * bytes);
      for (let i = 0; i < w * h; i++) {
        const veg = Math.sin(i / 97) > 0;
        const px = veg ? [0.05, 0.08, 0.04, 0.45] : [0.12, 0.14, 0.18, 0.22];
        for (let b = 0; b < 4; b++) {
          let v = px[b]! + (random() - 0.5) * 0.04;
          const u = random();
          if (type === 'float32') {
            if (u < 0.01) v = Number.NaN;
            else if (u < 0.015) v = b === 2 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
            else if (u < 0.02) v = -1;
            strip.writeFloatLE(v, (i * 4 + b) * 4);
          } else strip.writeInt16LE(u < 0.02 ? -1 : Math.round(v * 10000), (i * 4 + b) * 2);
        }
      }
      const path = join(tmp, `ms-${type}.tif`);
      const tags = baseTags(w, h, [
        { tag: 258, type: 3, values: [bits, bits, bits, bits] },
        { tag: 277, type: 3, values: [4] },
        { tag: 278, type: 4, values: [h] },
        { tag: 338, type: 3, values: [0, 0, 0] },
        { tag: 339, type: 3, values: [format, format, format, format] },
        { tag: 42113, type: 2, values: '-1\0' },
      ]);
      writeFileSync(path, craftTiff([{ tags, blocks: [strip] }]));
      for (const method of ['ndvi', 'gli', 'vari', 'exg'] as const) {
        const [a, b] = await both(path, { bands: ['B', 'G', 'R', 'NIR'], method, ...(type === 'int16' ? { scale: 10000 } : {}) }, `ms-${type}-${method}`);
        expect(readFileSync(a.out).equals(readFileSync(b.out)), `${type} ${method}`).toBe(true);
        expect(a.histogram, `${type} ${method}`).toEqual(b.histogram);
        expect(a.areasM2, `${type} ${method}`).toEqual(b.areasM2);
        expect(a.areasM2.nodata, `${type} ${method}`).toBeGreaterThan(0);
      }
    }
  });

  it("an RGB image in strips (GDAL's default layout), 1000 pixels wide, gives the pixels the tiled one gives; both kernels alike with a nodata value", async () => {
    const pixels = await decodeAll(fixture('imagery/ortho_q95.tif'));
    const [w, h, rowsPerStrip] = [1000, 1000, 7];
    const strips: Uint8Array[] = [];
    for (let y0 = 0; y0 < h; y0 += rowsPerStrip) {
      const rows = Math.min(rowsPerStrip, h - y0);
      const strip = new Uint8Array(rows * w * 3);
      for (let r = 0; r < rows; r++) strip.set(pixels.subarray((y0 + r) * 1024 * 3, ((y0 + r) * 1024 + w) * 3), r * w * 3);
      strips.push(strip);
    }
    const tags = baseTags(w, h, [
      { tag: 258, type: 3, values: [8, 8, 8] },
      { tag: 262, type: 3, values: [2] },
      { tag: 277, type: 3, values: [3] },
      { tag: 278, type: 4, values: [rowsPerStrip] },
      { tag: 284, type: 3, values: [1] },
    ]);
    const stripped = join(tmp, 'strips.tif');
    writeFileSync(stripped, craftTiff([{ tags, blocks: strips }]));
    const fixed = { threshold: 0.1 };
    const tiled = await band1((await classifyImagery(fixture('imagery/ortho_q95.tif'), join(tmp, 'tiled-classes.tif'), fixed)).out);
    const [a, b] = await both(stripped, fixed, 'strips');
    const ours = await band1(a.out);
    expect(readFileSync(a.out).equals(readFileSync(b.out))).toBe(true);
    let same = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (ours[y * w + x] === tiled[y * 1024 + x]) same++;
    expect(same).toBe(w * h);
    // A nodata value that some pixels' bands take.
    const withNodata = join(tmp, 'strips-nodata.tif');
    writeFileSync(withNodata, craftTiff([{ tags: [...tags, { tag: 42113, type: 2, values: '60\0' }], blocks: strips }]));
    const [c, d] = await both(withNodata, fixed, 'strips-nodata');
    expect(readFileSync(c.out).equals(readFileSync(d.out))).toBe(true);
    expect(c.areasM2.nodata).toBeGreaterThan(0);
    expect(c.areasM2).toEqual(d.areasM2);
  });
});

describe('bands in separate files (Sentinel-2)', () => {
  const S2 = ['s2_B02.tif', 's2_B03.tif', 's2_B04.tif', 's2_B08.tif', 's2_B11.tif'].map((f) => fixture(`imagery/${f}`));

  it('roles from the names, the 20 m SWIR band sampled onto the 10 m grid: NDVI as the 4-band scene gives it, the bare-soil index right too', async () => {
    const licenses = await loadLicenses(fixture('imagery/license.geojson'));
    const ndvi = await classifyImagery(S2, join(tmp, 's2_ndvi.tif'), { licenses });
    expect(ndvi.bands).toEqual(['B', 'G', 'R', 'NIR', 'SWIR']);
    expect(ndvi.method).toBe('ndvi');
    const ours = await band1(join(tmp, 's2_ndvi.tif'));
    const ref = await band1(fixture('imagery/ref_ms4.tif'));
    let alike = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] === ref[i]) alike++;
    expect(alike / ours.length).toBeGreaterThanOrEqual(0.999);
    const bsi = await classifyImagery(S2, join(tmp, 's2_bsi.tif'), { licenses, method: 'bsi' });
    const truth = await band1(fixture('imagery/truth.tif'));
    const classes = await band1(join(tmp, 's2_bsi.tif'));
    let right = 0;
    let judged = 0;
    for (let i = 0; i < classes.length; i++) {
      if (truth[i] === 0 || truth[i] === 4 || classes[i] === 0 || classes[i] === 4) continue;
      judged++;
      if (classes[i] === truth[i]) right++;
    }
    expect(right / judged).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(bsi.greenRatio! - EXPECTED.images['ms4.tif']!.greenRatioTruth)).toBeLessThan(0.01);
  });

  it('files in different CRSs, files that do not overlap, a file whose band cannot be named: coded errors naming it', async () => {
    const other = join(tmp, 'B08_elsewhere.tif');
    writeFileSync(other, craftTiff([{ tags: baseTags(4, 4, [{ tag: 258, type: 3, values: [16] }]), blocks: [new Uint8Array(32)] }]));
    expect(await errorCode(() => classifyImagery([S2[2]!, other], join(tmp, 'x.tif')))).toBe('CLASSIFY_NO_OVERLAP');
    const crs = join(tmp, 'B08_zone40.tif');
    writeFileSync(
      crs,
      craftTiff([
        {
          tags: baseTags(4, 4, [
            { tag: 258, type: 3, values: [16] },
            { tag: 34735, type: 3, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 4528] },
          ]),
          blocks: [new Uint8Array(32)],
        },
      ]),
    );
    expect(await errorCode(() => classifyImagery([S2[2]!, crs], join(tmp, 'x.tif')))).toBe('CLASSIFY_GRID');
    const unnamed = join(tmp, 'band.tif');
    writeFileSync(unnamed, readFileSync(S2[3]!));
    expect(await errorCode(() => classifyImagery([S2[2]!, unnamed], join(tmp, 'x.tif')))).toBe('CLASSIFY_BANDS');
    // Named in file order, it works.
    const named = await classifyImagery([S2[1]!, S2[2]!, unnamed], join(tmp, 'x.tif'), { bands: ['G', 'R', 'NIR'] });
    expect(named.method).toBe('ndvi');
  });
});

describe('greenmine classify', () => {
  it('writes classes and a scheme that coverage then reads without flags', async () => {
    const out = join(tmp, 'cli_classes.tif');
    const r = await run('classify', '--image', fixture('imagery/ortho_q95.tif'), '-o', out, '--license', fixture('imagery/license.geojson'), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ method: 'exg', bands: ['R', 'G', 'B'], threshold: { source: 'otsu' } });
    expect(report.histogram.counts).toHaveLength(250);
    const cov = await run('coverage', '--license', fixture('imagery/license.geojson'), '--classes', out, '--json');
    expect(cov.code).toBe(0);
    const c = JSON.parse(cov.stdout);
    expect(c.greenRatio).toBeCloseTo(report.greenRatio, 2);
    expect(c.scheme).toMatch(/greenmine classify/);
    const bad = await run('classify', '--image', fixture('imagery/ortho_q95.tif'), '-o', out, '--method', 'ndwi');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--method');
  });
});

describe('the audit classifies imagery when the manifest gives no class rasters', () => {
  it('two surveys: checks run on the classes, the report shows method, threshold and histogram', async () => {
    const { runAudit, reportHtml } = await import('../src/audit/index.js');
    const report = await runAudit(fixture('imagery/mine.json'));
    expect(report.imagery?.map((s) => [s.source, s.method])).toEqual([
      ['ortho_q75.tif', 'exg'],
      ['ms4.tif', 'ndvi'],
    ]);
    const r11 = report.checks.find((c) => c.id === 'R1.1')!;
    expect(r11.status).toBe('fail');
    // The latest survey's coverage (fractional pixels) agrees with classify's pixel-centre ratio.
    expect(Math.abs(Number(r11.values.greenRatio) - report.imagery![1]!.greenRatio!)).toBeLessThan(0.002);
    expect(report.checks.find((c) => c.id === 'R3.1')!.status).not.toBe('not-assessed'); // two surveys
    const html = reportHtml(report);
    expect(html.match(/<svg class="hist"/g)).toHaveLength(2);
    expect(html).toContain(`data-threshold="${report.imagery![0]!.threshold.value}"`);
    expect(report.inputs.map((i) => i.role)).toEqual(expect.arrayContaining(['imagery[0]', 'imagery[1]']));
    // The map's underlay is the latest image itself (red, green and blue stretched), not its classes.
    expect(report.underlay?.kind).toBe('imagery');
    expect(html).toContain('data-layer="underlay-imagery"');
    const png = Buffer.from(report.underlay!.pngBase64, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png[25]).toBe(6); // colour type: RGBA
  });

  it('an image that cannot be classified is a finding, and the checks that need classes are not assessed', async () => {
    const { runAudit } = await import('../src/audit/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-imagery-audit-'));
    for (const f of ['license.geojson', 'truth.tif']) writeFileSync(join(dir, f), readFileSync(fixture(`imagery/${f}`)));
    writeFileSync(join(dir, 'mine.json'), JSON.stringify({ mine: { name: 'x' }, license: 'license.geojson', imagery: [{ path: 'truth.tif' }] }));
    const report = await runAudit(join(dir, 'mine.json'));
    expect(report.findings.find((f) => f.code === 'AUDIT_IMAGERY')?.message).toContain('CLASSIFY_BANDS');
    expect(report.checks.find((c) => c.id === 'R1.1')!.status).toBe('not-assessed');
  });
});
