/**
 * A synthetic fleet for the live service's tests and benchmark: each device
 * follows a template track (the reference excavator of scene A) shifted in
 * time and jittered in position, so the devices' excursions differ.
 */
import type { Track } from '../src/track/model.js';
import { rng } from './harness.js';

export interface FleetFix {
  device: string;
  t: number;
  lon: number;
  lat: number;
}

/** `devices` copies of `template` (time shifted by 0.37 s × k, positions jittered by up to `jitterDeg`), as tracks. */
export function fleetTracks(template: Track, devices: number, seed = 1, jitterDeg = 6e-5): Track[] {
  const random = rng(seed);
  const tracks: Track[] = [];
  for (let k = 0; k < devices; k++) {
    const n = template.timeS.length;
    const timeS = new Float64Array(n),
      lon = new Float64Array(n),
      lat = new Float64Array(n);
    const dx = (random() - 0.5) * 4 * jitterDeg,
      dy = (random() - 0.5) * 4 * jitterDeg;
    for (let i = 0; i < n; i++) {
      timeS[i] = template.timeS[i]! + 0.37 * k;
      lon[i] = template.lon[i]! + dx + (random() - 0.5) * jitterDeg;
      lat[i] = template.lat[i]! + dy + (random() - 0.5) * jitterDeg;
    }
    tracks.push({ deviceId: `dev${String(k).padStart(4, '0')}`, timeS, lon, lat, eleM: null, hdop: null, speedMps: null });
  }
  return tracks;
}

/** Every fix of the tracks, interleaved in time order. */
export function interleave(tracks: Track[]): FleetFix[] {
  const out: FleetFix[] = [];
  for (const t of tracks) for (let i = 0; i < t.timeS.length; i++) out.push({ device: t.deviceId, t: t.timeS[i]!, lon: t.lon[i]!, lat: t.lat[i]! });
  return out.sort((a, b) => a.t - b.t || a.device.localeCompare(b.device));
}

/** Fixes delayed in arrival by up to `maxDelayS` (a mobile network): arrival order, each fix within the delay of its time. */
export function jumble(fixes: FleetFix[], maxDelayS: number, seed = 2): FleetFix[] {
  const random = rng(seed);
  return fixes
    .map((f) => ({ f, arrival: f.t + random() * maxDelayS }))
    .sort((a, b) => a.arrival - b.arrival)
    .map((x) => x.f);
}
