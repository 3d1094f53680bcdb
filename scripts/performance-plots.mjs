// Draws docs/performance.md from bench/results/scaling.json (written by `npm run bench -- --scaling`):
// per series, time and peak memory against size on log–log axes, as inline SVG, with the fitted growth.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const resultsUrl = new URL('../bench/results/scaling.json', import.meta.url);
if (!existsSync(resultsUrl)) {
  console.log('no bench/results/scaling.json: run `npm run bench -- --scaling` first (docs/performance.md left as it is)');
  process.exit(0);
}
const results = JSON.parse(readFileSync(resultsUrl, 'utf8'));

function logSlope(xs, ys) {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

const fmt = (v) => (v >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : v >= 1e3 ? `${+(v / 1e3).toPrecision(3)}k` : `${+v.toPrecision(3)}`);

/** A log–log plot of one or two series sharing the x axis: [{ label, colour, ys }]. */
function plot(xs, xLabel, lines, yLabel) {
  const W = 420;
  const H = 240;
  const L = 60;
  const R = 20;
  const T = 20;
  const B = 44;
  const all = lines.flatMap((l) => l.ys);
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  let [y0, y1] = [Math.log10(Math.min(...all)), Math.log10(Math.max(...all))];
  if (y1 - y0 < 1) {
    const mid = (y0 + y1) / 2;
    [y0, y1] = [mid - 0.5, mid + 0.5];
  }
  const px = (x) => L + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y) => H - B - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`);
  for (const x of xs) parts.push(`<line x1="${px(x)}" y1="${H - B}" x2="${px(x)}" y2="${H - B + 4}" stroke="#444"/><text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${fmt(x)}</text>`);
  for (let e = Math.ceil(y0); e <= Math.floor(y1); e++)
    parts.push(`<line x1="${L - 4}" y1="${py(10 ** e)}" x2="${W - R}" y2="${py(10 ** e)}" stroke="#ddd"/><text x="${L - 6}" y="${py(10 ** e) + 4}" text-anchor="end">${fmt(10 ** e)}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${xLabel}</text>`);
  parts.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${yLabel}</text>`);
  lines.forEach((line, k) => {
    const pts = xs.map((x, i) => `${px(x).toFixed(1)},${py(line.ys[i]).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${line.colour}" stroke-width="2"/>`);
    for (let i = 0; i < xs.length; i++) parts.push(`<circle cx="${px(xs[i]).toFixed(1)}" cy="${py(line.ys[i]).toFixed(1)}" r="3" fill="${line.colour}"/>`);
    parts.push(`<text x="${L + 8}" y="${T + 12 + 14 * k}" fill="${line.colour}">${line.label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

const bySeries = new Map();
for (const p of results.points) bySeries.set(p.series, [...(bySeries.get(p.series) ?? []), p]);
const out = [
  '# Performance: how cost grows',
  '',
  `Drawn by \`scripts/performance-plots.mjs\` from \`bench/results/scaling.json\`, measured by \`npm run bench -- --scaling\` on ${results.cores} × ${results.cpu} (Node ${results.node}, ${results.date}). Each point is its own process, so its peak RSS is its own. Axes are logarithmic; the growth exponent is the least-squares slope of log(cost) against log(size) (1 = linear, 0 = flat; raster sizes are counted in pixels).`,
  '',
];
for (const [series, points] of bySeries) {
  const xs = points.map((p) => p.size);
  const count = points.map((p) => (p.unit === 'px' ? p.size * p.size : p.size));
  const timeGrowth = logSlope(
    count,
    points.map((p) => p.ms),
  );
  const memGrowth = logSlope(
    count,
    points.map((p) => p.peakMiB),
  );
  out.push(`## ${series}`, '');
  out.push(`Time ∝ size^${timeGrowth.toFixed(2)}, peak memory ∝ size^${memGrowth.toFixed(2)}.`, '');
  out.push('| size | time | throughput | peak RSS |', '|---:|---:|---:|---:|');
  for (const p of points)
    out.push(
      `| ${p.unit === 'px' ? `${p.size.toLocaleString('en-US')}²` : p.size.toLocaleString('en-US')} ${p.unit === 'px' ? 'px' : p.unit} | ${p.ms >= 1000 ? `${(p.ms / 1000).toFixed(2)} s` : `${p.ms.toFixed(1)} ms`} | ${Math.round(p.throughput).toLocaleString('en-US')} ${p.throughputUnit} | ${p.peakMiB.toFixed(0)} MiB |`,
    );
  out.push('');
  const unitLabel = points[0].unit === 'px' ? 'raster side (px)' : points[0].unit;
  out.push(plot(xs, unitLabel, [{ label: 'time (ms)', colour: '#0072B2', ys: points.map((p) => p.ms) }], 'ms'));
  out.push('');
  out.push(plot(xs, unitLabel, [{ label: 'peak RSS (MiB)', colour: '#D55E00', ys: points.map((p) => p.peakMiB) }], 'MiB'));
  out.push('');
}
writeFileSync(new URL('../docs/performance.md', import.meta.url), `${out.join('\n')}\n`);
console.log('docs/performance.md written');
