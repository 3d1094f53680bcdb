/** Audit outputs: report.json, evidence.geojson, form.csv (UTF-8 with BOM) and a self-contained report.html. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GreenmineError } from '../errors.js';
import { csvText } from '../io/csv.js';
import { writeOutputSet } from '../io/files.js';
import { type AuditReport, type Check, reasonZh } from './audit.js';
import { MAP_SCRIPT, renderMap } from './map.js';

export interface AuditFiles {
  json: string;
  html: string;
  geojson: string;
  csv: string;
}

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Text inside a CSS string: anything but letters, digits, space and a few marks as a CSS escape (so no quote, backslash or `<` ends it). */
const cssString = (s: string): string => s.replace(/[^\p{L}\p{N} _·-]/gu, (c) => `\\${c.codePointAt(0)!.toString(16)} `);

/** report.json's text: the report without the map's underlay picture (that lives in report.html). */
export function reportJson(report: AuditReport): string {
  return `${JSON.stringify(report, (k, v) => (k === 'underlay' ? undefined : v), 2)}\n`;
}

export function evidenceGeoJson(report: AuditReport): object {
  return { type: 'FeatureCollection', features: report.checks.flatMap((c) => c.evidence) };
}

/** The remediation form with its columns (序号, 整治提升内容, 存在的问题, 整改提升措施, 计划完成时间) and 责任单位. */
export function formCsv(report: AuditReport): string {
  return csvText([['序号', '整治提升内容', '存在的问题', '整改提升措施', '计划完成时间', '责任单位'], ...report.form.map((r) => [r.row, r.category, r.problems, r.measures, r.dueDate, r.responsible])]);
}

const STATUS: Record<Check['status'], { zh: string; cls: string }> = {
  pass: { zh: '符合', cls: 'pass' },
  fail: { zh: '不符合', cls: 'fail' },
  'not-assessed': { zh: '未评估', cls: 'na' },
};

/** The index histogram of a classified survey as a small SVG, the threshold marked. */
export function histogramSvg(h: { min: number; max: number; counts: number[] }, threshold: number, width = 360, height = 120): string {
  const peak = Math.max(1, ...h.counts);
  const n = h.counts.length;
  const x = (v: number): number => 30 + ((v - h.min) / (h.max - h.min)) * (width - 40);
  const y = (c: number): number => height - 20 - (c / peak) * (height - 30);
  const bars = h.counts.map((c, i) => `${i === 0 ? 'M' : 'L'}${x(h.min + (i * (h.max - h.min)) / n).toFixed(1)},${y(c).toFixed(1)}H${x(h.min + ((i + 1) * (h.max - h.min)) / n).toFixed(1)}`).join('');
  const tx = x(threshold).toFixed(1);
  return (
    `<svg class="hist" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="histogram">` +
    `<path d="${bars}V${height - 20}H${x(h.min).toFixed(1)}Z" fill="#a6dba0" stroke="#1b7837" stroke-width="0.8"/>` +
    `<line x1="${tx}" y1="6" x2="${tx}" y2="${height - 20}" stroke="#d55e00" stroke-width="2"/><text x="${tx}" y="12" fill="#d55e00" font-size="10" text-anchor="middle" data-threshold="${threshold}">${threshold.toFixed(3)}</text>` +
    `<line x1="30" y1="${height - 20}" x2="${width - 10}" y2="${height - 20}" stroke="#333"/>` +
    `<text x="30" y="${height - 6}" font-size="9">${h.min}</text><text x="${width - 10}" y="${height - 6}" font-size="9" text-anchor="end">${h.max}</text></svg>`
  );
}

function imageryHtml(report: AuditReport): string {
  if (!report.imagery?.length) return '';
  const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  const items = report.imagery.map((s) => {
    const a = s.areasM2;
    return (
      `<div class="survey"><p><b>${esc(s.source)}</b>${s.date ? ` (${esc(s.date)})` : ''}：${esc(s.method.toUpperCase())}，波段 ${esc(s.bands.join(','))}，阈值 ${s.threshold.value.toFixed(4)}（${s.threshold.source === 'otsu' ? 'Otsu 自动阈值' : '给定阈值'}${s.separability === null ? '' : `，可分性 η = ${s.separability.toFixed(2)}`}），绿化覆盖率 ${pct(s.greenRatio)}，覆盖许可范围 ${pct(s.coveredShare)}；阴影（未判读）${Math.round(a.shadow).toLocaleString('en-US')} m²，水体 ${Math.round(a.water).toLocaleString('en-US')} m²` +
      `<br><span class="en">${esc(s.method.toUpperCase())} on bands ${esc(s.bands.join(','))}, threshold ${s.threshold.value.toFixed(4)} (${esc(s.threshold.source)}${s.separability === null ? '' : `, separability ${s.separability.toFixed(2)}`}); green ratio ${pct(s.greenRatio)}; shadow (not judged) ${Math.round(a.shadow)} m², water ${Math.round(a.water)} m²</span></p>${histogramSvg(s.histogram, s.threshold.value)}</div>`
    );
  });
  return `<h2>影像解译 <span class="en">Imagery classification (vegetation index histogram inside the license, threshold marked)</span></h2>${items.join('')}`;
}

export function reportHtml(report: AuditReport): string {
  const m = report.mine;
  const yesNo = (v: boolean | undefined): string => (v === undefined ? '—' : v ? '是 (yes)' : '否 (no)');
  const header = [
    ['矿山名称 Mine', m.name],
    ['矿山生产状态 Production status', m.productionStatus ?? '—'],
    ['采矿权人 Holder', m.holder ?? report.license?.holder ?? '—'],
    ['采矿许可证号 License no.', m.licenseNo ?? m.licenseNoFromLicense ?? '—'],
    ['是否属于应建绿色矿山 Must be a green mine', yesNo(m.mustBeGreen)],
    ['是否已通过第三方评估 Third-party assessed', yesNo(m.thirdPartyAssessed)],
    ['矿区面积 License area', report.license ? `${(report.license.areaM2.ellipsoidal / 1e6).toFixed(4)} km²` : '—'],
    ['法定代表人 Legal representative', m.legalRepresentative ?? '—'],
    ['填报人 Prepared by', m.preparer ?? '—'],
    ['填报日期 Date', report.reportDate],
    ['生成时间 Generated', `${report.generatedAt} (${report.timeZone})`],
  ];
  const checksRows = report.checks
    .map(
      (c) =>
        `<tr><td class="id">${esc(c.id)}</td><td>${esc(c.title.zh)}<br><span class="en">${esc(c.title.en)}</span></td><td class="${STATUS[c.status].cls}">${STATUS[c.status].zh}<br><span class="en">${esc(c.status)}</span></td><td>${esc(c.problem?.zh ?? (c.status === 'not-assessed' ? `未评估：${reasonZh(c.reason)}` : ''))}${c.problem ? `<br><span class="en">${esc(c.problem.en)}</span>` : c.reason ? `<br><span class="en">${esc(c.reason.en)}</span>` : ''}</td></tr>`,
    )
    .join('');
  const formRows = report.form.map((r) => `<tr><td class="id">${r.row}</td><td>${esc(r.category)}</td><td>${esc(r.problems)}</td><td>${esc(r.measures)}</td><td>${esc(r.dueDate)}</td><td>${esc(r.responsible)}</td></tr>`).join('');
  const map = renderMap(report, report.underlay);
  const onSite = report.onSite.map((o) => `<li><b>${esc(o.id)}</b> ${esc(o.zh)} <span class="en">${esc(o.en)}</span> ☐</li>`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>矿山企业整治提升表 — ${esc(m.name)}</title>
<style>
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Source Han Sans SC","SimSun",sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}.en{color:#666;font-size:11px}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border:1px solid #999;padding:4px 6px;vertical-align:top}th{background:#f1f3f5}
.pass{color:#2b8a3e;font-weight:bold}.fail{color:#c92a2a;font-weight:bold}.na{color:#868e96}
svg.map{border:1px solid #ccc;max-width:100%;height:auto;box-sizing:border-box;touch-action:none;cursor:grab;background:#fff}td{overflow-wrap:anywhere}
.license path{fill:#d9f0d3;fill-opacity:.45;stroke:#1b7837;stroke-width:2;fill-rule:evenodd}.hole path{fill:#fff;fill-opacity:.7;stroke:#1b7837;stroke-width:1.2;stroke-dasharray:4 3}
svg.map path,svg.map polyline,svg.map circle{vector-effect:non-scaling-stroke}.marker{fill:none;stroke-width:2}
.label{font-size:13px;font-weight:bold;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px}
.grid line{stroke:#555;stroke-opacity:.35;stroke-width:.6}.grid text{font-size:9px;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:2px}.grid .gy{text-anchor:middle}
.scale line{stroke:#000;stroke-width:3}.scale text,.north text{font-size:10px;text-anchor:start}.north text{text-anchor:middle}
.mapctl{margin:4px 0}.mapctl button{font-size:14px;width:28px;margin-right:2px}
ul{font-size:12px}.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}.sw{vertical-align:middle;margin-right:4px}
table.form{table-layout:fixed}.form col.c1{width:7%}.form col.c2{width:12%}.form col.c3{width:31%}.form col.c4{width:28%}.form col.c5{width:11%}.form col.c6{width:11%}
td.id,th.id{white-space:nowrap}thead{display:table-header-group}
.sign{display:flex;gap:24px;margin-top:18px;font-size:13px}.sign div{flex:1;border-top:1px solid #999;padding-top:6px;min-height:70px}.seal{border:1px dashed #c92a2a;color:#c92a2a;border-radius:50%;width:96px;height:96px;display:flex;align-items:center;justify-content:center;font-size:12px}
@media print{@page{size:A4 portrait;margin:14mm 12mm 16mm;@bottom-center{content:"${cssString(m.name)} · 第 " counter(page) " 页 / 共 " counter(pages) " 页";font-size:9pt;color:#555}}body{margin:0}svg.map{width:100%;height:auto}.mapctl{display:none}h2{break-after:avoid}tr{break-inside:avoid}}
</style></head><body>
<h1>矿山企业整治提升表</h1><div class="en">Remediation form — Zhejiang green mine quality upgrade (2021–2023) · greenmine report ${esc(report.version)}</div>
<h2>基本信息 <span class="en">Header</span></h2>
<table>${header.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>整治提升表 <span class="en">The form</span></h2>
<table class="form"><colgroup><col class="c1"><col class="c2"><col class="c3"><col class="c4"><col class="c5"><col class="c6"></colgroup><thead><tr><th class="id">序号</th><th>整治提升内容</th><th>存在的问题 <span class="en">Problems</span></th><th>整改提升措施 <span class="en">Measures</span></th><th>计划完成时间 <span class="en">Due</span></th><th>责任单位 <span class="en">Responsible</span></th></tr></thead><tbody>${formRows}</tbody></table>
<div class="sign"><div>填报人（签字）<span class="en">Prepared by (signature)</span><br>${esc(m.preparer ?? '')}</div><div>法定代表人（签字）<span class="en">Legal representative (signature)</span><br>${esc(m.legalRepresentative ?? '')}</div><div>企业（盖章）<span class="en">Company seal</span><div class="seal">盖章处</div></div><div>日期 <span class="en">Date</span><br>${esc(report.reportDate)}</div></div>
<h2>地图 <span class="en">Map</span></h2>
<div class="mapctl"><button type="button" data-zoom="0.8" title="放大 zoom in">＋</button><button type="button" data-zoom="1.25" title="缩小 zoom out">－</button><button type="button" data-zoom="0" title="复位 reset">⟲</button> <span class="en">drag to pan, wheel to zoom, double-click to reset</span></div>
${map.svg}
${map.legend}
${imageryHtml(report)}
<h2>量测检查 <span class="en">Measured checks</span></h2>
<table><thead><tr><th class="id">ID</th><th>要求 <span class="en">Requirement</span></th><th>结论 <span class="en">Status</span></th><th>说明 <span class="en">Finding</span></th></tr></thead><tbody>${checksRows}</tbody></table>
<h2>现场核查清单 <span class="en">On-site checklist (never marked passed here)</span></h2><ul>${onSite}</ul>
<script>${MAP_SCRIPT}</script>
</body></html>
`;
}

/**
 * Write the four outputs (and `extra` files, such as evidence in other formats) as one set: each to a temporary file, then renamed,
 * report.json last, so a report.json on disk means the whole set is there
 * (batch --resume relies on it). No output may be one of the mine's inputs.
 */
export function writeAuditOutputs(report: AuditReport, dir: string, extra: ReadonlyArray<{ path: string; data: string | Uint8Array }> = []): AuditFiles {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new GreenmineError('OUTPUT_DIR_MISSING', `${dir}: cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: dir });
  }
  const files: AuditFiles = { json: join(dir, 'report.json'), html: join(dir, 'report.html'), geojson: join(dir, 'evidence.geojson'), csv: join(dir, 'form.csv') };
  writeOutputSet(
    [{ path: files.geojson, data: `${JSON.stringify(evidenceGeoJson(report))}\n` }, { path: files.csv, data: formCsv(report) }, { path: files.html, data: reportHtml(report) }, ...extra, { path: files.json, data: reportJson(report) }],
    [report.manifest, ...(report.inputs ?? []).map((i) => i.path)],
  );
  return files;
}
