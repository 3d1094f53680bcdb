/**
 * GCJ-02 (国测局, used by AMap/Tencent/Google China) and BD-09 (Baidu) ↔ WGS 84.
 *
 * The forward obfuscations come from `gcoord`. Its inverses stop at 1e-6°
 * (about 0.11 m) for GCJ-02 and use a one-step approximation for BD-09, which
 * misses the 0.1 m target; so the inverses here iterate gcoord's own forward
 * functions (fixed-point on the residual) down to 1e-10° (about 0.01 mm).
 */
import gcoordModule from 'gcoord';
import { GreenmineError } from '../errors.js';

// gcoord is CommonJS: Node hands its module.exports over as the default export,
// while its typings describe that object as `.default`.
const gcoord = gcoordModule as unknown as (typeof gcoordModule)['default'];

export type OffsetFrame = 'WGS84' | 'GCJ02' | 'BD09';
/** A frame as users spell it: the manifest and CLI use lower case (gcj02), the library upper case (GCJ02). */
export type FrameName = OffsetFrame | 'wgs84' | 'gcj02' | 'bd09';

/**
 * The frame a user named, in any case and with or without a dash (gcj02,
 * GCJ-02, bd09, WGS84); FRAME_UNKNOWN for anything else (an unknown frame is
 * never read as one of the others).
 */
export function parseFrame(value: string, source = 'frame'): OffsetFrame {
  const n = String(value)
    .toUpperCase()
    .replace(/[-_\s]/g, '');
  if (n === 'WGS84' || n === 'GCJ02' || n === 'BD09') return n;
  throw new GreenmineError('FRAME_UNKNOWN', `${source}: "${String(value).slice(0, 40)}" is not a coordinate frame (wgs84, gcj02, bd09)`, {});
}

const TOLERANCE_DEG = 1e-10;
const MAX_ITERATIONS = 30;

function forward(frame: Exclude<OffsetFrame, 'WGS84'>, lon: number, lat: number): [number, number] {
  return gcoord.transform([lon, lat], gcoord.WGS84, frame === 'GCJ02' ? gcoord.GCJ02 : gcoord.BD09) as [number, number];
}

/** WGS 84 → GCJ-02 or BD-09. */
export function fromWgs84(frame: FrameName, lon: number, lat: number): [number, number] {
  const f = parseFrame(frame);
  return f === 'WGS84' ? [lon, lat] : forward(f, lon, lat);
}

/** GCJ-02 or BD-09 → WGS 84, accurate to about 1e-10° (well under 0.1 m). */
export function toWgs84(frameName: FrameName, lon: number, lat: number): [number, number] {
  const frame = frameName === 'WGS84' || frameName === 'GCJ02' || frameName === 'BD09' ? frameName : parseFrame(frameName);
  if (frame === 'WGS84') return [lon, lat];
  let x = lon;
  let y = lat;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const [fx, fy] = forward(frame, x, y);
    const dx = fx - lon;
    const dy = fy - lat;
    x -= dx;
    y -= dy;
    if (Math.abs(dx) < TOLERANCE_DEG && Math.abs(dy) < TOLERANCE_DEG) break;
  }
  return [x, y];
}
