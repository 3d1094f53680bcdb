/**
 * Provincial fence: N licenses (4–200 vertices, 10 % with a hole) over
 * Zhejiang and M fixes (half uniform over the province, half random-walk
 * tracks starting near licenses). Anchors in the same run: which-polygon, and
 * @turf/boolean-point-in-polygon looped over a Flatbush bbox pre-filter.
 */
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import Flatbush from 'flatbush';
import whichPolygon from 'which-polygon';
import { crsFromEpsg } from '../src/crs/index.js';
import { detectEvents, FenceIndex } from '../src/fence/index.js';
import type { License } from '../src/license/index.js';
import type { Track } from '../src/track/index.js';
import { consume, peakRssMiB, report, rng, time } from './harness.js';

interface Scene {
  licenses: License[];
  polygons: number[][][][]; // GeoJSON polygon coordinates per license
  lon: Float64Array;
  lat: Float64Array;
}

export function makeScene(licenseCount: number, fixCount: number): Scene {
  const random = rng(4490);
  const licenses: License[] = [];
  const polygons: number[][][][] = [];
  const ring = (lon: number, lat: number, n: number, radius: number, clockwise: boolean): number[][] => {
    const out: number[][] = [];
    for (let i = 0; i < n; i++) {
      const a = ((clockwise ? -1 : 1) * 2 * Math.PI * i) / n;
      const r = radius * (0.5 + 0.5 * random());
      out.push([lon + r * Math.cos(a), lat + r * Math.sin(a) * 0.9]);
    }
    out.push(out[0]!);
    return out;
  };
  for (let i = 0; i < licenseCount; i++) {
    const lon = 118.2 + random() * 4.6;
    const lat = 27.3 + random() * 3.7;
    const radius = 0.003 + random() * 0.01;
    const rings = [ring(lon, lat, 4 + Math.floor(random() * 197), radius, false)];
    if (random() < 0.1) rings.push(ring(lon, lat, 6, radius * 0.3, true));
    polygons.push(rings);
    licenses.push({
      id: `L${i}`,
      name: null,
      licenseNo: `L${i}`,
      holder: null,
      blocks: [{ name: null, rings: rings.map((r) => Float64Array.from(r.flat())) }],
      elevationM: null,
      statedArea: null,
      crs: crsFromEpsg(4326),
      sourceFile: 'bench',
      attributes: {},
      findings: [],
    });
  }
  const lon = new Float64Array(fixCount);
  const lat = new Float64Array(fixCount);
  let x = 0,
    y = 0;
  for (let i = 0; i < fixCount; i++) {
    if (i < fixCount / 2) {
      lon[i] = 118.0 + random() * 5.2;
      lat[i] = 27.0 + random() * 4.2;
    } else {
      if (i % 1000 === 0) {
        const start = polygons[Math.floor(random() * polygons.length)]![0]![0]!;
        x = start[0]!;
        y = start[1]!;
      }
      x += (random() - 0.5) * 0.0004;
      y += (random() - 0.5) * 0.0004;
      lon[i] = x;
      lat[i] = y;
    }
  }
  return { licenses, polygons, lon, lat };
}

export async function benchFence(licenseCount: number, fixCount: number): Promise<void> {
  const scene = makeScene(licenseCount, fixCount);
  const n = fixCount;
  const outLicense = new Int32Array(n);
  const outDistance = new Float64Array(n);

  const buildTiming = await time('greenmine FenceIndex.build', () => consume(FenceIndex.build(scene.licenses).data.byteLength), { repeats: 15, warmup: 3 });
  const fence = FenceIndex.build(scene.licenses);
  const geojson = {
    type: 'FeatureCollection' as const,
    features: scene.polygons.map((coordinates, i) => ({ type: 'Feature' as const, properties: { i }, geometry: { type: 'Polygon' as const, coordinates } })),
  };
  const wpBuild = await time('anchor: which-polygon build', () => consume(whichPolygon(geojson) ? 1 : 0), { repeats: 5 });
  report(`Fence index build (${licenseCount} licenses)`, buildTiming, wpBuild, licenseCount, 'licenses');
  console.log(`  index size ${(fence.data.byteLength / 1024).toFixed(0)} KiB in one ArrayBuffer`);

  const query = whichPolygon(geojson);
  const locate = await time('greenmine locateInto', () => {
    fence.locateInto(scene.lon, scene.lat, outLicense);
    consume(outLicense[n - 1]!);
  });
  const wp = await time('anchor: which-polygon', () => {
    let inside = 0;
    for (let i = 0; i < n; i++) if (query([scene.lon[i]!, scene.lat[i]!])) inside++;
    consume(inside);
  });
  report(`Locate ${n.toLocaleString('en-US')} fixes`, locate, wp, n, 'fixes');

  const boxes = new Flatbush(geojson.features.length);
  for (const f of geojson.features) {
    let a = Infinity,
      b = Infinity,
      c = -Infinity,
      d = -Infinity;
    for (const [px, py] of f.geometry.coordinates[0]!) {
      a = Math.min(a, px!);
      b = Math.min(b, py!);
      c = Math.max(c, px!);
      d = Math.max(d, py!);
    }
    boxes.add(a, b, c, d);
  }
  boxes.finish();
  const turf = await time('anchor: flatbush + @turf/boolean-point-in-polygon', () => {
    let inside = 0;
    for (let i = 0; i < n; i++) {
      const p = [scene.lon[i]!, scene.lat[i]!];
      for (const k of boxes.search(p[0]!, p[1]!, p[0]!, p[1]!)) {
        if (booleanPointInPolygon(p, geojson.features[k]!)) {
          inside++;
          break;
        }
      }
    }
    consume(inside);
  });
  report(`Locate ${n.toLocaleString('en-US')} fixes`, locate, turf, n, 'fixes');

  const withDistance = await time('greenmine locateInto + signed distance (100 m)', () => {
    fence.locateInto(scene.lon, scene.lat, outLicense, outDistance);
    consume(outDistance[n - 1]!);
  });
  report(`Locate with signed distance, ${n.toLocaleString('en-US')} fixes`, withDistance, wp, n, 'fixes');

  // "Inside no license": the fixes that are outside every license, alone.
  fence.locateInto(scene.lon, scene.lat, outLicense);
  const outsideIdx = [] as number[];
  for (let i = 0; i < n; i++) if (outLicense[i] === -1) outsideIdx.push(i);
  const oLon = Float64Array.from(outsideIdx, (i) => scene.lon[i]!);
  const oLat = Float64Array.from(outsideIdx, (i) => scene.lat[i]!);
  const oOut = new Int32Array(oLon.length);
  const outside = await time('greenmine locateInto, fixes inside no license', () => {
    fence.locateInto(oLon, oLat, oOut);
    consume(oOut[0]!);
  });
  const outsideWp = await time('anchor: which-polygon, fixes inside no license', () => {
    let inside = 0;
    for (let i = 0; i < oLon.length; i++) if (query([oLon[i]!, oLat[i]!])) inside++;
    consume(inside);
  });
  report(`"Inside no license" (${((oLon.length / n) * 100).toFixed(0)} % of the fixes)`, outside, outsideWp, oLon.length, 'fixes');

  // Event extraction on one long track (a random walk restarting near licenses) against locating its fixes.
  const half = n;
  const track = walkTrack(scene, half);
  const tl = new Int32Array(half);
  const td = new Float64Array(half);
  const events = await time('greenmine detectEvents (locate + distance + events)', () => consume(detectEvents(fence, track, { toleranceM: 5 }).length));
  const locateTrack = await time('anchor: greenmine locateInto + distance, same fixes', () => {
    fence.locateInto(track.lon, track.lat, tl, td);
    consume(td[0]!);
  });
  report(`Event extraction on a ${half.toLocaleString('en-US')}-fix boundary-hugging track (${share(fence, track)} % of fixes outside)`, events, locateTrack, half, 'fixes');
  const work = workTrack(scene, half);
  const workEvents = await time('greenmine detectEvents, excavator-like track', () => consume(detectEvents(fence, work, { toleranceM: 5 }).length));
  const workLocate = await time('anchor: greenmine locateInto + distance, same fixes', () => {
    fence.locateInto(work.lon, work.lat, tl, td);
    consume(td[0]!);
  });
  report(`Event extraction on a ${half.toLocaleString('en-US')}-fix excavator-like track (${share(fence, work)} % of fixes outside, ${detectEvents(fence, work, { toleranceM: 5 }).length} events)`, workEvents, workLocate, half, 'fixes');
  console.log(`  peak RSS ${peakRssMiB().toFixed(0)} MiB`);
}

/** One long track: a random walk of `n` fixes every 5 s, restarting at a license corner every 2 000 fixes (boundary-hugging). */
export function walkTrack(scene: Scene, n: number): Track {
  const walk = rng(7);
  const wLon = new Float64Array(n);
  const wLat = new Float64Array(n);
  for (let i = 0, x = 0, y = 0; i < n; i++) {
    if (i % 2000 === 0) [x, y] = scene.polygons[Math.floor(walk() * scene.polygons.length)]![0]![0]! as [number, number];
    x += (walk() - 0.5) * 0.0003;
    y += (walk() - 0.5) * 0.0003;
    wLon[i] = x;
    wLat[i] = y;
  }
  return { deviceId: 'bench', timeS: Float64Array.from({ length: n }, (_, i) => 1.7e9 + i * 5), lon: wLon, lat: wLat, eleM: null, hdop: null, speedMps: null };
}

/**
 * An excavator-like track of `n` fixes every 5 s: a slow random walk (about 2 m a step) from the centre of
 * a license, moving to another license every 5 000 fixes; mostly inside, with the excursions of a
 * machine working near its boundary.
 */
export function workTrack(scene: Scene, n: number): Track {
  const walk = rng(11);
  const wLon = new Float64Array(n);
  const wLat = new Float64Array(n);
  for (let i = 0, x = 0, y = 0; i < n; i++) {
    if (i % 5000 === 0) {
      const shell = scene.polygons[Math.floor(walk() * scene.polygons.length)]![0]!;
      x = shell.reduce((s, p) => s + p[0]!, 0) / shell.length;
      y = shell.reduce((s, p) => s + p[1]!, 0) / shell.length;
    }
    x += (walk() - 0.5) * 0.00005;
    y += (walk() - 0.5) * 0.00005;
    wLon[i] = x;
    wLat[i] = y;
  }
  return { deviceId: 'excavator', timeS: Float64Array.from({ length: n }, (_, i) => 1.7e9 + i * 5), lon: wLon, lat: wLat, eleM: null, hdop: null, speedMps: null };
}

/** Percentage of a track's fixes more than 5 m outside every license. */
function share(fence: FenceIndex, track: Track): string {
  const n = track.lon.length;
  const license = new Int32Array(n),
    d = new Float64Array(n);
  fence.locateInto(track.lon, track.lat, license, d);
  let out = 0;
  for (let i = 0; i < n; i++) if (d[i]! > 5) out++;
  return ((out / n) * 100).toFixed(0);
}
