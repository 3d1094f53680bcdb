/**
 * report.html in headless Chromium (Debian's chromium, driven by playwright-core):
 * no console errors, the map's features, a screenshot artifact, and a print
 * layout that fits A4. CI installs chromium; elsewhere the test runs when it is there.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../src/audit/checks/index.js';
import { runAudit, writeAuditOutputs } from '../src/audit/index.js';
import { fixture } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

describe('report.html in a browser', () => {
  it.skipIf(!available && !process.env.CI)('renders without errors, shows the map and fits A4 in print', async () => {
    expect(available, 'CI must install chromium').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-html-'));
    const report = await runAudit(fixture('demo-mine/mine.json'));
    const files = writeAuditOutputs(report, dir);
    const evidence = report.checks.flatMap((c) => c.evidence.map((f) => ({ id: c.id, type: f.geometry.type })));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
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
      expect(errors).toEqual([]);
      expect(await page.locator('svg path.license').count()).toBe(2); // two license blocks
      // Numbered evidence (exposed slopes, bare patches: the form refers to their numbers), as the registry says.
      const numbered = new Set(CHECKS.filter((c) => c.map?.numbered).map((c) => c.id));
      expect(numbered).toEqual(new Set(['R1.1', 'R2.2']));
      expect(await page.locator('svg text.label').count()).toBe(evidence.filter((e) => numbered.has(e.id) && e.type === 'MultiPolygon').length);
      expect(await page.locator('svg polyline').count()).toBe(evidence.filter((e) => e.type === 'LineString').length); // excursions, unwashed exits
      expect(evidence.filter((e) => e.type === 'LineString' && (e.id === 'R5.1' || e.id === 'R4.2')).length).toBe(4); // three fence excursions and an unwashed exit
      expect(evidence.filter((e) => e.type === 'LineString' && e.id === 'R3.2').length).toBe(1); // the haul road
      // The legend lists exactly the layers drawn: the license and each check with evidence on the map.
      const drawn = CHECKS.filter((c) => c.map && report.checks.find((x) => x.id === c.id)!.evidence.length > 0).map((c) => c.id);
      const legend = await page.locator('ul.legend li').allTextContents();
      expect(legend).toHaveLength(drawn.length + 1);
      for (const id of drawn) expect(legend.some((t) => t.startsWith(id))).toBe(true);
      expect(await page.locator('td.fail').count()).toBe(report.checks.filter((c) => c.status === 'fail').length);
      mkdirSync('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/report.png', fullPage: true });
      // Print: A4 portrait with 12 mm margins leaves about 703 CSS px of width.
      await page.emulateMedia({ media: 'print' });
      await page.setViewportSize({ width: 703, height: 1000 });
      // (Evaluated in the page; the test's own TypeScript has no DOM types.)
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow as number).toBeLessThanOrEqual(0);
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    } finally {
      await browser.close();
    }
  });
});
