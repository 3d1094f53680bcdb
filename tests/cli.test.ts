import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expected, fixture, run } from './helpers.js';

describe('greenmine license', () => {
  it('--json prints exactly the contract object', async () => {
    const r = await run('license', fixture('scene-a/license_corners.txt'), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ crs: 'EPSG:4528', blocks: 2, holes: 1, vertices: 24, elevationM: { min: 68, max: 290 }, findings: [] });
    expect(out.file).toContain('license_corners.txt');
    expect(Math.abs(out.areaM2.ellipsoidal - expected.license.ellipsoidal_area_m2)).toBeLessThan(1);
    expect(out.statedAreaM2).toBeCloseTo(729000, 3);
    expect(out.bbox).toHaveLength(4);
    expect(out.bbox[0]).toBeLessThan(out.bbox[2]);
  });

  it('prints an array for a file with several licenses', async () => {
    const r = await run('license', fixture('variants/two_licenses.geojson'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((l: { licenseNo: string }) => l.licenseNo)).toEqual(['C001', 'C002']);
  });

  it('prints a readable summary without --json, warnings on stderr', async () => {
    const r = await run('license', fixture('variants/corners_wrong_area.txt'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0.7290 km² ellipsoidal');
    expect(r.stderr).toContain('LICENSE_AREA_MISMATCH');
  });

  it('exits 1 with the error code on bad data, as JSON with --json', async () => {
    const r = await run('license', fixture('variants/corners_noprefix_bare.txt'), '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('CRS_ZONE_AMBIGUOUS');
    expect(r.stderr).toContain('EPSG:4549');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 on bad usage', async () => {
    expect((await run('license')).code).toBe(2);
    expect((await run('license', 'a.txt', '--zone', 'forty')).code).toBe(2);
    expect((await run('license', 'a.txt', '--bogus')).code).toBe(2);
    expect((await run('license', 'a.txt', '--to', 'EPSG:4549')).code).toBe(2);
    expect((await run('license', 'a.txt', '--towgs84', '1,2')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    const same = await run('license', fixture('scene-a/license.geojson'), '--out', fixture('scene-a/license.geojson'));
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('OUTPUT_IS_INPUT');
  });

  it('writes GeoJSON in the CRS asked for', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'greenmine-cli-')), 'license.geojson');
    const r = await run('license', fixture('scene-a/license_corners.txt'), '--to', 'EPSG:4549', '--out', out);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const fc = JSON.parse(readFileSync(out, 'utf8'));
    expect(fc.crs.properties.name).toBe('urn:ogc:def:crs:EPSG::4549');
    expect(fc.features[0].geometry.coordinates[0][0][0][0]).toBeCloseTo(495814.07, 2);
  });

  it('--help explains every option', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('license');
    const help = await run('license', '--help');
    for (const option of ['--crs', '--zone', '--encoding', '--gcj02', '--bd09', '--towgs84', '--to', '--out', '--json']) expect(help.stdout).toContain(option);
  });
});

describe('the installed command', () => {
  it('stops quietly when its reader closes the pipe early (greenmine … | head)', async () => {
    const { spawn } = await import('node:child_process');
    const bin = new URL('../dist/src/cli/main.js', import.meta.url);
    expect(existsSync(bin), 'npm ci builds dist/ (prepare)').toBe(true);
    const child = spawn(process.execPath, [bin.pathname, 'license', fixture('scene-a/license_corners.txt'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read nothing and close our end at once: every write of the child meets a closed pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).not.toMatch(/EPIPE|at .*\.js/);
    expect(code).toBe(0);
  });
});

describe('option values', () => {
  const lic = fixture('scene-a/license.geojson');
  const classes = fixture('scene-a/classes.tif');

  it('an empty value is a usage error, never 0', async () => {
    for (const args of [
      ['coverage', '--license', lic, '--classes', classes, '--target='],
      ['coverage', '--license', lic, '--classes', classes, '--buffer='],
      ['fence', '--license', lic, '--track', fixture('scene-a/excavator.csv'), '--tolerance='],
      ['slopes', '--license', lic, '--classes', classes, '--dem', fixture('scene-a/dem.tif'), '--min-slope='],
    ]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('needs a value');
    }
  });

  it('values out of range or not numbers are usage errors naming the range', async () => {
    const slopes = ['slopes', '--license', lic, '--classes', classes, '--dem', fixture('scene-a/dem.tif')];
    for (const bad of [
      ['--min-slope', '1e12'],
      ['--min-slope', '0x10'],
      ['--limit', '2.5'],
      ['--min-share', '2'],
    ]) {
      const r = await run(...slopes, ...bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/takes/);
    }
    expect((await run('coverage', '--license', lic, '--classes', classes, '--target', '1.5')).code).toBe(2);
    expect((await run('batch', tmpdir(), '--out', tmpdir(), '--concurrency', '0')).code).toBe(2);
  });

  it('a negative number after an option is its value (--height-offset -5), as with =', async () => {
    const track = fixture('scene-a/excavator.csv');
    const spaced = await run('fence', '--license', lic, '--track', track, '--height-offset', '-5', '--json');
    const equals = await run('fence', '--license', lic, '--track', track, '--height-offset=-5', '--json');
    expect(spaced.code).toBe(0);
    expect(JSON.parse(spaced.stdout).events).toEqual(JSON.parse(equals.stdout).events);
  });
});

describe('verdicts in the JSON contract come from the checks', () => {
  it('coverage and slopes --json carry pass as R1.1 and R2.2 decide it (the engines do not)', async () => {
    const lic = fixture('scene-a/license.geojson');
    const cov = JSON.parse((await run('coverage', '--license', lic, '--classes', fixture('scene-a/classes.tif'), '--json')).stdout);
    expect(cov.pass).toBe(false);
    expect(JSON.parse((await run('coverage', '--license', lic, '--classes', fixture('scene-a/classes.tif'), '--target', '0.5', '--json')).stdout).pass).toBe(true);
    const sl = JSON.parse((await run('slopes', '--license', lic, '--classes', fixture('scene-a/classes.tif'), '--dem', fixture('scene-a/dem.tif'), '--json')).stdout);
    expect(sl.pass).toBe(sl.count <= 2);
    expect(JSON.parse((await run('slopes', '--license', lic, '--classes', fixture('scene-a/classes.tif'), '--dem', fixture('scene-a/dem.tif'), '--limit', '1000', '--json')).stdout).pass).toBe(true);
  });
});

describe('one vocabulary across commands', () => {
  const COMMANDS = ['audit', 'batch', 'merge', 'init', 'license', 'classify', 'coverage', 'slopes', 'soil', 'slope', 'dust', 'cameras', 'fence'];

  it('every command takes --version, --json, -q and -v (a usage error under --json is still a clean exit 2)', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const c of COMMANDS) {
      const v = await run(c, '--version');
      expect(v.code, c).toBe(0);
      expect(v.stdout).toBe(`greenmine ${pkg.version}\n`);
      // No arguments but the common flags: the command's own usage error, never "unknown option".
      for (const flag of ['--json', '-q', '-v']) {
        const r = await run(c, flag);
        expect(r.stderr + r.stdout, `${c} ${flag}`).not.toContain('unknown option');
      }
    }
  });

  it('old spellings read as the current ones: --licenses, --gcj02, --patches, -o', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-vocab-'));
    const a = await run('fence', '--licenses', fixture('scene-a/license_corners.txt'), '--track', fixture('scene-a/excavator.csv'), '--json');
    const b = await run('fence', '--license', fixture('scene-a/license_corners.txt'), '--track', fixture('scene-a/excavator.csv'), '--json');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const g1 = await run('license', fixture('scene-a/license_corners.txt'), '-o', join(dir, 'a.geojson'));
    const g2 = await run('license', fixture('scene-a/license_corners.txt'), '--geojson', join(dir, 'b.geojson'));
    expect([g1.code, g2.code]).toEqual([0, 0]);
    expect(readFileSync(join(dir, 'a.geojson'), 'utf8')).toBe(readFileSync(join(dir, 'b.geojson'), 'utf8'));
    const frames = await run('license', fixture('scene-a/license_corners.txt'), '--gcj02', '--frame', 'BD09');
    expect(frames.code).toBe(2); // two frames given: parseArgs keeps the last, but --gcj02 and --frame bd09 cannot both be meant
  });

  it('- writes the GeoJSON to stdout (the summary moves to stderr) and reads a license from stdin', () => {
    const cli = join('dist', 'src', 'cli', 'main.js');
    const out = execFileSync('node', [cli, 'license', fixture('scene-a/license_corners.txt'), '-o', '-'], { encoding: 'utf8' });
    expect(JSON.parse(out).type).toBe('FeatureCollection');
    const viaStdin = execFileSync('node', [cli, 'license', '-', '--json'], { input: readFileSync(fixture('scene-a/license_corners.txt')), encoding: 'utf8' });
    expect(JSON.parse(viaStdin)).toMatchObject({ crs: 'EPSG:4528', blocks: 2, holes: 1 });
  });

  it('a mistyped flag suggests the nearest; audit <folder> says how to make a manifest', async () => {
    const r = await run('coverage', '--licence', fixture('scene-a/license_corners.txt'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean --license');
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-nomanifest-'));
    const f = await run('audit', dir);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain(`greenmine init ${dir}`);
  });

  it('-q keeps errors and drops warnings; fence and dust print local times with their offset (--tz)', async () => {
    const loud = await run('license', fixture('variants/corners_wrong_area.txt'));
    const quiet = await run('license', fixture('variants/corners_wrong_area.txt'), '-q');
    expect(loud.stderr).toContain('LICENSE_AREA_MISMATCH');
    expect(quiet.stderr).toBe('');
    const bad = await run('license', fixture('variants/corners_noprefix_bare.txt'), '-q');
    expect(bad.stderr).toContain('CRS_ZONE_AMBIGUOUS');
    const utc = await run('dust', '--readings', fixture('sensors/readings.csv'), '--stations', fixture('sensors/stations.csv'), '--json', '--tz', 'UTC');
    const cst = await run('dust', '--readings', fixture('sensors/readings.csv'), '--stations', fixture('sensors/stations.csv'), '--json');
    const [u, c] = [JSON.parse(utc.stdout).alarms[0].start as string, JSON.parse(cst.stdout).alarms[0].start as string];
    expect(c).toMatch(/\+08:00$/);
    expect(u).toMatch(/(Z|\+00:00)$/);
    // Zone-less readings are read in the zone given, so the wall-clock time is the same and the instant differs by 8 h.
    expect(u.slice(0, 19)).toBe(c.slice(0, 19));
  });
});
