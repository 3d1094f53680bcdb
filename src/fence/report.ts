/**
 * The fence's results as users see them, shared by the CLI and the audit:
 * the search radius the events need, the fixes outside the tolerance, and
 * events as GeoJSON features (one rule for their geometry).
 */
import type { Track } from '../track/model.js';
import type { EventOptions, FenceEvent } from './events.js';
import type { FenceIndex } from './fence-index.js';

/** The search radius a fence needs for these event options: distances are wanted up to 4× the tolerance and 2× the warning distance (at least 100 m). */
export function fenceSearchRadiusM(options: Pick<EventOptions, 'toleranceM' | 'warnDistanceM'>): number {
  return Math.max(100, 2 * (options.warnDistanceM ?? 0), 4 * (options.toleranceM ?? 0));
}

/** Fixes of `track` farther than `toleranceM` outside every license. */
export function countOutside(fence: FenceIndex, track: Track, toleranceM: number): number {
  const n = track.timeS.length;
  const lic = new Int32Array(n);
  const dist = new Float64Array(n);
  fence.locateInto(track.lon, track.lat, lic, dist);
  let outside = 0;
  for (let i = 0; i < n; i++) if (dist[i]! > toleranceM) outside++;
  return outside;
}

/**
 * An event as a GeoJSON feature: the fixes it spans (an excursion up to the
 * first fix back inside; a crossing or a gap to its end), a Point when it is
 * one fix; `properties` added to the event's own.
 */
export function eventFeature(track: Track, e: FenceEvent, properties: Record<string, unknown> = {}): { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } } {
  const last = e.type === 'crossing' || e.type === 'gap' ? e.endIndex : (e.firstBackIndex ?? e.endIndex);
  const coords: number[][] = [];
  for (let i = e.startIndex; i <= last && i < track.lon.length; i++) coords.push([track.lon[i]!, track.lat[i]!]);
  return {
    type: 'Feature',
    properties: { ...properties, ...e, start: new Date(e.startS * 1000).toISOString(), end: new Date(e.endS * 1000).toISOString() },
    geometry: coords.length === 1 ? { type: 'Point', coordinates: coords[0] } : { type: 'LineString', coordinates: coords },
  };
}

export function eventsGeoJson(events: Array<FenceEvent & { track: Track }>): { type: 'FeatureCollection'; features: Array<ReturnType<typeof eventFeature>> } {
  return { type: 'FeatureCollection', features: events.map(({ track, ...e }) => eventFeature(track, e as FenceEvent)) };
}
