import type { Crs } from '../crs/index.js';
import type { Finding } from '../errors.js';

/**
 * A closed ring as interleaved coordinates [x0, y0, x1, y1, …, x0, y0] in the
 * license's CRS (x = easting or longitude, y = northing or latitude); the last
 * position repeats the first.
 */
export type Ring = Float64Array;

/** One block (区块) of a license: its outer ring and any excluded areas (扣除范围) as holes. */
export interface Block {
  name: string | null;
  /** rings[0] is the shell; rings[1…] are excluded areas. */
  rings: Ring[];
}

export interface StatedArea {
  m2: number;
  /** As printed, e.g. "0.7290平方公里". */
  text: string;
  /** Half a unit of the last printed digit, in m² (the rounding the printed value allows). */
  roundingM2: number;
}

/** A mining license (采矿许可证) as data. */
export interface License {
  id: string;
  name: string | null;
  licenseNo: string | null;
  holder: string | null;
  blocks: Block[];
  /** Licensed elevation range (开采标高), metres. */
  elevationM: { min: number; max: number } | null;
  statedArea: StatedArea | null;
  /** CRS of the block coordinates (the source's CRS). */
  crs: Crs;
  sourceFile: string;
  /** Every source attribute, as read (including those mapped to fields above). */
  attributes: Record<string, unknown>;
  /** Warnings found while reading and validating (errors stop loading). */
  findings: Finding[];
}

export function vertexCount(license: License): number {
  let n = 0;
  for (const block of license.blocks) for (const ring of block.rings) n += ring.length / 2 - 1;
  return n;
}

export function holeCount(license: License): number {
  let n = 0;
  for (const block of license.blocks) n += block.rings.length - 1;
  return n;
}

/** [minX, minY, maxX, maxY] of interleaved coordinates. */
export function flatBbox(coords: ArrayLike<number>, out: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity]): [number, number, number, number] {
  for (let i = 0; i + 1 < coords.length; i += 2) {
    const x = coords[i]!;
    const y = coords[i + 1]!;
    if (x < out[0]) out[0] = x;
    if (y < out[1]) out[1] = y;
    if (x > out[2]) out[2] = x;
    if (y > out[3]) out[3] = y;
  }
  return out;
}
