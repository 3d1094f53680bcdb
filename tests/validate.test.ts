import { describe, expect, it } from 'vitest';
import { crsFromEpsg } from '../src/crs/index.js';
import { findIntersections, pointInRing, ringArea2 } from '../src/license/geometry.js';
import { type License, licenseArea, validateLicense } from '../src/license/index.js';
import { rng } from './helpers.js';

/** A star-shaped (hence simple) polygon around (cx, cy) in GK metres. */
function star(random: () => number, cx: number, cy: number, n: number, radiusM: number): Float64Array {
  const ring = new Float64Array((n + 1) * 2);
  for (let i = 0; i < n; i++) {
    const angle = (2 * Math.PI * i) / n;
    const r = radiusM * (0.5 + 0.5 * random());
    ring[2 * i] = cx + r * Math.cos(angle);
    ring[2 * i + 1] = cy + r * Math.sin(angle);
  }
  ring[2 * n] = ring[0]!;
  ring[2 * n + 1] = ring[1]!;
  return ring;
}

function license(rings: Float64Array[][]): License {
  return {
    id: 'test',
    name: null,
    licenseNo: null,
    holder: null,
    blocks: rings.map((r) => ({ name: null, rings: r })),
    elevationM: null,
    statedArea: null,
    crs: crsFromEpsg(4528),
    sourceFile: 'memory',
    attributes: {},
    findings: [],
  };
}

function rotateStart(ring: Float64Array, k: number): Float64Array {
  const n = ring.length / 2 - 1;
  const out = new Float64Array(ring.length);
  for (let i = 0; i < n; i++) {
    out[2 * i] = ring[2 * ((i + k) % n)]!;
    out[2 * i + 1] = ring[2 * ((i + k) % n) + 1]!;
  }
  out[2 * n] = out[0]!;
  out[2 * n + 1] = out[1]!;
  return out;
}

function reverse(ring: Float64Array): Float64Array {
  const out = new Float64Array(ring.length);
  const n = ring.length / 2;
  for (let i = 0; i < n; i++) {
    out[2 * i] = ring[2 * (n - 1 - i)]!;
    out[2 * i + 1] = ring[2 * (n - 1 - i) + 1]!;
  }
  return out;
}

describe('validation and area are invariant under ring start, direction and translation', () => {
  const random = rng(42);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + Math.floor(random() * 40);
    const cx = 40_450_000 + random() * 100_000;
    const cy = 3_100_000 + random() * 300_000;
    const shell = star(random, cx, cy, n, 200 + random() * 800);
    const hole = star(random, cx, cy, 6, 40);
    it(`trial ${trial}: ${n} corners`, () => {
      const base = license([[shell, hole]]);
      expect(validateLicense(base)).toEqual([]);
      const area = licenseArea(base);
      for (const variant of [license([[rotateStart(shell, 3 % n), hole]]), license([[reverse(shell), reverse(hole)]]), license([[rotateStart(reverse(shell), 1), rotateStart(hole, 2)]])]) {
        expect(validateLicense(variant)).toEqual([]);
        const a = licenseArea(variant);
        expect(Math.abs(a.planarM2 - area.planarM2)).toBeLessThan(1e-6 * area.planarM2);
        expect(Math.abs(a.ellipsoidalM2 - area.ellipsoidalM2)).toBeLessThan(1e-6 * area.ellipsoidalM2);
      }
      // A translated copy (1 km north) has the same planar area; the ellipsoidal differs only by scale-factor change.
      const moved = shell.map((v, i) => (i % 2 === 1 ? v + 1000 : v));
      const movedArea = licenseArea(license([[moved, hole.map((v, i) => (i % 2 === 1 ? v + 1000 : v))]]));
      expect(Math.abs(movedArea.planarM2 - area.planarM2)).toBeLessThan(1e-6 * area.planarM2);
      expect(Math.abs(movedArea.ellipsoidalM2 - area.ellipsoidalM2) / area.ellipsoidalM2).toBeLessThan(1e-4);
    });
  }

  it('does not modify the rings it validates and measures', () => {
    const shell = star(rng(7), 40_495_000, 3_384_000, 12, 300);
    const copy = shell.slice();
    const l = license([[shell]]);
    validateLicense(l);
    licenseArea(l);
    expect(shell).toEqual(copy);
  });
});

describe('intersection finder agrees with brute force', () => {
  function bruteForce(ring: Float64Array): boolean {
    const n = ring.length / 2 - 1;
    const orient = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number => Math.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax));
    for (let i = 0; i < n; i++) {
      for (let j = i + 2; j < n; j++) {
        if (i === 0 && j === n - 1) continue;
        const [ax, ay, bx, by] = [ring[2 * i]!, ring[2 * i + 1]!, ring[2 * i + 2]!, ring[2 * i + 3]!];
        const [cx, cy, dx, dy] = [ring[2 * j]!, ring[2 * j + 1]!, ring[2 * j + 2]!, ring[2 * j + 3]!];
        if (orient(ax, ay, bx, by, cx, cy) * orient(ax, ay, bx, by, dx, dy) < 0 && orient(cx, cy, dx, dy, ax, ay) * orient(cx, cy, dx, dy, bx, by) < 0) return true;
      }
    }
    return false;
  }
  const random = rng(99);
  it('on 300 random rings (integer grid, so crossings are exact)', () => {
    let crossing = 0;
    for (let t = 0; t < 300; t++) {
      const n = 4 + Math.floor(random() * 8);
      const ring = new Float64Array((n + 1) * 2);
      for (let i = 0; i < 2 * n; i++) ring[i] = Math.floor(random() * 100) + 0.5 * (i % 2);
      ring[2 * n] = ring[0]!;
      ring[2 * n + 1] = ring[1]!;
      const brute = bruteForce(ring);
      const found = findIntersections([ring]).some((h) => h.proper);
      expect(found).toBe(brute);
      if (brute) crossing++;
    }
    expect(crossing).toBeGreaterThan(50);
  });

  it('point in ring: inside, boundary, outside', () => {
    const square = Float64Array.from([0, 0, 10, 0, 10, 10, 0, 10, 0, 0]);
    expect(pointInRing(5, 5, square)).toBe(1);
    expect(pointInRing(10, 5, square)).toBe(0);
    expect(pointInRing(0, 0, square)).toBe(0);
    expect(pointInRing(11, 5, square)).toBe(-1);
    expect(ringArea2(square)).toBe(200);
  });
});

describe('validation findings', () => {
  const square = (x: number, y: number, s: number): Float64Array => Float64Array.from([x, y, x + s, y, x + s, y + s, x, y + s, x, y]);
  const base = [40_495_000, 3_384_000] as const;
  it('warns on duplicate corners but loads', () => {
    const ring = Float64Array.from([base[0], base[1], base[0] + 100, base[1], base[0] + 100, base[1], base[0] + 100, base[1] + 100, base[0], base[1] + 100, base[0], base[1]]);
    const findings = validateLicense(license([[ring]]));
    expect(findings.map((f) => [f.code, f.severity, f.where.vertex])).toEqual([['LICENSE_DUPLICATE_VERTEX', 'warning', 3]]);
  });
  it('allows blocks that share a border, refuses blocks that overlap', () => {
    const a = square(base[0], base[1], 100);
    expect(validateLicense(license([[a], [square(base[0] + 100, base[1], 100)]]))).toEqual([]);
    expect(validateLicense(license([[a], [square(base[0] + 50, base[1] + 50, 100)]])).map((f) => f.code)).toEqual(['LICENSE_BLOCKS_OVERLAP']);
    expect(validateLicense(license([[a], [square(base[0] + 20, base[1] + 20, 10)]])).map((f) => f.code)).toEqual(['LICENSE_BLOCKS_OVERLAP']);
  });
  it('refuses collinear rings, non-finite numbers and rings of two corners', () => {
    expect(validateLicense(license([[Float64Array.from([base[0], base[1], base[0] + 1, base[1], base[0] + 2, base[1], base[0], base[1]])]]))[0]!.code).toBe('LICENSE_DEGENERATE_RING');
    expect(validateLicense(license([[Float64Array.from([base[0], NaN, base[0] + 1, base[1], base[0], base[1] + 1, base[0], NaN])]]))[0]!.code).toBe('LICENSE_NONFINITE');
    expect(validateLicense(license([[Float64Array.from([base[0], base[1], base[0] + 1, base[1], base[0], base[1]])]]))[0]!.code).toBe('LICENSE_RING_TOO_SHORT');
    expect(validateLicense(license([]))[0]!.code).toBe('LICENSE_NO_BLOCKS');
  });
  it('refuses coordinates outside the zone, naming the place', () => {
    const far = validateLicense(license([[square(40_495_000, 9_000_000, 100)]]));
    expect(far[0]!.code).toBe('COORD_OUTSIDE_CRS_AREA');
    expect(far[0]!.where).toMatchObject({ block: 1, ring: 0, vertex: 1 });
  });
});
