import { describe, expect, it } from 'vitest';
import { outlineRuns, StreamingLabeler } from '../src/raster/components.js';
import { rng } from './helpers.js';

/** Whole-raster labelling by flood fill: the simple reference. */
function floodFill(mask: Uint8Array, w: number, h: number, connectivity: 4 | 8): Int32Array {
  const labels = new Int32Array(w * h);
  let next = 0;
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (!mask[i] || labels[i]) continue;
    labels[i] = ++next;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w,
        y = Math.floor(p / w);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx === 0 && dy === 0) || (connectivity === 4 && dx !== 0 && dy !== 0)) continue;
          const nx = x + dx,
            ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const q = ny * w + nx;
          if (mask[q] && !labels[q]) {
            labels[q] = next;
            stack.push(q);
          }
        }
      }
    }
  }
  return labels;
}

function shoelace(ring: number[][]): number {
  let a = 0;
  for (let k = 0; k + 1 < ring.length; k++) a += ring[k]![0]! * ring[k + 1]![1]! - ring[k + 1]![0]! * ring[k]![1]!;
  return a / 2;
}

describe('streaming connected components', () => {
  for (const [density, connectivity] of [
    [0.3, 8],
    [0.45, 8],
    [0.55, 4],
    [0.6, 8],
  ] as const) {
    it(`random mask, density ${density}, ${connectivity}-connectivity: same components as a whole-raster flood fill`, () => {
      const random = rng(Math.round(density * 1000) + connectivity);
      const w = 97,
        h = 83;
      const mask = new Uint8Array(w * h).map(() => (random() < density ? 1 : 0));
      const reference = floodFill(mask, w, h, connectivity);
      const labeler = new StreamingLabeler(w, connectivity);
      for (let y = 0; y < h; y++) labeler.pushRow(y, mask.subarray(y * w, (y + 1) * w));
      const components = labeler.finish();
      expect(components.length).toBe(Math.max(0, ...reference));
      // Every component is exactly one reference component.
      for (const c of components) {
        const refLabels = new Set<number>();
        let pixels = 0;
        for (let i = 0; i < c.runs.length; i += 3) {
          for (let x = c.runs[i + 1]!; x < c.runs[i + 2]!; x++) {
            refLabels.add(reference[c.runs[i]! * w + x]!);
            pixels++;
          }
        }
        expect(refLabels.size).toBe(1);
        expect(pixels).toBe(c.pixels);
        expect(reference.filter((l) => l === [...refLabels][0]).length).toBe(c.pixels);
        // The outline encloses exactly the component's pixels.
        const polygons = outlineRuns(c.runs);
        const area = polygons.reduce((s, p) => s + p.reduce((t, ring, k) => t + (k === 0 ? 1 : 1) * shoelace(ring), 0), 0);
        expect(area).toBe(c.pixels);
      }
    });
  }

  it('outlines holes and keeps corner-touching pixels as separate polygons of one component', () => {
    const w = 7;
    // A ring of pixels around a hole, plus one pixel touching its corner diagonally.
    const rows = ['#####..', '#...#..', '#####..', '.....#.'];
    const labeler = new StreamingLabeler(w, 8);
    rows.forEach((r, y) => labeler.pushRow(y, Uint8Array.from([...r].map((ch) => (ch === '#' ? 1 : 0)))));
    const [c, ...rest] = labeler.finish();
    expect(rest).toEqual([]);
    expect(c!.pixels).toBe(13);
    const polygons = outlineRuns(c!.runs);
    expect(polygons).toHaveLength(2);
    const big = polygons.find((p) => p.length === 2)!;
    expect(shoelace(big[0]!)).toBe(15);
    expect(shoelace(big[1]!)).toBe(-3);
    expect(c!.centroid[1]).toBeCloseTo((5 * 0.5 + 2 * 1.5 + 5 * 2.5 + 3.5) / 13, 9);
  });

  it('holes below minHoleAreaPx are filled, runs in any order give the same outline, and `keep` drops small components as they close', () => {
    // A 7 × 5 frame with two 1-pixel holes and a 3 × 3 hole, and a lone pixel elsewhere.
    const rows = ['#######.#', '#.#...#..', '###...###', '#.#...#..', '#######..'];
    const mask = (r: string): Uint8Array => Uint8Array.from([...r].map((ch) => (ch === '#' ? 1 : 0)));
    const all = new StreamingLabeler(9, 8);
    rows.forEach((r, y) => all.pushRow(y, mask(r)));
    const components = all.finish();
    expect(components.map((c) => c.pixels)).toEqual([26, 1]);
    const big = components[0]!;
    const holes = (minHoleAreaPx?: number): number[] =>
      outlineRuns(big.runs, { minHoleAreaPx })[0]!
        .slice(1)
        .map((h) => -shoelace(h))
        .sort((a, b) => a - b);
    expect(holes()).toEqual([1, 1, 9]);
    expect(holes(2)).toEqual([9]);
    expect(holes(10)).toEqual([]);
    const reversed = new Int32Array(big.runs.length);
    for (let i = 0; i < big.runs.length; i += 3) reversed.set(big.runs.subarray(i, i + 3), big.runs.length - 3 - i);
    expect(outlineRuns(reversed)).toEqual(outlineRuns(big.runs));

    const kept = new StreamingLabeler(9, 8, 0, 0, true, undefined, (pixels) => pixels >= 2);
    rows.forEach((r, y) => kept.pushRow(y, mask(r)));
    const only = kept.finish();
    expect(only.map((c) => c.pixels)).toEqual([26]);
    expect(only[0]!.runs).toEqual(big.runs);
  });

  it('a gap in the row numbers breaks connectivity', () => {
    const labeler = new StreamingLabeler(3, 8);
    labeler.pushRow(0, Uint8Array.from([1, 1, 1]));
    labeler.pushRow(2, Uint8Array.from([1, 1, 1]));
    expect(labeler.finish()).toHaveLength(2);
  });
});

describe('streaming labelling with recycled labels (no runs kept)', () => {
  for (const connectivity of [4, 8] as const) {
    it(`${connectivity}-connectivity: the same components as flood fill, closed as soon as they end`, () => {
      const random = rng(4242 + connectivity);
      const w = 120,
        h = 150;
      const mask = new Uint8Array(w * h).map(() => (random() < 0.5 ? 1 : 0));
      const reference = floodFill(mask, w, h, connectivity);
      const sizes = new Map<number, number>();
      for (const l of reference) if (l) sizes.set(l, (sizes.get(l) ?? 0) + 1);
      const streamed: number[] = [];
      let lastClosedRowMax = -1;
      const labeler = new StreamingLabeler(w, connectivity, 0, 0, false, (c) => {
        streamed.push(c.pixels);
        lastClosedRowMax = Math.max(lastClosedRowMax, c.bbox[3]);
      });
      let closedBeforeEnd = 0;
      for (let y = 0; y < h; y++) {
        labeler.pushRow(y, mask.subarray(y * w, (y + 1) * w));
        if (y === h - 1) closedBeforeEnd = streamed.length;
      }
      labeler.finish();
      expect(streamed.sort((a, b) => a - b)).toEqual([...sizes.values()].sort((a, b) => a - b));
      expect(closedBeforeEnd).toBeGreaterThan(sizes.size / 2); // most closed while streaming
      // Without a callback, finish() returns them in order of first appearance.
      const kept = new StreamingLabeler(w, connectivity, 0, 0, false);
      for (let y = 0; y < h; y++) kept.pushRow(y, mask.subarray(y * w, (y + 1) * w));
      const list = kept.finish();
      expect(list.length).toBe(sizes.size);
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1]!, list[i]!];
        expect(a.bbox[1] < b.bbox[1] || a.bbox[1] === b.bbox[1]).toBe(true);
      }
    });
  }
});
