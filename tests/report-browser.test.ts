/**
 * report.html in headless Chromium (Debian's chromium, driven by playwright-core):
 * no console errors, the map's layers and legend, numbered references, pan and
 * zoom, print layout, and report.pdf through `writeReportPdf` (page count, page
 * numbers in the footer read back with poppler's pdftotext, CJK glyphs rendered;
 * and the coded refusal when the browser has no CJK font). CI installs chromium,
 * fonts-noto-cjk and poppler-utils; elsewhere the test runs when they are there.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../src/audit/checks/index.js';
import { type AuditReport, runAudit, writeAuditOutputs, writeReportPdf } from '../src/audit/index.js';
import { GreenmineError } from '../src/errors.js';
import { fixture } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM) && existsSync('/usr/bin/pdftotext');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Browser = Awaited<ReturnType<typeof chromium.launch>>;
let browser: Browser;

async function openReport(report: AuditReport) {
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-html-'));
  const files = writeAuditOutputs(report, dir);
  const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(files.html).href);
  return { page, errors, files, dir };
}

describe.skipIf(!available && !process.env.CI)('report.html in a browser', () => {
  beforeAll(async () => {
    expect(available, 'CI must install chromium and poppler-utils').toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, manifest] of [
    ['the demo mine', 'demo-mine/mine.json'],
    ['scene-a', 'scene-a/mine.json'],
  ] as const) {
    it(`${name}: no errors; the legend lists exactly the layers drawn; every number the text cites is on the map`, async () => {
      const report = await runAudit(fixture(manifest));
      const { page, errors } = await openReport(report);
      expect(errors).toEqual([]);
      // Layers drawn (groups with something in them) and legend entries: the same set.
      const drawn = (await page.evaluate(`[...document.querySelectorAll('svg.view > g[data-layer]')].filter(e => e.childElementCount > 0).map(e => e.dataset.layer)`)) as string[];
      const listed = (await page.evaluate(`[...document.querySelectorAll('ul.legend li')].map(e => e.dataset.layer)`)) as string[];
      const drawnKeys = new Set(drawn.filter((k) => k !== 'grid' && k !== 'labels'));
      const listedKeys = new Set(listed.map((k) => (k.startsWith('underlay-') ? 'underlay' : k)));
      expect(listedKeys).toEqual(drawnKeys);
      expect(drawnKeys.has('license')).toBe(true);
      // Every evidence layer with features is drawn and listed; no check's evidence is missing from the map.
      for (const c of CHECKS.filter((d) => d.map)) {
        const check = report.checks.find((x) => x.id === c.id)!;
        expect(drawnKeys.has(c.id) || drawnKeys.has(`${c.id}-lines`), c.id).toBe(check.evidence.length > 0);
      }
      // Numbers cited in the checks' text (B3, S1…) are labels on the map, and every label is cited or listed.
      const text = report.checks.map((c) => c.problem?.zh ?? '').join(' ');
      const cited = new Set<string>();
      for (const m of text.matchAll(/([BS])(\d+)(?:–[BS](\d+))?/g)) {
        const last = m[3] ? Number(m[3]) : Number(m[2]);
        for (let n = Number(m[2]); n <= last; n++) cited.add(`${m[1]}${n}`);
      }
      const labels = new Set((await page.evaluate(`[...document.querySelectorAll('g[data-layer="labels"] text')].map(e => e.dataset.ref)`)) as string[]);
      for (const ref of cited) expect(labels.has(ref), ref).toBe(true);
      // A grid labelled in Gauss-Krüger metres and the CRS named.
      expect(await page.locator('g.grid text.gx').count()).toBeGreaterThan(0);
      expect(await page.locator('text.crs').textContent()).toMatch(/Gauss-Kruger zone \d+ \(EPSG:45\d\d\)/);
      // A row whose checks did not run never reads as clean.
      for (const row of report.form) {
        const checks = report.checks.filter((c) => c.row === row.row);
        if (checks.some((c) => c.status === 'not-assessed')) expect(row.problems).not.toContain('未发现可量测问题');
      }
      await page.close();
    });
  }

  it('pans and zooms without a network, and keeps the scale bar true', async () => {
    const { page, errors } = await openReport(await runAudit(fixture('demo-mine/mine.json')));
    const before = await page.locator('svg.view').getAttribute('viewBox');
    const bar = async (): Promise<number> => Number(await page.locator('g.scale line').getAttribute('x2')) - Number(await page.locator('g.scale line').getAttribute('x1'));
    const scaleText = async (): Promise<string> => (await page.locator('g.scale text').first().textContent()) ?? '';
    const metres = (t: string): number => (t.endsWith('km') ? Number.parseFloat(t) * 1000 : Number.parseFloat(t));
    const mPerPxBefore = metres(await scaleText()) / (await bar());
    await page.locator('.mapctl button[data-zoom="0.8"]').click();
    await page.locator('.mapctl button[data-zoom="0.8"]').click();
    const after = await page.locator('svg.view').getAttribute('viewBox');
    expect(after).not.toBe(before);
    // Zoomed in by 0.8² : the bar's metres per pixel shrink by the same factor.
    expect(metres(await scaleText()) / (await bar()) / mPerPxBefore).toBeCloseTo(0.64, 2);
    await page.locator('svg.map').dblclick();
    expect(await page.locator('svg.view').getAttribute('viewBox')).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('prints to A4 and writes report.pdf with page numbers and CJK glyphs; a screenshot for the README', async () => {
    const report = await runAudit(fixture('demo-mine/mine.json'));
    const { page, files, dir } = await openReport(report);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/report.png', fullPage: true });
    await page.locator('svg.map').screenshot({ path: 'test-artifacts/report-map.png' });
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: 703, height: 1000 }); // A4 portrait with 12 mm margins
    expect((await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number).toBeLessThanOrEqual(0);
    await page.close();

    const pdf = await writeReportPdf(files.html, join(dir, 'report.pdf'), { executablePath: CHROMIUM });
    expect(pdf.cjkGlyphWidthPx).toBeCloseTo(100, 0);
    const info = execFileSync('pdfinfo', [pdf.path], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    expect(pages).toBe(pdf.pages);
    expect(pages).toBeGreaterThanOrEqual(2);
    // The footer on every page: the mine's name and 第 n 页 / 共 N 页 (CSS paged media).
    const text = execFileSync('pdftotext', ['-layout', pdf.path, '-'], { encoding: 'utf8' });
    const pageTexts = text.split('\f').filter((t) => t.trim());
    expect(pageTexts).toHaveLength(pages);
    pageTexts.forEach((t, i) => {
      expect(t.replace(/\s+/g, ' ')).toContain(`第 ${i + 1} 页 / 共 ${pages} 页`);
      expect(t).toContain(report.mine.name);
    });
    expect(text).toContain('矿山企业整治提升表');
  });

  it('refuses to print Chinese as boxes: PDF_CJK_FONT_MISSING when the browser has no CJK font', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-nocjk-'));
    const files = writeAuditOutputs(await runAudit(fixture('demo-mine/mine.json')), join(dir, 'out'));
    // A fontconfig that knows only DejaVu (Latin, Greek, Cyrillic): no CJK glyphs anywhere.
    const fonts = join(dir, 'fonts.conf');
    writeFileSync(fonts, `<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>${dir}/cache</cachedir></fontconfig>`);
    const target = join(dir, 'out', 'report.pdf');
    const err = await writeReportPdf(files.html, target, { executablePath: CHROMIUM, env: { FONTCONFIG_FILE: fonts } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GreenmineError);
    expect((err as GreenmineError).code).toBe('PDF_CJK_FONT_MISSING');
    expect((err as GreenmineError).message).toContain('fonts-noto-cjk');
    expect(existsSync(target)).toBe(false);
  });

  it('PDF_NO_BROWSER names what to install when no browser is found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-nobrowser-'));
    copyFileSync(fixture('demo-mine/mine.json'), join(dir, 'x.html'));
    const err = await writeReportPdf(join(dir, 'x.html'), join(dir, 'x.pdf'), { executablePath: join(dir, 'no-such-browser') }).catch((e: unknown) => e);
    expect((err as GreenmineError).code).toBe('PDF_NO_BROWSER');
  });
});
