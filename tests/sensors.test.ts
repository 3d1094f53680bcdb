import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { analyseDust, type DustAlarm, DustMonitor, loadReadings, PRESETS, parseReadings, parseRule, parseStations } from '../src/sensors/index.js';
import { errorCode, fixture } from './helpers.js';

const { readings, bad } = loadReadings(fixture('sensors/readings.csv'));
const stations = parseStations(readFileSync(fixture('sensors/stations.csv')), 'stations.csv');
const iso = (s: number): string => new Date(s * 1000).toISOString();

describe('dust readings', () => {
  it('reads Chinese headers, units from the header, and a repeated header that switches units', () => {
    expect(bad).toEqual([]);
    const d1 = readings.filter((r) => r.station === 'D1' && r.pollutant === 'TSP');
    expect(d1.find((r) => iso(r.timeS) === '2023-11-15T16:00:00.000Z')!.valueUgM3).toBe(300); // 00:00 Beijing, 0.3 mg/m³
    expect(d1.find((r) => iso(r.timeS) === '2023-11-16T10:00:00.000Z')!.valueUgM3).toBe(300); // 18:00 Beijing, 300 µg/m³
    expect(readings.find((r) => r.station === 'D2' && r.pollutant === 'PM10')!.valueUgM3).toBe(200);
  });

  it('refuses files without the needed columns and bad rules', async () => {
    expect(await errorCode(() => parseReadings(new TextEncoder().encode('a,b\n1,2\n'), 'x.csv'))).toBe('DUST_CSV_COLUMNS');
    expect(await errorCode(() => parseRule('{"pollutant":"CO"}'))).toBe('DUST_RULE');
    expect(parseRule('gb16297')).toBe(PRESETS.gb16297);
    expect(parseRule('{"pollutant":"PM10","window":"rolling","windowMin":15,"limitUgM3":300}').windowMin).toBe(15);
  });
});

describe('dust alarms', () => {
  it('GB 16297 (TSP 1.0 mg/m³, 1-hour mean): the boundary exceedance, not the unit switch', () => {
    const r = analyseDust(readings, stations, PRESETS.gb16297!);
    expect(r.alarms.map((a) => [a.station, iso(a.start), iso(a.end), Math.round(a.peakUgM3)])).toEqual([['D1', '2023-11-16T02:25:00.000Z', '2023-11-16T03:55:00.000Z', 1800]]);
  });

  it('GB 3095 PM10 (150 µg/m³ daily mean): the haul road for the whole day', () => {
    const r = analyseDust(readings, stations, PRESETS['gb3095-pm10']!);
    expect(r.alarms.map((a) => [a.station, iso(a.start), iso(a.end), a.peakUgM3])).toEqual([['D2', '2023-11-15T16:00:00.000Z', '2023-11-16T16:00:00.000Z', 200]]);
  });

  it('allowed exceedances per day suppress the first ones', () => {
    const strict = analyseDust(readings, stations, { ...PRESETS.gb16297!, allowedPerDay: 0 });
    const lenient = analyseDust(readings, stations, { ...PRESETS.gb16297!, allowedPerDay: 1000 });
    expect(strict.alarms).toHaveLength(1);
    expect(lenient.alarms).toHaveLength(0);
  });

  it('completeness: a gap is counted, a silent monitor is a finding', () => {
    const r = analyseDust(readings, stations, PRESETS.gb16297!);
    const by = Object.fromEntries(r.stations.map((s) => [s.id, s]));
    expect(by.D1!.completeness).toBeCloseTo(276 / 288, 3);
    expect(by.D2!.completeness).toBe(1);
    expect(by.D3!.silent).toBe(true);
    expect(r.findings.map((f) => f.code)).toContain('DUST_STATION_SILENT');
  });

  it('key positions need a monitor within the distance', () => {
    const r = analyseDust(readings, stations, PRESETS.gb16297!, {
      keyPositions: [
        { role: 'processing plant', lon: 119.9481, lat: 30.579 },
        { role: 'crusher', lon: 119.96, lat: 30.59 },
      ],
    });
    expect(r.keyPositions.map((k) => [k.role, k.station, k.covered])).toEqual([
      ['processing plant', 'D3', true],
      ['crusher', 'D1', false],
    ]);
  });

  it('streaming: readings pushed one at a time, stations in any interleaving, give the batch alarms', () => {
    for (const rule of [PRESETS.gb16297!, PRESETS['gb3095-pm10']!, parseRule('{"pollutant":"TSP","window":"calendar","windowMin":15,"limitUgM3":1000}')]) {
      const batch = analyseDust(readings, stations, rule).alarms;
      const monitor = new DustMonitor(rule);
      const streamed: DustAlarm[] = [];
      // Station by station rather than in time order: each station's own order is what matters.
      for (const id of ['D3', 'D1', 'D2']) for (const r of readings.filter((x) => x.station === id)) streamed.push(...monitor.push(r.station, r.timeS, r.pollutant, r.valueUgM3));
      streamed.push(...monitor.flush());
      const key = (a: DustAlarm): string => `${a.station}|${a.start}|${a.end}|${a.peakUgM3}|${a.meanUgM3.toFixed(9)}`;
      expect(streamed.map(key).sort()).toEqual(batch.map(key).sort());
    }
    const m = new DustMonitor(PRESETS.gb16297!);
    m.push('A', 100, 'TSP', 1);
    expect(() => m.push('A', 50, 'TSP', 1)).toThrow(expect.objectContaining({ code: 'DUST_OUT_OF_ORDER' }));
  });
});

describe('greenmine dust', () => {
  it('prints the contract object with --json; exit 2 on bad usage', async () => {
    let stdout = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: () => undefined };
    expect(await main(['dust', '--readings', fixture('sensors/readings.csv'), '--stations', fixture('sensors/stations.csv'), '--json'], io)).toBe(0);
    const out = JSON.parse(stdout);
    // Local times with their offset (readings logged 10:25 in Zhejiang).
    expect(out.alarms[0]).toMatchObject({ station: 'D1', start: '2023-11-16T10:25:00+08:00', end: '2023-11-16T11:55:00+08:00', peak: 1800, unit: 'µg/m³' });
    expect(Date.parse(out.alarms[0].start)).toBe(Date.parse('2023-11-16T02:25:00Z'));
    expect(out.completeness.D2).toBe(1);
    expect(out.stations).toHaveLength(3);
    expect(await main(['dust', '--readings', 'x'], io)).toBe(2);
    expect(await main(['dust', '--readings', 'x', '--stations', 'y', '--preset', 'who-knows'], io)).toBe(2);
  });

  it('a local standard kept as a JSON file works as a preset', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'gm-rule-')), 'local.json');
    // Stricter than GB 16297: TSP 0.5 mg/m³ over 1 h, rolling.
    writeFileSync(file, JSON.stringify({ name: '地方标准 TSP 0.5 mg/m³', pollutant: 'TSP', window: 'rolling', windowMin: 60, limitUgM3: 500 }));
    let stdout = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: () => undefined };
    expect(await main(['dust', '--readings', fixture('sensors/readings.csv'), '--stations', fixture('sensors/stations.csv'), '--rule', file, '--json'], io)).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.rule.name).toBe('地方标准 TSP 0.5 mg/m³');
    const strict = analyseDust(readings, stations, parseRule(readFileSync(file, 'utf8')));
    expect(out.alarms).toHaveLength(strict.alarms.length);
    expect(strict.alarms.length).toBeGreaterThanOrEqual(analyseDust(readings, stations, PRESETS.gb16297!).alarms.length);
    stdout = '';
    expect(await main(['dust', '--readings', fixture('sensors/readings.csv'), '--stations', fixture('sensors/stations.csv'), '--rule', 'missing.json', '--json'], io)).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('FILE_NOT_FOUND');
  });
});
