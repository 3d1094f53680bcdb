/**
 * The live page in headless Chromium (Debian's, through playwright-core): it
 * loads with the token, makes no request outside the service, draws the
 * license and the devices, and lists an alarm as it happens over SSE.
 */
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadServeConfig, startService } from '../src/serve/index.js';
import { loadTracks } from '../src/track/index.js';
import { fixture } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!available && !process.env.CI)('the live page in a browser', () => {
  it('no errors, no request elsewhere; devices and alarms update over Server-Sent Events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenmine-page-'));
    copyFileSync(fixture('scene-a/license_corners.txt'), join(dir, 'license.txt'));
    const token = 'page-token-0001';
    writeFileSync(join(dir, 'serve.json'), JSON.stringify({ licenses: ['license.txt'], stateDir: 'state', reorderWindowS: 0, http: { listen: '127.0.0.1:0', token } }));
    const running = await startService(loadServeConfig(join(dir, 'serve.json')));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith(running.http.url)) errors.push(`request elsewhere: ${r.url()}`);
      });
      await page.goto(`${running.http.url}/?token=${token}`);
      await page.waitForFunction(`document.getElementById('status').textContent.startsWith('live')`);
      // The license is drawn: green pixels on the canvas.
      const green = (await page.evaluate(`(() => {
        const c = document.getElementById('map');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 1] > d[i] + 40 && d[i + 1] > d[i + 2]) n++;
        return n;
      })()`)) as number;
      expect(green).toBeGreaterThan(100);
      // A track with excursions, posted now: the page shows the device and the alarms.
      const [track] = loadTracks(fixture('scene-a/excavator.csv')).tracks;
      const body = Array.from(track!.timeS, (t, i) => JSON.stringify({ device: 'exc', t, lon: track!.lon[i], lat: track!.lat[i] })).join('\n');
      const r = await fetch(`${running.http.url}/positions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
      expect(r.status).toBe(200);
      await page.waitForFunction(`document.querySelectorAll('#alarms li').length > 0`, undefined, { timeout: 10_000 });
      await page.waitForFunction(`/1 devices/.test(document.getElementById('status').textContent)`, undefined, { timeout: 10_000 });
      const items = (await page.evaluate(`[...document.querySelectorAll('#alarms li')].map((li) => li.textContent)`)) as string[];
      expect(items.some((t) => t.startsWith('out-of-bounds · exc · license.txt'))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await running.stop();
    }
  }, 60_000);
});
