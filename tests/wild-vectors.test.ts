/**
 * Licenses and tracks as other tools write them, and as they arrive damaged:
 * every case gets the right answer or a coded error naming the file and line.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { licenseArea, loadLicenses, loadLicensesFromBytes, parseElevation } from '../src/license/index.js';
import { loadTracks, loadTracksFromBytes } from '../src/track/index.js';
import { errorCode, expected, fixture, run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gm-wild-'));
const corners = readFileSync(fixture('scene-a/license_corners.txt'), 'utf8');
const text = (name: string, content: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('corner tables', () => {
  it('a corner in exponent notation is read, not dropped (the area stays whole)', async () => {
    const lines = corners.split('\n');
    const i = lines.findIndex((l) => l.startsWith('3,'));
    const [, x, y] = lines[i]!.split(',');
    lines[i] = `3,${Number(x).toExponential()},${Number(y).toExponential()}`;
    const [license] = await loadLicenses(text('exp.txt', lines.join('\n')));
    expect(Math.abs(licenseArea(license!).ellipsoidalM2 - expected.license.ellipsoidal_area_m2)).toBeLessThan(1);
  });

  it('an extra column is refused with its line, not ignored', async () => {
    const lines = corners.split('\n');
    const i = lines.findIndex((l) => l.startsWith('5,'));
    lines[i] = `${lines[i]!.trim()},123.4`;
    const p = text('extra.txt', lines.join('\n'));
    expect(await errorCode(() => loadLicenses(p))).toBe('LICENSE_TABLE_ROW');
    const r = await run('license', p);
    expect(r.stderr).toContain(`line ${i + 1}`);
  });

  it('elevations with thousands separators, and impossible ones refused', () => {
    expect(parseElevation('开采标高：由+1,290米至+68米')).toEqual({ min: 68, max: 1290 });
    expect(parseElevation('由+1，290米至-47米')).toEqual({ min: -47, max: 1290 });
    expect(parseElevation('开采标高：由+1e308米至+68米')).toBeNull();
    expect(parseElevation('开采标高：由+12000米至+68米')).toBeNull();
  });
});

describe('shapefiles', () => {
  const shp = (name: string, cpg: string | null, dbf?: Uint8Array): string => {
    for (const ext of ['shp', 'shx', 'prj']) copyFileSync(fixture(`scene-a/license_shp/license.${ext}`), join(dir, `${name}.${ext}`));
    writeFileSync(join(dir, `${name}.dbf`), dbf ?? readFileSync(fixture('scene-a/license_shp/license.dbf')));
    if (cpg !== null) writeFileSync(join(dir, `${name}.cpg`), cpg);
    return join(dir, `${name}.shp`);
  };
  const dbf = readFileSync(fixture('scene-a/license_shp/license.dbf'));
  const declared = readFileSync(fixture('scene-a/license_shp/license.cpg'), 'utf8').trim().toUpperCase();

  it('a .cpg that contradicts the attribute bytes is a coded error, not mojibake', async () => {
    // The fixture's own encoding read as declared, then the other one declared over the same bytes.
    expect((await loadLicenses(shp('ok', declared)))[0]!.licenseNo).toBeTruthy();
    const wrong = /UTF/.test(declared) ? 'GBK' : 'UTF-8';
    expect(await errorCode(() => loadLicenses(shp('wrong', wrong)))).toBe('SHP_ENCODING_MISMATCH');
    // Named by the user, it is taken as said.
    expect((await loadLicenses(shp('wrong2', wrong), { encoding: declared }))[0]!.licenseNo).toBeTruthy();
  });

  it('a .dbf cut mid-record is SHP_TRUNCATED, never null attributes', async () => {
    const recordBytes = dbf.readUInt16LE(10);
    const cut = dbf.subarray(0, dbf.length - Math.floor(recordBytes / 2) - 1);
    expect(await errorCode(() => loadLicenses(shp('cut', declared, cut)))).toBe('SHP_TRUNCATED');
  });
});

describe('KML and KMZ', () => {
  const kml = (name: string, encoding: string): string =>
    `<?xml version="1.0" encoding="${encoding}"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>${name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>119.95,30.575 119.952,30.575 119.952,30.577 119.95,30.577 119.95,30.575</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>`;

  it('a KML declaring encoding="GBK" is read as GBK', async () => {
    const gbk = new Uint8Array([...Buffer.from(kml('__NAME__', 'GBK'), 'latin1')]);
    const name = '测试矿山';
    const encoded = new Uint8Array(Buffer.from([0xb2, 0xe2, 0xca, 0xd4, 0xbf, 0xf3, 0xc9, 0xbd])); // 测试矿山 in GBK
    const s = Buffer.from(gbk).toString('latin1');
    const at = s.indexOf('__NAME__');
    const bytes = Buffer.concat([Buffer.from(s.slice(0, at), 'latin1'), Buffer.from(encoded), Buffer.from(s.slice(at + 8), 'latin1')]);
    const [license] = loadLicensesFromBytes(bytes, 'gbk.kml');
    expect(JSON.stringify(license!.attributes)).toContain(name);
    // The same bytes declared UTF-8 are refused, not garbled.
    const lying = Buffer.from(bytes.toString('latin1').replace('encoding="GBK"', 'encoding="UTF-8"'), 'latin1');
    expect(await errorCode(() => loadLicensesFromBytes(lying, 'lying.kml'))).toBe('ENCODING_MISMATCH');
  });

  it('a KMZ whose KML would inflate past the limit is refused before inflating', async () => {
    const big = new Uint8Array(80 << 20).fill(32);
    const kmz = zipSync({ 'doc.kml': big }, { level: 9 });
    expect(kmz.length).toBeLessThan(1 << 20);
    const before = process.memoryUsage().rss;
    expect(await errorCode(() => loadLicensesFromBytes(kmz, 'bomb.kmz'))).toBe('KMZ_TOO_LARGE');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20);
    // Other members (images, say) are never inflated at all.
    const withImage = zipSync({ 'doc.kml': new TextEncoder().encode(kml('x', 'UTF-8')), 'files/huge.png': new Uint8Array(100 << 20) }, { level: 9 });
    expect(loadLicensesFromBytes(withImage, 'ok.kmz')).toHaveLength(1);
  });

  it('entity bombs and deep nesting are coded errors', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]><kml><Placemark><name>&e;&e;&e;&e;&e;&e;</name></Placemark></kml>`;
    const code = await errorCode(() => loadLicensesFromBytes(new TextEncoder().encode(bomb), 'bomb.kml'));
    expect(code).toMatch(/^KML_/);
    const deep = `<kml>${'<Folder>'.repeat(5000)}${'</Folder>'.repeat(5000)}</kml>`;
    expect(await errorCode(() => loadLicensesFromBytes(new TextEncoder().encode(deep), 'deep.kml'))).toMatch(/^KML_/);
    const gpxDeep = `<gpx>${'<trk>'.repeat(5000)}${'</trk>'.repeat(5000)}</gpx>`;
    expect(await errorCode(() => loadTracksFromBytes(new TextEncoder().encode(gpxDeep), 'deep.gpx'))).toMatch(/^GPX_|TRACK_/);
  });

  it('a GPX cut short names where the open element began', async () => {
    const gpx = '<?xml version="1.0"?>\n<gpx version="1.1">\n<trk>\n<trkseg>\n<trkpt lat="30.5" lon="119.9"><time>2023-11-16T02:25:00Z</time></trkpt>\n';
    const r = await run('fence', '--license', fixture('scene-a/license.geojson'), '--track', text('cut.gpx', gpx));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GPX_SYNTAX.*cut short/);
  });
});

describe('tracks', () => {
  const header = 'time,lon,lat\n';
  const good = '2023-11-16 10:25:00,119.95,30.577\n2023-11-16 10:25:05,119.9501,30.577\n2023-11-16 10:25:10,119.9502,30.577\n';
  const bads = (rows: string): string[] => {
    const set = loadTracks(text(`t${Math.random().toString(36).slice(2)}.csv`, header + good + rows), { frame: 'WGS84' });
    return set.bad.map((b) => b.reason);
  };

  it('impossible dates, offsets, years, null-island fixes and hex numbers are bad rows with reasons', () => {
    expect(bads('2023-02-31 10:00:00,119.95,30.577\n')).toHaveLength(1);
    expect(bads('2023-11-16T10:00:00+99:99,119.95,30.577\n')).toHaveLength(1);
    expect(bads('9999-01-01 10:00:00,119.95,30.577\n')[0]).toContain('future');
    expect(bads('0001-01-01 10:00:00,119.95,30.577\n')[0]).toContain('1980');
    expect(bads('2023-11-16 10:26:00,0,0\n')[0]).toContain('0, 0');
    expect(bads('2023-11-16 10:26:00,0x77,30.577\n')).toHaveLength(1);
    expect(bads('2024-02-29 10:00:00,119.95,30.577\n')).toHaveLength(0); // a leap day exists
  });

  it('NMEA latitudes past 90°, longitudes past 180°, minutes ≥ 60 and month 99 are bad rows', () => {
    const sentence = (body: string): string => {
      let sum = 0;
      for (const ch of body) sum ^= ch.charCodeAt(0);
      return `$${body}*${sum.toString(16).toUpperCase().padStart(2, '0')}`;
    };
    const ok = sentence('GPRMC,022500,A,3034.620,N,11957.000,E,0.0,0.0,161123,,');
    const lines = [
      ok,
      sentence('GPRMC,022501,A,9500.000,N,11957.000,E,0.0,0.0,161123,,'),
      sentence('GPRMC,022502,A,3034.620,N,20000.000,E,0.0,0.0,161123,,'),
      sentence('GPRMC,022503,A,3075.620,N,11957.000,E,0.0,0.0,161123,,'),
      sentence('GPRMC,022504,A,3034.620,N,11957.000,E,0.0,0.0,169923,,'),
      sentence('GPRMC,022505,A,3034.620,N,11957.001,E,0.0,0.0,161123,,'),
      sentence('GPRMC,022506,A,3034.620,N,11957.002,E,0.0,0.0,161123,,'),
      sentence('GPRMC,022507,A,3034.620,N,11957.003,E,0.0,0.0,161123,,'),
      sentence('GPRMC,022508,A,3034.620,N,11957.004,E,0.0,0.0,161123,,'),
    ];
    const set = loadTracks(text('bad.nmea', lines.join('\n')));
    expect(set.bad.map((b) => b.line)).toEqual([2, 3, 4, 5]);
    expect(set.tracks[0]!.timeS).toHaveLength(5);
  });

  it('the frame is read in any spelling; an unknown frame is an error, never BD-09', () => {
    const csv = text('f.csv', header + good);
    const upper = loadTracks(csv, { frame: 'GCJ02' }).tracks[0]!;
    const lower = loadTracks(csv, { frame: 'gcj02' }).tracks[0]!;
    expect(Array.from(lower.lon)).toEqual(Array.from(upper.lon));
    const bd = loadTracks(csv, { frame: 'bd09' }).tracks[0]!;
    expect(Math.abs(bd.lon[0]! - upper.lon[0]!)).toBeGreaterThan(1e-3);
    expect(() => loadTracks(csv, { frame: 'mars' as 'gcj02' })).toThrow(/FRAME_UNKNOWN|not a coordinate frame/);
  });
});

describe('CSV tracks streamed from disk', () => {
  it('give exactly what the in-memory reader gives, whatever the chunk boundaries (CRLF, CR, multibyte text, GBK)', async () => {
    const { parseTrackCsv, streamTrackCsv } = await import('../src/track/index.js');
    const rows = ['时间,经度,纬度,设备', '2023-11-16 10:25:00,119.95,30.577,浙A1', '2023-11-16 10:25:05,119.9501,30.577,浙A1', 'bad,row', '2023-11-16 10:25:10,119.9502,30.5771,浙B2', '2023-11-16 10:25:15,119.9503,30.5772,浙B2'];
    // GBK bytes of the few Chinese characters used (no encoder needed; checked by decoding below).
    const gbk = (s: string): Buffer => {
      const table: Record<string, number[]> = { 时: [0xca, 0xb1], 间: [0xbc, 0xe4], 经: [0xbe, 0xad], 度: [0xb6, 0xc8], 纬: [0xce, 0xb3], 设: [0xc9, 0xe8], 备: [0xb1, 0xb8], 浙: [0xd5, 0xe3] };
      return Buffer.from(Array.from(s).flatMap((ch) => table[ch] ?? [ch.charCodeAt(0)]));
    };
    const variants: Array<[string, Uint8Array]> = [
      ['crlf', Buffer.from(`\uFEFF${rows.join('\r\n')}\r\n`)],
      ['lf', Buffer.from(rows.join('\n'))],
      ['cr', Buffer.from(rows.join('\r'))],
      ['gbk', gbk(rows.join('\r\n'))],
    ];
    expect(new TextDecoder('gb18030').decode(variants[3]![1])).toBe(rows.join('\r\n'));
    for (const [name, bytes] of variants) {
      const path = text(`stream-${name}.csv`, bytes);
      const whole = parseTrackCsv(bytes, path, { frame: 'wgs84' });
      for (const chunk of [1, 2, 3, 5, 7, 16, 64, 1 << 20]) {
        const streamed = streamTrackCsv(path, { frame: 'wgs84' }, chunk);
        expect(
          streamed.tracks.map((t) => [t.deviceId, Array.from(t.timeS), Array.from(t.lon)]),
          `${name} / ${chunk}`,
        ).toEqual(whole.tracks.map((t) => [t.deviceId, Array.from(t.timeS), Array.from(t.lon)]));
        expect(streamed.bad, `${name} / ${chunk}`).toEqual(whole.bad);
        expect(streamed.rows).toBe(whole.rows);
      }
      expect(whole.tracks.map((t) => t.deviceId)).toEqual(['浙A1', '浙B2']);
    }
  });
});

describe('bounds on what is kept', () => {
  it('bad rows are all counted, the first 10 000 kept with their lines', () => {
    const lines = ['time,lon,lat'];
    for (let i = 0; i < 30_000; i++) lines.push(i % 5 < 2 ? `bad,${i},x` : `2023-11-16T10:00:00+08:00,${119.95 + i * 1e-7},30.577`);
    const set = loadTracks(text('many-bad.csv', lines.join('\n')), { frame: 'wgs84' });
    expect(set.badCount).toBe(12_000);
    expect(set.bad).toHaveLength(10_000);
    expect(set.bad[0]!.line).toBe(2);
    expect(set.findings.find((f) => f.code === 'TRACK_BAD_ROWS')!.message).toMatch(/^12000 row/);
  });

  it('an XML declaration naming an unknown encoding is a coded error naming the file', async () => {
    const xml = '<?xml version="1.0" encoding="EBCDIC-CP-US"?><kml><Placemark/></kml>';
    expect(await errorCode(() => loadLicensesFromBytes(new TextEncoder().encode(xml), 'ebcdic.kml'))).toBe('KML_SYNTAX');
  });
});
