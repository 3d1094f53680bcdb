/**
 * The trust rules: a manifest is data (its paths stay in its folder), outputs
 * never overwrite inputs and are written atomically, every CSV cell is safe in
 * a spreadsheet, batch --resume and merge never give a wrong summary, and a
 * file that is not of the expected type is never quoted.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../src/io/csv.js';
import { checkOutput, readInput, writeOutput } from '../src/io/files.js';
import { errorCode, fixture, run } from './helpers.js';

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `gm-trust-${name}-`));
const SECRET = 'top-secret-line: do not leak';

describe('a manifest is data', () => {
  const dir = tmp('manifest');
  const outside = join(tmp('outside'), 'secret.txt');
  writeFileSync(outside, `${SECRET}\n`);
  const mineDir = join(dir, 'mine');
  mkdirSync(mineDir);
  copyFileSync(fixture('scene-a/license_corners.txt'), join(mineDir, 'license.txt'));
  const write = (name: string, doc: object): string => {
    const p = join(mineDir, name);
    writeFileSync(p, JSON.stringify(doc));
    return p;
  };

  it('refuses ../, absolute paths and symlinks that leave the folder, and never quotes the file', async () => {
    symlinkSync(outside, join(mineDir, 'link.txt'));
    for (const license of ['../../../../../../../../etc/passwd', outside, 'link.txt']) {
      const m = write('m.json', { mine: { name: 'x' }, license });
      const r = await run('audit', m, '--out', join(dir, 'out'), '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.code).toBe('PATH_OUTSIDE_ROOT');
      expect(r.stdout + r.stderr).not.toContain('top-secret');
      expect(r.stdout + r.stderr).not.toContain('root:x');
    }
    expect(existsSync(join(dir, 'out', 'report.json'))).toBe(false);
  });

  it('a path inside the folder runs; --allow-outside or a "root" entry reaches shared folders', async () => {
    const inside = await run('audit', write('in.json', { mine: { name: 'x' }, license: 'license.txt' }), '--out', join(dir, 'o1'));
    expect(inside.code).toBe(0);
    const shared = write('shared.json', { mine: { name: 'x' }, license: resolve(fixture('scene-a/license_corners.txt')) });
    expect((await run('audit', shared, '--out', join(dir, 'o2'))).code).toBe(1);
    expect((await run('audit', shared, '--out', join(dir, 'o2'), '--allow-outside')).code).toBe(0);
    const rooted = write('rooted.json', { root: resolve(fixture('.')), mine: { name: 'x' }, license: resolve(fixture('scene-a/license_corners.txt')) });
    expect((await run('audit', rooted, '--out', join(dir, 'o3'))).code).toBe(0);
  });

  it('with --allow-outside, a file of the wrong type is refused without quoting it', async () => {
    const m = write('bad.json', { mine: { name: 'x' }, license: outside });
    const r = await run('audit', m, '--out', join(dir, 'o4'), '--allow-outside');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/LICENSE_(NO_COORDINATES|FORMAT_UNKNOWN)/);
    expect(r.stdout + r.stderr).not.toContain('top-secret');
  });
});

describe('inputs', () => {
  it('devices, folders and oversized files are refused before reading', async () => {
    expect(await errorCode(() => readInput('/dev/zero'))).toBe('FILE_NOT_REGULAR');
    expect(await errorCode(() => readInput(tmpdir()))).toBe('FILE_IS_DIRECTORY');
    const f = join(tmp('big'), 'f.txt');
    writeFileSync(f, 'x'.repeat(1000));
    expect(await errorCode(() => readInput(f, 'file', 999))).toBe('FILE_TOO_LARGE');
    expect(readInput(f, 'file', 1000)).toHaveLength(1000);
    for (const args of [
      ['license', '/dev/zero'],
      ['license', '/dev/urandom'],
      ['coverage', '--license', fixture('scene-a/license.geojson'), '--classes', '/dev/zero'],
    ]) {
      const r = await run(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('FILE_NOT_REGULAR');
    }
  });

  it('the JSON error scanner finds the first error where JSON.parse does', async () => {
    const { jsonErrorOffset } = await import('../src/io/json.js');
    const { rng } = await import('./helpers.js');
    const random = rng(33);
    const valid = JSON.stringify({ a: [1, -2.5e3, 'x\\"y', true, null, { b: {}, c: [] }], d: '矿' }, null, 1);
    expect(jsonErrorOffset(valid)).toBe(-1);
    for (let k = 0; k < 300; k++) {
      // Cut or corrupt a valid document; wherever JSON.parse names a position, the scanner agrees.
      const at = Math.floor(random() * valid.length);
      const broken = random() < 0.5 ? valid.slice(0, at) : valid.slice(0, at) + '#' + valid.slice(at + 1);
      let pos: number | null = null;
      try {
        JSON.parse(broken);
        continue;
      } catch (err) {
        const m = /position (\d+)/.exec((err as Error).message);
        pos = m ? Number(m[1]) : null;
      }
      const mine = jsonErrorOffset(broken);
      expect(mine).toBeGreaterThanOrEqual(0);
      if (pos !== null) expect(mine, broken).toBe(pos);
    }
  });

  it('JSON syntax errors name the line, never the text', async () => {
    const d = tmp('json');
    writeFileSync(join(d, 'a.geojson'), `root:x:0:0:${SECRET}`);
    writeFileSync(join(d, 'b.geojson'), '{\n  "type": "FeatureCollection",\n  "features": [ oops ]\n}');
    writeFileSync(join(d, 'deep.geojson'), `${'['.repeat(100000)}${']'.repeat(100000)}`);
    const a = await run('license', join(d, 'a.geojson'));
    expect(a.stderr).toContain('GEOJSON_SYNTAX');
    expect(a.stderr).not.toContain('top-secret');
    const b = await run('license', join(d, 'b.geojson'));
    expect(b.stderr).toMatch(/line 3, column \d+/);
    const deep = await run('license', join(d, 'deep.geojson'));
    expect(deep.code).toBe(1);
    expect(deep.stderr).toContain('GEOJSON_SYNTAX');
    expect(deep.stderr).not.toContain('internal error');
  });
});

describe('outputs never overwrite inputs and are atomic', () => {
  it('slope --out, coverage --patches and fence --geojson equal to an input are refused; the input is intact', async () => {
    const d = tmp('out');
    const dem = join(d, 'dem.tif');
    const classes = join(d, 'classes.tif');
    const track = join(d, 'track.csv');
    copyFileSync(fixture('scene-a/dem.tif'), dem);
    copyFileSync(fixture('scene-a/classes.tif'), classes);
    copyFileSync(fixture('scene-a/excavator.csv'), track);
    const sizes = [dem, classes, track].map((f) => statSync(f).size);
    symlinkSync(dem, join(d, 'dem-link.tif'));
    const cases = [
      ['slope', '--dem', dem, '--out', dem],
      ['slope', '--dem', dem, '--out', join(d, 'dem-link.tif')],
      ['coverage', '--license', fixture('scene-a/license.geojson'), '--classes', classes, '--patches', classes],
      ['fence', '--license', fixture('scene-a/license.geojson'), '--track', track, '--geojson', track],
      ['license', fixture('scene-a/license.geojson'), '--out', fixture('scene-a/license.geojson')],
    ];
    for (const args of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('OUTPUT_IS_INPUT');
    }
    expect([dem, classes, track].map((f) => statSync(f).size)).toEqual(sizes);
  });

  it('an output in a missing folder or that is a folder is a coded error, and no partial file is left', async () => {
    const d = tmp('out2');
    const missing = await run('slope', '--dem', fixture('scene-a/dem.tif'), '--out', join(d, 'no', 'such', 'slope.tif'));
    expect(missing.stderr).toContain('OUTPUT_DIR_MISSING');
    const folder = await run('slope', '--dem', fixture('scene-a/dem.tif'), '--out', d);
    expect(folder.stderr).toContain('OUTPUT_IS_DIRECTORY');
    const bad = join(d, 'bad.tif');
    writeFileSync(bad, 'II*\0garbage');
    const failed = await run('slope', '--dem', bad, '--out', join(d, 'slope.tif'));
    expect(failed.code).toBe(1);
    expect(readdirSync(d).sort()).toEqual(['bad.tif']);
    const ok = await run('slope', '--dem', fixture('scene-a/dem.tif'), '--out', join(d, 'slope.tif'));
    expect(ok.code).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['bad.tif', 'slope.tif']);
  });

  it('writeOutput replaces a file whole and refuses hard links to inputs', () => {
    const d = tmp('out3');
    const input = join(d, 'in.txt');
    writeFileSync(input, 'input');
    expect(() => checkOutput(input, [input])).toThrow(/OUTPUT_IS_INPUT|overwrite/);
    writeOutput(join(d, 'o.txt'), 'one', [input]);
    writeOutput(join(d, 'o.txt'), 'two', [input]);
    expect(readFileSync(join(d, 'o.txt'), 'utf8')).toBe('two');
    expect(readdirSync(d).sort()).toEqual(['in.txt', 'o.txt']);
  });
});

describe('CSV cells are safe in a spreadsheet', () => {
  it('neutralises formula prefixes and keeps numbers', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+SUM(1+1)')).toBe("'+SUM(1+1)");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell('矿山')).toBe('矿山');
    expect(csvCell(null)).toBe('');
  });

  it('summary.csv and form.csv of a mine named like a formula', async () => {
    const d = tmp('csv');
    const mine = join(d, 'm');
    mkdirSync(mine);
    copyFileSync(fixture('scene-a/license_corners.txt'), join(mine, 'license.txt'));
    writeFileSync(join(mine, 'mine.json'), JSON.stringify({ mine: { name: '=HYPERLINK("http://evil","x")' }, license: 'license.txt' }));
    const r = await run('batch', d, '--out', join(d, 'out'), '--concurrency', '1');
    expect(r.code).toBe(0);
    const csv = readFileSync(join(d, 'out', 'summary.csv'), 'utf8');
    for (const line of csv.split('\r\n')) for (const cell of line.split(',')) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+@]/);
    expect(csv).toContain(`"'=HYPERLINK`);
  });
});

describe('batch --resume and merge', () => {
  const d = tmp('batch');
  for (const name of ['a', 'b', 'c']) {
    mkdirSync(join(d, name));
    copyFileSync(fixture('scene-a/license_corners.txt'), join(d, name, 'license.txt'));
    copyFileSync(fixture('demo-mine/cameras.csv'), join(d, name, 'cameras.csv'));
    writeFileSync(join(d, name, 'mine.json'), JSON.stringify({ mine: { name }, license: 'license.txt', cameras: { path: 'cameras.csv', dem: null } }));
  }
  // A dangling symlink and a link to a folder outside do not stop the batch.
  symlinkSync(join(d, 'nowhere'), join(d, 'dangling'));
  symlinkSync(tmpdir(), join(d, 'tmp-link'));

  it('re-audits a mine whose outputs are incomplete or whose camera file changed; skips the rest', async () => {
    const { findManifests, runBatch } = await import('../src/audit/index.js');
    const out = join(d, '..', `${d.split('/').pop()}-out`);
    const manifests = findManifests(d);
    expect(manifests).toHaveLength(3);
    const first = await runBatch(manifests, { out, concurrency: 1 });
    expect(first.map((r) => r.outcome)).toEqual(['audited', 'audited', 'audited']);
    const dirOf = (m: string): string => first.find((r) => r.manifest === m)!.report.replace(/report\.json$/, '');
    // A kill between writes: report.json without report.html.
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(dirOf(manifests[0]!), 'report.html'));
    // A camera file edited (same size, new time).
    const cams = join(d, 'b', 'cameras.csv');
    const later = new Date(Date.now() + 5000);
    utimesSync(cams, later, later);
    const again = await runBatch(manifests, { out, concurrency: 1, resume: true });
    const by = Object.fromEntries(again.map((r) => [r.mine, r.outcome]));
    expect(by).toEqual({ a: 'audited', b: 'audited', c: 'skipped' });
    expect(existsSync(join(dirOf(manifests[0]!), 'report.html'))).toBe(true);
  });

  it('merge refuses overlapping, repeated, foreign and missing shards, and an --out holding an input', async () => {
    const { findManifests, runBatch, mergeSummaries } = await import('../src/audit/index.js');
    const manifests = findManifests(d);
    const base = tmp('shards');
    const s = (i: number, n: number): string => {
      const out = join(base, `${i}of${n}`);
      return out;
    };
    await runBatch(manifests, { out: s(1, 2), shard: [1, 2], concurrency: 1 });
    await runBatch(manifests, { out: s(2, 2), shard: [2, 2], concurrency: 1 });
    await runBatch(manifests, { out: s(1, 3), shard: [1, 3], concurrency: 1 });
    await runBatch(manifests.slice(0, 2), { out: join(base, 'other'), shard: [2, 2], concurrency: 1 });
    const merged = mergeSummaries([s(1, 2), s(2, 2)], join(base, 'all'));
    expect(merged.map((r) => r.manifest).sort()).toEqual(manifests);
    expect(await errorCode(() => mergeSummaries([s(1, 2), s(1, 2), s(2, 2)], join(base, 'x')))).toBe('MERGE_DUPLICATE_SHARD');
    expect(await errorCode(() => mergeSummaries([s(1, 2), s(1, 3)], join(base, 'x')))).toBe('MERGE_SHARD_MISMATCH');
    expect(await errorCode(() => mergeSummaries([s(1, 2)], join(base, 'x')))).toBe('MERGE_SHARDS_MISSING');
    expect(await errorCode(() => mergeSummaries([s(1, 2), join(base, 'other')], join(base, 'x')))).toBe('MERGE_OTHER_BATCH');
    expect(await errorCode(() => mergeSummaries([s(1, 2), s(2, 2)], s(1, 2)))).toBe('OUTPUT_IS_INPUT');
    mkdirSync(join(base, 'bad'));
    writeFileSync(join(base, 'bad', 'summary.json'), 'not json at all');
    const r = await run('merge', join(base, 'bad'), '--out', join(base, 'y'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MERGE_BAD_SUMMARY');
  });

  it('init skips dangling links and does not follow links out of its folder', async () => {
    const i = tmp('init');
    copyFileSync(fixture('scene-a/license_corners.txt'), join(i, '采矿许可证.txt'));
    symlinkSync(join(i, 'gone.tif'), join(i, 'dem.tif'));
    symlinkSync(fixture('scene-a/classes.tif'), join(i, 'classes.tif'));
    const r = await run('init', i);
    expect(r.code).toBe(0);
    const draft = JSON.parse(readFileSync(join(i, 'mine.json'), 'utf8'));
    expect(JSON.stringify(draft)).not.toContain('dem.tif');
    expect(JSON.stringify(draft)).not.toContain('classes.tif');
  });
});
