/**
 * License validation at load. Every finding has a stable code and a location
 * (block and vertex numbered from 1 as printed on licenses; ring 0 is the
 * outer ring, 1… the excluded areas). Errors stop loading; warnings travel
 * with the license.
 */
import { type Crs, createTransform, crsFromEpsg, crsLabel } from '../crs/index.js';
import type { ErrorCode } from '../error-codes.js';
import type { Finding, Where } from '../errors.js';
import { dedupe, findIntersections, pointInRing } from './geometry.js';
import { flatBbox, type License } from './model.js';

/** Mainland China and its islands, [minLon, minLat, maxLon, maxLat]. */
const CHINA_BBOX: [number, number, number, number] = [73, 3, 136, 54];
/** How far past a zone edge GK coordinates may reach (licenses straddle zone edges). */
const AREA_SLACK_DEG = 1;

export function validateLicense(license: License): Finding[] {
  const findings: Finding[] = [];
  const file = license.sourceFile;
  const add = (severity: Finding['severity'], code: ErrorCode, message: string, where: Where): void => {
    findings.push({ code, severity, message: `${message}`, where: { file, ...where } });
  };
  if (license.blocks.length === 0) {
    add('error', 'LICENSE_NO_BLOCKS', 'the license has no polygon', {});
    return findings;
  }

  let structural = false;
  license.blocks.forEach((block, bi) => {
    block.rings.forEach((ring, ri) => {
      const where = { block: bi + 1, ring: ri };
      for (let i = 0; i < ring.length; i++) {
        if (!Number.isFinite(ring[i]!)) {
          add('error', 'LICENSE_NONFINITE', `coordinate ${ring[i]} is not a finite number`, { ...where, vertex: (i >> 1) + 1 });
          structural = true;
          return;
        }
      }
      const n = ring.length / 2;
      if (ring[0] !== ring[ring.length - 2] || ring[1] !== ring[ring.length - 1]) {
        add('error', 'LICENSE_RING_NOT_CLOSED', `the ring does not close: it starts at (${ring[0]}, ${ring[1]}) and ends at (${ring[ring.length - 2]}, ${ring[ring.length - 1]})`, where);
        structural = true;
        return;
      }
      const distinct = dedupe(ring).length / 2;
      if (n < 4 || distinct < 4) {
        add('error', 'LICENSE_RING_TOO_SHORT', `a ring needs at least 3 distinct corners (4 positions with the closing one); it has ${distinct - 1}`, where);
        structural = true;
        return;
      }
      for (let i = 2; i + 1 < ring.length - 2; i += 2) {
        if (ring[i] === ring[i - 2] && ring[i + 1] === ring[i - 1]) {
          add('warning', 'LICENSE_DUPLICATE_VERTEX', `corner ${(i >> 1) + 1} repeats corner ${i >> 1} (${ring[i]}, ${ring[i + 1]})`, { ...where, vertex: (i >> 1) + 1 });
        }
      }
      if (collinear(ring)) {
        add('error', 'LICENSE_DEGENERATE_RING', 'the ring encloses no area (all corners on one line)', where);
        structural = true;
      }
    });
  });
  if (structural) return findings;

  if (!checkAreaOfUse(license, add)) return findings;

  license.blocks.forEach((block, bi) => {
    const rings = block.rings.map(dedupe);
    for (const hit of findIntersections(rings)) {
      const what =
        hit.ringA === hit.ringB
          ? hit.ringA === 0
            ? 'the outer ring crosses itself'
            : `excluded area ${hit.ringA} crosses itself`
          : `${hit.ringA === 0 ? 'the outer ring' : `excluded area ${hit.ringA}`} and excluded area ${hit.ringB} cross`;
      add('error', 'LICENSE_SELF_INTERSECTION', `${what} near (${hit.x.toFixed(3)}, ${hit.y.toFixed(3)}), at edges ${hit.edgeA + 1} and ${hit.edgeB + 1}`, {
        block: bi + 1,
        ring: hit.ringA,
        vertex: hit.edgeA + 1,
      });
    }
    const shell = rings[0]!;
    for (let h = 1; h < rings.length; h++) {
      const hole = rings[h]!;
      for (let i = 0; i + 3 < hole.length; i += 2) {
        if (pointInRing(hole[i]!, hole[i + 1]!, shell) < 0) {
          add('error', 'LICENSE_HOLE_OUTSIDE_SHELL', `excluded area ${h} has corner ${(i >> 1) + 1} (${hole[i]}, ${hole[i + 1]}) outside the block's outer ring`, { block: bi + 1, ring: h, vertex: (i >> 1) + 1 });
          break;
        }
      }
    }
  });

  checkBlockOverlap(license, add);
  return findings;
}

/** True when every corner lies on one straight line (the ring encloses nothing). */
function collinear(ring: Float64Array): boolean {
  const x0 = ring[0]!;
  const y0 = ring[1]!;
  let i = 2;
  while (i < ring.length && ring[i] === x0 && ring[i + 1] === y0) i += 2;
  if (i >= ring.length) return true;
  const dx = ring[i]! - x0;
  const dy = ring[i + 1]! - y0;
  for (let j = i + 2; j + 1 < ring.length; j += 2) {
    if (dx * (ring[j + 1]! - y0) - dy * (ring[j]! - x0) !== 0) return false;
  }
  return true;
}

type Add = (severity: Finding['severity'], code: ErrorCode, message: string, where: Where) => void;

function inBox(lon: number, lat: number, box: [number, number, number, number], slack: number): boolean {
  return lon >= box[0] - slack && lon <= box[2] + slack && lat >= box[1] - slack && lat <= box[3] + slack;
}

/** Coordinates must land inside the CRS's area of use (and China); a swapped X/Y is named as such. */
function checkAreaOfUse(license: License, add: Add): boolean {
  const crs = license.crs;
  const box = crs.areaOfUse ?? CHINA_BBOX;
  const geo: Crs | null = crs.geographic ? null : crsFromEpsg(crs.datum === 'Xian1980' ? 4610 : crs.datum === 'Beijing1954' ? 4214 : 4490);
  // Only a plausibility check: a custom datum is placed as if it were the geographic CRS's.
  const transform = geo ? createTransform({ ...crs, datum: geo.datum }, geo) : null;
  const toLonLat = (x: number, y: number): [number, number] | null => {
    if (!transform) return Math.abs(y) <= 90 && Math.abs(x) <= 180 ? [x, y] : null;
    try {
      return transform.point(x, y);
    } catch {
      return null;
    }
  };
  const inside = (ll: [number, number] | null): boolean => ll !== null && inBox(ll[0], ll[1], box, crs.geographic ? 0 : AREA_SLACK_DEG) && inBox(ll[0], ll[1], CHINA_BBOX, 0);
  for (let bi = 0; bi < license.blocks.length; bi++) {
    const rings = license.blocks[bi]!.rings;
    for (let ri = 0; ri < rings.length; ri++) {
      const ring = rings[ri]!;
      // Fast path: when the four corners of the ring's box land inside, every vertex does.
      const [minX, minY, maxX, maxY] = flatBbox(ring);
      if (inside(toLonLat(minX, minY)) && inside(toLonLat(maxX, minY)) && inside(toLonLat(maxX, maxY)) && inside(toLonLat(minX, maxY))) continue;
      for (let i = 0; i + 1 < ring.length; i += 2) {
        const x = ring[i]!;
        const y = ring[i + 1]!;
        const ll = toLonLat(x, y);
        if (inside(ll)) continue;
        const swapped = inside(toLonLat(y, x));
        const [xName, yName] = crs.geographic ? ['longitude', 'latitude'] : ['easting', 'northing'];
        const at = ll ? ` lands at ${ll[0].toFixed(4)}°E ${ll[1].toFixed(4)}°N,` : ' cannot be placed on the ellipsoid,';
        // Inside the CRS's own area but outside China: say so, not "outside EPSG:4326's area".
        const inCrsArea = ll !== null && inBox(ll[0], ll[1], box, crs.geographic ? 0 : AREA_SLACK_DEG);
        const where = inCrsArea ? `outside China (${CHINA_BBOX.map((v) => v.toFixed(1)).join(', ')}), where greenmine audits mines` : `outside the area of ${crsLabel(crs)} (${box.map((v) => v.toFixed(1)).join(', ')})`;
        add(
          'error',
          swapped ? 'COORD_XY_SWAPPED' : inCrsArea ? 'COORD_OUTSIDE_CHINA' : 'COORD_OUTSIDE_CRS_AREA',
          `corner (${xName} ${x}, ${yName} ${y})${at} ${where}` + (swapped ? `; with the two coordinates swapped it falls inside: the ${crs.geographic ? 'longitude and latitude' : 'X (northing) and Y (easting) columns'} look swapped` : ''),
          { block: bi + 1, ring: ri, vertex: (i >> 1) + 1 },
        );
        return false;
      }
    }
  }
  return true;
}

/** Blocks of one license must not overlap (shared borders are fine): the area would count twice. */
function checkBlockOverlap(license: License, add: Add): void {
  const blocks = license.blocks;
  for (let a = 0; a < blocks.length; a++) {
    for (let b = a + 1; b < blocks.length; b++) {
      const sa = dedupe(blocks[a]!.rings[0]!);
      const sb = dedupe(blocks[b]!.rings[0]!);
      const crossing = findIntersections([sa, sb]).find((h) => h.ringA !== h.ringB && h.proper);
      const probe = crossing ? null : (firstInteriorProbe(sa, blocks[b]!.rings) ?? firstInteriorProbe(sb, blocks[a]!.rings));
      if (crossing || probe) {
        const x = crossing ? crossing.x : probe![0];
        const y = crossing ? crossing.y : probe![1];
        add('error', 'LICENSE_BLOCKS_OVERLAP', `blocks ${a + 1} and ${b + 1} overlap (near ${x.toFixed(3)}, ${y.toFixed(3)}); their area would be counted twice`, { block: b + 1 });
      }
    }
  }
}

/** A vertex or edge midpoint of `ring` strictly inside the polygon `rings` (shell minus holes), if any. */
function firstInteriorProbe(ring: Float64Array, rings: Float64Array[]): [number, number] | null {
  for (let i = 0; i + 3 < ring.length; i += 2) {
    for (const [x, y] of [
      [ring[i]!, ring[i + 1]!],
      [(ring[i]! + ring[i + 2]!) / 2, (ring[i + 1]! + ring[i + 3]!) / 2],
    ] as const) {
      if (pointInRing(x, y, rings[0]!) !== 1) continue;
      if (rings.slice(1).some((hole) => pointInRing(x, y, hole) >= 0)) continue;
      return [x, y];
    }
  }
  return null;
}
