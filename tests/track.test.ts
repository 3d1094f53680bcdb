import { describe, expect, it } from 'vitest';
import { GreenmineError } from '../src/errors.js';
import { loadTracks, loadTracksFromBytes, parseTime } from '../src/track/index.js';
import { errorCode, fixture } from './helpers.js';

const REFERENCE_FIXES = 175;

describe('track readers', () => {
  it('GPX 1.1 (reference): one device, times, elevations', () => {
    const set = loadTracks(fixture('scene-a/excavator.gpx'));
    expect(set.tracks).toHaveLength(1);
    const t = set.tracks[0]!;
    expect(t.deviceId).toBe('挖掘机 1号');
    expect(t.timeS.length).toBe(REFERENCE_FIXES);
    expect(t.timeS[0]).toBe(Date.parse('2023-11-15T22:13:20Z') / 1000);
    expect(t.eleM![0]).toBe(128);
    expect(set.bad).toEqual([]);
  });

  it('GPX 1.0: several trk and trkseg, hdop and speed, Beijing-time stamps with fractions', () => {
    const set = loadTracks(fixture('tracks/excavator_gpx10.gpx'));
    const t = set.tracks[0]!;
    expect(t.timeS.length).toBe(REFERENCE_FIXES);
    expect(t.timeS[0]).toBe(Date.parse('2023-11-15T22:13:20Z') / 1000);
    expect(t.hdop![1]).toBeCloseTo(0.9, 9);
    expect(t.speedMps![0]).toBe(1.5);
    expect(t.eleM![0]).toBe(100.5);
  });

  it('GPX waypoints only: bad points counted with their line numbers', () => {
    const set = loadTracks(fixture('tracks/waypoints.gpx'));
    expect(set.tracks[0]!.timeS.length).toBe(20);
    expect(set.tracks[0]!.hdop![0]).toBe(1.2);
    expect(set.rows).toBe(22);
    expect(set.bad).toEqual([
      { line: 23, reason: 'no <time>' },
      { line: 24, reason: 'lat/lon attribute missing' },
    ]);
    expect(set.findings.map((f) => f.code)).toContain('TRACK_BAD_ROWS');
  });

  it('fleet CSV: GBK, semicolons, Chinese headers, two vehicles, bad rows, duplicates, disorder, km/h', () => {
    const set = loadTracks(fixture('tracks/fleet_gbk.csv'));
    expect(set.tracks.map((t) => t.deviceId)).toEqual(['浙A12345', '浙B67890']);
    expect(set.tracks[0]!.timeS.length).toBe(REFERENCE_FIXES);
    expect(set.tracks[1]!.timeS.length).toBe(30);
    expect(set.duplicates).toBe(1);
    expect(set.bad.map((b) => b.line)).toEqual([31, 51, 71]);
    expect(set.bad[2]!.reason).toContain('swapped');
    const codes = set.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['TRACK_UNSORTED', 'TRACK_DUPLICATES', 'TRACK_BAD_ROWS', 'TRACK_TIME_ZONE_ASSUMED', 'TRACK_FRAME_ASSUMED']));
    // Beijing time without a zone is read as UTC+8.
    expect(set.tracks[0]!.timeS[0]).toBe(Date.parse('2023-11-15T22:13:20Z') / 1000);
    expect(set.tracks[0]!.speedMps![0]).toBeCloseTo(1.5, 9);
    const times = set.tracks[1]!.timeS;
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  });

  it('tab-separated CSV with Unix times', () => {
    const t = loadTracks(fixture('tracks/unix_tab.csv')).tracks[0]!;
    expect(t.timeS.length).toBe(REFERENCE_FIXES);
    expect(t.deviceId).toBe('unix_tab');
  });

  it('NMEA: RMC and GGA merged per second, checksums verified, no-fix sentences skipped', () => {
    const set = loadTracks(fixture('tracks/excavator.nmea'));
    const t = set.tracks[0]!;
    expect(set.bad).toEqual([
      { line: 42, reason: 'checksum mismatch' },
      { line: 61, reason: 'RMC status V (no valid fix)' },
    ]);
    expect(t.timeS.length).toBe(REFERENCE_FIXES);
    expect(t.hdop![0]).toBe(0.9);
    expect(t.eleM![0]).toBe(110);
    expect(t.speedMps![0]).toBeCloseTo(0.8 * 0.514444, 5);
    const ref = loadTracks(fixture('scene-a/excavator.gpx')).tracks[0]!;
    for (let i = 0; i < REFERENCE_FIXES; i++) {
      expect(Math.abs(t.lon[i]! - ref.lon[i]!)).toBeLessThan(1e-7);
      expect(t.timeS[i]).toBe(ref.timeS[i]);
    }
  });

  it('NMEA GGA without any RMC needs a date', () => {
    const gga = '$GPGGA,221320.00,3034.57599,N,11957.03604,E,1,12,0.9,110.0,M,7.2,M,,*5A\n';
    expect(() => loadTracksFromBytes(new TextEncoder().encode(gga), 'gga.nmea')).toThrow(expect.objectContaining({ code: 'TRACK_NMEA_NO_DATE' }));
    const set = loadTracksFromBytes(new TextEncoder().encode(gga), 'gga.nmea', { date: '2023-11-15' });
    expect(set.tracks[0]!.timeS[0]).toBe(Date.parse('2023-11-15T22:13:20Z') / 1000);
  });

  it('GeoJSON LineString with coordTimes and Points with time', () => {
    const line = loadTracks(fixture('tracks/excavator_line.geojson')).tracks[0]!;
    expect(line.deviceId).toBe('EX-01');
    expect(line.timeS.length).toBe(REFERENCE_FIXES);
    expect(line.eleM![0]).toBe(120);
    const points = loadTracks(fixture('tracks/points.geojson')).tracks[0]!;
    expect(points.deviceId).toBe('P-7');
    expect(points.timeS.length).toBe(15);
  });

  it('refuses a mostly bad file, a CSV without position columns, broken XML', async () => {
    expect(await errorCode(() => loadTracks(fixture('tracks/mostly_bad.csv')))).toBe('TRACK_MOSTLY_BAD');
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(await errorCode(() => loadTracksFromBytes(bytes('time,speed\n2023-01-01T00:00:00Z,3\n'), 'x.csv'))).toBe('TRACK_CSV_COLUMNS');
    expect(await errorCode(() => loadTracksFromBytes(bytes('<gpx><trk>'), 'x.gpx'))).toBe('GPX_SYNTAX');
    expect(await errorCode(() => loadTracksFromBytes(bytes('<gpx></gpx>'), 'x.gpx'))).toBe('TRACK_EMPTY');
    expect(await errorCode(() => loadTracks(fixture('tracks/nope.csv')))).toBe('FILE_NOT_FOUND');
  });

  it('parses times with and without zones and fractions', () => {
    const z = Date.parse('2023-11-15T22:13:20Z') / 1000;
    expect(parseTime('2023-11-15T22:13:20Z', 480).t).toBe(z);
    expect(parseTime('2023-11-16T06:13:20+08:00', 0).t).toBe(z);
    expect(parseTime('2023-11-16 06:13:20', 480)).toEqual({ t: z, zoned: false });
    expect(parseTime('2023/11/16 06:13:20.25', 480).t).toBe(z + 0.25);
    expect(parseTime(String(z), 480).t).toBe(z);
    expect(parseTime(String(z * 1000), 480).t).toBe(z);
    expect(parseTime('2023-13-01 00:00:00', 0).t).toBeNaN();
    expect(parseTime('yesterday', 0).t).toBeNaN();
  });

  it('error objects are GreenmineErrors with where', () => {
    try {
      loadTracks(fixture('tracks/mostly_bad.csv'));
    } catch (e) {
      expect(e).toBeInstanceOf(GreenmineError);
      expect((e as GreenmineError).where.line).toBe(2);
    }
  });
});
