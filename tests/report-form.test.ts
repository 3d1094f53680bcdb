/**
 * The honest form (#12): the manifest's plan on the form, areas and
 * percentages as the form prints them, local times with their offset in the
 * mine's zone (a DST-free zone and a DST zone), and the command line's
 * version, suggestions and batch exit code.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formRows, runAudit } from '../src/audit/audit.js';
import type { Check } from '../src/audit/check.js';
import { m2, percent } from '../src/audit/check.js';
import { GreenmineError } from '../src/errors.js';
import { checkTimeZone, isoLocal, localDate, offsetMinutes } from '../src/io/time.js';
import { parseTime } from '../src/track/build.js';
import { fixture, run } from './helpers.js';

describe('local time', () => {
  it('writes instants with the offset of the zone, DST included', () => {
    const t = Date.UTC(2023, 10, 16, 2, 25, 0) / 1000;
    expect(isoLocal(t, 'Asia/Shanghai')).toBe('2023-11-16T10:25:00+08:00');
    expect(isoLocal(t, 'UTC')).toBe('2023-11-16T02:25:00+00:00');
    // Berlin: +01:00 in November, +02:00 in July.
    expect(isoLocal(t, 'Europe/Berlin')).toBe('2023-11-16T03:25:00+01:00');
    expect(isoLocal(Date.UTC(2023, 6, 1, 12, 0, 0) / 1000, 'Europe/Berlin')).toBe('2023-07-01T14:00:00+02:00');
    expect(isoLocal(Date.UTC(2023, 6, 1, 12, 0, 0) / 1000, 'America/St_Johns')).toBe('2023-07-01T09:30:00-02:30');
    expect(offsetMinutes('Asia/Kolkata', Date.UTC(2023, 0, 1))).toBe(330);
  });

  it('the local date before 08:00 Beijing time is today there, not yesterday in UTC', () => {
    const t = Date.UTC(2023, 10, 15, 23, 30, 0) / 1000; // 07:30 on the 16th in Beijing
    expect(localDate(t, 'Asia/Shanghai')).toBe('2023-11-16');
    expect(new Date(t * 1000).toISOString().slice(0, 10)).toBe('2023-11-15');
  });

  it('reads zone-less times in the zone, with the offset in force at that time', () => {
    expect(parseTime('2023-11-16 10:25:00', 'Asia/Shanghai')).toEqual({ t: Date.UTC(2023, 10, 16, 2, 25) / 1000, zoned: false });
    expect(parseTime('2023-07-01 14:00:00', 'Europe/Berlin').t).toBe(Date.UTC(2023, 6, 1, 12) / 1000);
    expect(parseTime('2023-01-01 14:00:00', 'Europe/Berlin').t).toBe(Date.UTC(2023, 0, 1, 13) / 1000);
    // A time with its own offset keeps it.
    expect(parseTime('2023-07-01T14:00:00+08:00', 'Europe/Berlin')).toEqual({ t: Date.UTC(2023, 6, 1, 6) / 1000, zoned: true });
    // The fixed-offset form still works.
    expect(parseTime('2023-11-16 10:25:00', 480).t).toBe(Date.UTC(2023, 10, 16, 2, 25) / 1000);
  });

  it('refuses an unknown zone with a code', () => {
    expect(() => checkTimeZone('Asia/Beijing')).toThrow(GreenmineError);
    try {
      checkTimeZone('Mars/Olympus');
    } catch (err) {
      expect((err as GreenmineError).code).toBe('TIME_ZONE_UNKNOWN');
    }
  });
});

describe('the form', () => {
  it('areas as whole square metres with separators, hectares from 1 ha; percentages to 0.1 %', () => {
    expect(m2(542041.1)).toBe('542,041 m²（54.20 ha）');
    expect(m2(724.4)).toBe('724 m²');
    expect(percent(0.99912)).toBe('99.9%');
  });

  const check = (id: string, row: number, status: Check['status'], extra: Partial<Check> = {}): Check => ({
    id,
    row,
    status,
    title: { zh: `标题${id}`, en: `title ${id}` },
    values: {},
    threshold: {},
    problem: status === 'fail' ? { zh: `问题${id}`, en: `problem ${id}` } : null,
    measure: status === 'fail' ? { zh: `措施${id}`, en: `measure ${id}` } : null,
    evidence: [],
    ...extra,
  });

  it('carries the plan: a requirement’s measures replace its own, dates and units are listed, a row’s measures replace the row’s', () => {
    const checks = [check('R1.1', 1, 'fail'), check('R2.2', 2, 'fail'), check('R2.3', 2, 'pass')];
    const rows = formRows(checks, { 'R1.1': { measures: '补植乔灌草 2 公顷', dueDate: '2024-06', responsible: '生态修复部' }, '2': { measures: '整体复绿方案', dueDate: '2024-12-31', responsible: '矿山企业' } });
    expect(rows[0]!.measures).toMatch(/^R1\.1 补植乔灌草 2 公顷；R1\.2/);
    expect(rows[0]!.dueDate).toBe('R1.1 2024-06');
    expect(rows[0]!.responsible).toBe('R1.1 生态修复部');
    expect(rows[1]!.measures).toBe('整体复绿方案');
    expect(rows[1]!.dueDate).toBe('2024-12-31');
    expect(rows[2]!.dueDate).toBe('');
  });

  it('a row with a check not assessed never reads clean, and says why in Chinese only', () => {
    const rows = formRows([check('R4.1', 4, 'not-assessed', { reason: { code: 'INPUT_MISSING', zh: '清单未提供粉尘监测数据', en: 'no dust monitors' } }), check('R4.2', 4, 'pass')], {});
    expect(rows[3]!.problems).not.toContain('未发现可量测问题');
    expect(rows[3]!.problems).toContain('R4.1 标题R4.1：未评估（清单未提供粉尘监测数据）');
    expect(rows[3]!.problems).not.toMatch(/[A-Za-z]{3,}/);
  });

  it('the demo audit: plan, people and local times from the manifest; a plan naming an unknown requirement is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gm-plan-'));
    cpSync(fixture('.'), join(dir, 'fixtures'), { recursive: true, filter: (src) => !src.includes('wild-tiffs') && !src.includes('raster-variants') });
    const path = join(dir, 'fixtures/demo-mine/mine.json');
    const demo = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...demo, mine: { ...demo.mine, preparer: '张三', legalRepresentative: '李四' }, timeZone: 'Asia/Shanghai', plan: { 'R1.1': { dueDate: '2024-06-30', responsible: '复绿工程队' } } }));
    const report = await runAudit(path);
    expect(report.timeZone).toBe('Asia/Shanghai');
    expect(report.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(report.reportDate).toBe(report.generatedAt.slice(0, 10));
    expect(report.form[0]!.dueDate).toBe('R1.1 2024-06-30');
    // The dust readings carry no zone: read in the mine's zone, and said so.
    expect(report.findings.some((f) => f.code === 'TIME_ZONE_ASSUMED' && f.message.includes('Asia/Shanghai'))).toBe(true);
    // --tz overrides the manifest's zone; an unknown one is a coded error, exit 1.
    const utc = await run('audit', path, '--out', join(dir, 'out-utc'), '--tz', 'UTC', '--json');
    expect(utc.code).toBe(0);
    expect(JSON.parse(utc.stdout).generatedAt).toMatch(/\+00:00$/);
    const bogus = await run('audit', path, '--out', join(dir, 'out-bad'), '--tz', 'Asia/Beijing', '--json');
    expect(bogus.code).toBe(1);
    expect(JSON.parse(bogus.stdout).error.code).toBe('TIME_ZONE_UNKNOWN');
    const r51 = report.checks.find((c) => c.id === 'R5.1')!;
    for (const e of (r51.values as { events?: Array<{ start: string }> }).events ?? []) expect(e.start).toMatch(/\+08:00$/);
    writeFileSync(path, JSON.stringify({ ...demo, plan: { 'R9.9': { dueDate: '2024-06' } } }));
    await expect(runAudit(path)).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    writeFileSync(path, JSON.stringify({ ...demo, mine: { ...demo.mine, reportDate: '2024-02-30' } }));
    await expect(runAudit(path)).rejects.toMatchObject({ code: 'MANIFEST_INVALID' });
    writeFileSync(path, JSON.stringify({ ...demo, timeZone: 'China/Beijing' }));
    await expect(runAudit(path)).rejects.toMatchObject({ code: 'TIME_ZONE_UNKNOWN' });
  });
});

describe('command line', () => {
  it('--version is the package’s; a mistyped command or flag gets a suggestion', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect((await run('--version')).stdout.trim()).toBe(`greenmine ${pkg.version}`);
    const typo = await run('audti');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "audit"');
    const flag = await run('audit', fixture('demo-mine/mine.json'), '--ot', 'x');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('did you mean --out?');
  });

  it('batch exits 1 when a mine failed, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gm-batch-fail-'));
    const mine = join(dir, 'broken');
    cpSync(fixture('demo-mine'), mine, { recursive: true });
    writeFileSync(join(mine, 'mine.json'), JSON.stringify({ mine: { name: '坏矿' }, license: 'missing.geojson' }));
    const r = await run('batch', dir, '--out', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 of 1 mine\(s\) failed/);
    expect(r.stderr).toContain('broken');
  });
});
