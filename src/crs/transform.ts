/**
 * Coordinate transformation between two CRSs, on proj4.
 *
 * Datum policy: CGCS2000 and WGS 84 agree to a few centimetres over China and
 * are treated as the same datum (GNSS accuracy). Xi'an 1980 and Beijing 1954
 * have no public transformation to CGCS2000: converting them requires a
 * user-supplied +towgs84; without one greenmine refuses (CRS_DATUM_SHIFT_REQUIRED)
 * rather than apply a silent null shift.
 */

import { GreenmineError } from '../errors.js';
import { type Crs, crsLabel } from './crs.js';
import { proj4 } from './proj4.js';

export interface Transform {
  readonly from: Crs;
  readonly to: Crs;
  /** Transform one position; writes [x, y] into `out` (allocation-free for the caller) and returns it. */
  point(x: number, y: number, out?: [number, number]): [number, number];
  /** Transform interleaved [x0, y0, x1, y1, …] from `src` into `dst` (may be the same array). */
  flatInto(src: ArrayLike<number>, dst: Float64Array | number[]): void;
}

type DatumFamily = string;

function datumFamily(crs: Crs): DatumFamily {
  if (crs.datum === 'CGCS2000' || crs.datum === 'WGS84') return 'global';
  if (crs.datum === 'custom') return `custom:${crs.proj4.replace(/\+(proj|lat_0|lon_0|k|k_0|x_0|y_0|units|no_defs|zone)(=\S*)?/g, '').trim()}`;
  return crs.datum;
}

function withShift(crs: Crs, towgs84: number[]): string {
  return `${crs.proj4.replace(/\+datum=WGS84/, '+ellps=WGS84')} +towgs84=${towgs84.join(',')}`;
}

const cache = new Map<string, Transform>();

export function createTransform(from: Crs, to: Crs): Transform {
  const key = `${from.proj4}|${from.towgs84?.join(',') ?? ''}→${to.proj4}|${to.towgs84?.join(',') ?? ''}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let fromDef = from.proj4;
  let toDef = to.proj4;
  if (datumFamily(from) !== datumFamily(to)) {
    const fromShift = from.towgs84 ?? (datumFamily(from) === 'global' ? [0, 0, 0] : null);
    const toShift = to.towgs84 ?? (datumFamily(to) === 'global' ? [0, 0, 0] : null);
    if (!fromShift || !toShift) {
      const needs = !fromShift ? from : to;
      throw new GreenmineError(
        'CRS_DATUM_SHIFT_REQUIRED',
        `cannot convert ${crsLabel(from)} (${from.datum}) to ${crsLabel(to)} (${to.datum}): no public transformation exists for ${needs.datum}; ` +
          'give the 7 parameters of your local transformation (the towgs84 option: dx,dy,dz,rx,ry,rz,ds; `greenmine license --towgs84`) or keep the data in its own datum',
      );
    }
    fromDef = withShift(from, fromShift);
    toDef = withShift(to, toShift);
  }
  const converter = proj4()(fromDef, toDef);
  const scratch: [number, number] = [0, 0];
  const fail = (x: number, y: number): never => {
    throw new GreenmineError('CRS_TRANSFORM_FAILED', `cannot transform (${x}, ${y}) from ${crsLabel(from)} to ${crsLabel(to)}`);
  };
  const transform: Transform = {
    from,
    to,
    point(x, y, out = [0, 0]) {
      scratch[0] = x;
      scratch[1] = y;
      const r = converter.forward(scratch);
      if (!r || !Number.isFinite(r[0]) || !Number.isFinite(r[1])) fail(x, y);
      out[0] = r[0];
      out[1] = r[1];
      return out;
    },
    flatInto(src, dst) {
      for (let i = 0; i + 1 < src.length; i += 2) {
        scratch[0] = src[i]!;
        scratch[1] = src[i + 1]!;
        const r = converter.forward(scratch);
        if (!r || !Number.isFinite(r[0]) || !Number.isFinite(r[1])) fail(src[i]!, src[i + 1]!);
        dst[i] = r[0];
        dst[i + 1] = r[1];
      }
    },
  };
  if (cache.size > 256) cache.clear();
  cache.set(key, transform);
  return transform;
}
