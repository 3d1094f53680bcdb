/**
 * report.pdf: report.html printed by headless Chromium (the system's, driven
 * by playwright-core) with the page's own A4 layout, footer and page numbers.
 * Before printing it checks that Chinese text rendered in a CJK font: without
 * one (a Linux machine without fonts-noto-cjk) every glyph is a box, and a
 * PDF of boxes must not be filed.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { GreenmineError } from '../errors.js';
import { writeOutput } from '../io/files.js';

/** Where Chromium, Chrome or Edge usually live; GREENMINE_CHROMIUM overrides. */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/microsoft-edge',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.GREENMINE_CHROMIUM;
  if (given) {
    if (!existsSync(given)) throw new GreenmineError('PDF_NO_BROWSER', `GREENMINE_CHROMIUM=${given}: no such file`);
    return given;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new GreenmineError('PDF_NO_BROWSER', 'no Chromium, Chrome or Edge found to print the PDF; install one (Debian/Ubuntu: apt install chromium fonts-noto-cjk) or set GREENMINE_CHROMIUM to its executable');
  }
  return found;
}

export interface PdfOptions {
  /** The browser's executable (default: findChromium()). */
  executablePath?: string;
  /** Extra environment for the browser (tests point FONTCONFIG_FILE at a font set without CJK). */
  env?: NodeJS.ProcessEnv;
  /** Inputs the PDF may not overwrite. */
  inputs?: ReadonlyArray<string>;
}

export interface PdfResult {
  path: string;
  pages: number;
  /** Width of one CJK glyph at 100 px (a CJK font draws 100; the missing-glyph box is narrower). */
  cjkGlyphWidthPx: number;
}

/** Print `htmlPath` to `pdfPath` (written atomically). */
export async function writeReportPdf(htmlPath: string, pdfPath: string, options: PdfOptions = {}): Promise<PdfResult> {
  const executablePath = options.executablePath ?? findChromium();
  const { chromium } = await import('playwright-core');
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  try {
    browser = await chromium.launch({
      executablePath,
      env: { ...process.env, ...options.env },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (err) {
    throw new GreenmineError('PDF_NO_BROWSER', `${executablePath}: the browser did not start (${String((err as Error).message).split('\n')[0]})`);
  }
  try {
    const page = await browser.newPage();
    // The report is self-contained: nothing but the file itself may load.
    await page.route(/^(?!file:|data:)/, (route) => route.abort());
    await page.goto(pathToFileURL(htmlPath).href);
    await page.emulateMedia({ media: 'print' });
    // One glyph of the page's own font stack at 100 px, drawn on a canvas next to a code point no font has
    // (U+0378): without a CJK font both are the same missing-glyph box; with one they differ, and the CJK
    // glyph is 1 em wide.
    const [cjk, same] = (await page.evaluate(`(() => {
      const family = getComputedStyle(document.body).fontFamily;
      const draw = (t) => { const c = document.createElement('canvas'); c.width = c.height = 140; const g = c.getContext('2d'); g.font = '100px ' + family; g.fillText(t, 10, 110); return [g.measureText(t).width, Array.from(g.getImageData(0, 0, 140, 140).data).join(',')]; };
      const [w, a] = draw('矿'); const [, b] = draw('\\u0378');
      return [w, a === b];
    })()`)) as [number, boolean];
    if (same || Math.abs(cjk - 100) > 3) {
      throw new GreenmineError(
        'PDF_CJK_FONT_MISSING',
        `${htmlPath}: Chinese text would print as empty boxes: the browser has no CJK font (a CJK glyph drew ${same ? 'as the missing-glyph box' : `${cjk.toFixed(1)} px wide at 100 px, expected 100`}); install one (Debian/Ubuntu: apt install fonts-noto-cjk) and try again`,
        { file: htmlPath },
      );
    }
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    writeOutput(pdfPath, pdf, [htmlPath, ...(options.inputs ?? [])], 'PDF');
    return { path: pdfPath, pages, cjkGlyphWidthPx: cjk };
  } finally {
    await browser.close();
  }
}
