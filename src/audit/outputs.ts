/** Audit outputs: report.json, evidence.geojson, form.csv (UTF-8 with BOM) and a self-contained report.html. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GreenmineError } from '../errors.js';
import { csvText } from '../io/csv.js';
import { writeOutputSet } from '../io/files.js';
import { type AuditReport, type Check, reasonZh } from './audit.js';
import { CHECKS } from './checks/index.js';

export interface AuditFiles {
  json: string;
  html: string;
  geojson: string;
  csv: string;
}

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Text inside a CSS string: anything but letters, digits, space and a few marks as a CSS escape (so no quote, backslash or `<` ends it). */
const cssString = (s: string): string => s.replace(/[^\p{L}\p{N} _·-]/gu, (c) => `\\${c.codePointAt(0)!.toString(16)} `);

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

/** Colours, numbering and underlays of the evidence, from the registry (a colour-blind-safe palette). */
const MAP = new Map(CHECKS.filter((c) => c.map).map((c) => [c.id, c.map!]));

/** An inline SVG map of the license and the evidence, with a scale bar and a north arrow. */
export function mapSvg(report: AuditReport, width = 760, height = 520): string {
  const polygons: Array<{ rings: number[][][]; cls: string; color?: string; label?: string; opacity?: number }> = [];
  const lines: Array<{ coords: number[][]; color: string }> = [];
  for (const f of report.licenseGeometry.features) for (const poly of f.geometry.coordinates) polygons.push({ rings: poly, cls: 'license' });
  const licenseCount = polygons.length;
  const under: typeof polygons = [];
  for (const c of report.checks) {
    c.evidence.forEach((f, i) => {
      const style = MAP.get(c.id);
      const color = style?.colour ?? '#d55e00';
      if (f.geometry.type === 'MultiPolygon') {
        for (const poly of f.geometry.coordinates as number[][][][]) {
          if (style?.underlay) under.push({ rings: poly, cls: 'evidence', color, opacity: 0.25 });
          else polygons.push({ rings: poly, cls: 'evidence', color, label: style?.numbered ? String(i + 1) : undefined });
        }
      } else if (f.geometry.type === 'LineString') lines.push({ coords: f.geometry.coordinates as number[][], color });
    });
  }
  polygons.splice(licenseCount, 0, ...under);
  const all = [...polygons.flatMap((p) => p.rings.flat()), ...lines.flatMap((l) => l.coords)];
  if (all.length === 0) return '<p>无地图数据 (no map data)</p>';
  let minLon = Infinity,
    minLat = Infinity,
    maxLon = -Infinity,
    maxLat = -Infinity;
  for (const [lon, lat] of all as Array<[number, number]>) {
    minLon = Math.min(minLon, lon);
    maxLon = Math.max(maxLon, lon);
    minLat = Math.min(minLat, lat);
    maxLat = Math.max(maxLat, lat);
  }
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const margin = 30;
  const scale = Math.min((width - 2 * margin) / ((maxLon - minLon) * kx || 1e-9), (height - 2 * margin) / (maxLat - minLat || 1e-9));
  const px = ([lon, lat]: number[]): string => `${(margin + (lon! - minLon) * kx * scale).toFixed(1)},${(margin + (maxLat - lat!) * scale).toFixed(1)}`;
  const path = (rings: number[][][]): string => rings.map((r) => `M${r.map(px).join('L')}Z`).join('');
  const parts: string[] = [];
  for (const p of polygons) {
    if (p.cls === 'license') parts.push(`<path class="license" d="${path(p.rings)}"/>`);
    else parts.push(`<path d="${path(p.rings)}" fill="${p.color}" fill-opacity="${p.opacity ?? 0.55}" stroke="${p.color}" stroke-width="1"/>`);
    if (p.label) {
      const ring = p.rings[0]!;
      const cx = ring.reduce((s, q) => s + q[0]!, 0) / ring.length;
      const cy = ring.reduce((s, q) => s + q[1]!, 0) / ring.length;
      const [x, y] = px([cx, cy]).split(',');
      parts.push(`<text class="label" x="${x}" y="${y}">${esc(p.label)}</text>`);
    }
  }
  for (const l of lines) parts.push(`<polyline points="${l.coords.map(px).join(' ')}" fill="none" stroke="${l.color}" stroke-width="2"/>`);
  // Scale bar: a round length near a fifth of the map width.
  const metresPerPx = 110_574 / scale;
  const target = (width / 5) * metresPerPx;
  const nice =
    [1, 2, 5]
      .flatMap((d) => [1, 10, 100, 1000, 10000].map((m) => d * m))
      .sort((a, b) => a - b)
      .filter((v) => v <= target)
      .at(-1) ?? 1;
  const barPx = nice / metresPerPx;
  parts.push(`<g class="scale"><line x1="${margin}" y1="${height - 12}" x2="${(margin + barPx).toFixed(1)}" y2="${height - 12}"/><text x="${margin}" y="${height - 16}">${nice >= 1000 ? `${nice / 1000} km` : `${nice} m`}</text></g>`);
  parts.push(`<g class="north" transform="translate(${width - 28},40)"><path d="M0,-22L8,6L0,0L-8,6Z"/><text x="0" y="20">N</text></g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="map">${parts.join('')}</svg>`;
}

/** The legend: exactly the layers drawn (the license and each check with evidence on the map), from the registry, in Chinese and English. */
export function legendHtml(report: AuditReport): string {
  const items = [`<li><span class="sw" style="background:#d3f9d8;border-color:#2b8a3e"></span>采矿许可范围 <span class="en">License blocks</span></li>`];
  for (const c of report.checks) {
    const style = MAP.get(c.id);
    if (!style || c.evidence.length === 0) continue;
    items.push(`<li><span class="sw" style="background:${style.colour};border-color:${style.colour}"></span>${esc(c.id)} ${esc(style.legend.zh)} <span class="en">${esc(style.legend.en)}</span></li>`);
  }
  return `<ul class="legend">${items.join('')}</ul>`;
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
  const onSite = report.onSite.map((o) => `<li><b>${esc(o.id)}</b> ${esc(o.zh)} <span class="en">${esc(o.en)}</span> ☐</li>`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>矿山企业整治提升表 — ${esc(m.name)}</title>
<style>
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Source Han Sans SC","SimSun",sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}.en{color:#666;font-size:11px}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border:1px solid #999;padding:4px 6px;vertical-align:top}th{background:#f1f3f5}
.pass{color:#2b8a3e;font-weight:bold}.fail{color:#c92a2a;font-weight:bold}.na{color:#868e96}
svg{border:1px solid #ccc;max-width:100%;height:auto;box-sizing:border-box}td{overflow-wrap:anywhere}.license{fill:#d3f9d8;stroke:#2b8a3e;stroke-width:1.5;fill-rule:evenodd}
.label{font-size:14px;font-weight:bold;fill:#000;text-anchor:middle}.scale line{stroke:#000;stroke-width:3}.scale text,.north text{font-size:11px;text-anchor:start}.north text{text-anchor:middle}
ul{font-size:12px}.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}.sw{display:inline-block;width:14px;height:10px;border:1px solid;margin-right:4px;vertical-align:middle;opacity:.8}
table.form{table-layout:fixed}.form col.c1{width:7%}.form col.c2{width:12%}.form col.c3{width:31%}.form col.c4{width:28%}.form col.c5{width:11%}.form col.c6{width:11%}
td.id,th.id{white-space:nowrap}thead{display:table-header-group}
.sign{display:flex;gap:24px;margin-top:18px;font-size:13px}.sign div{flex:1;border-top:1px solid #999;padding-top:6px;min-height:70px}.seal{border:1px dashed #c92a2a;color:#c92a2a;border-radius:50%;width:96px;height:96px;display:flex;align-items:center;justify-content:center;font-size:12px}
@media print{@page{size:A4 portrait;margin:14mm 12mm 16mm;@bottom-center{content:"${cssString(m.name)} · 第 " counter(page) " 页 / 共 " counter(pages) " 页";font-size:9pt;color:#555}}body{margin:0}svg{width:100%;height:auto}h2{break-after:avoid}tr{break-inside:avoid}}
</style></head><body>
<h1>矿山企业整治提升表</h1><div class="en">Remediation form — Zhejiang green mine quality upgrade (2021–2023) · greenmine report ${esc(report.version)}</div>
<h2>基本信息 <span class="en">Header</span></h2>
<table>${header.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>整治提升表 <span class="en">The form</span></h2>
<table class="form"><colgroup><col class="c1"><col class="c2"><col class="c3"><col class="c4"><col class="c5"><col class="c6"></colgroup><thead><tr><th class="id">序号</th><th>整治提升内容</th><th>存在的问题 <span class="en">Problems</span></th><th>整改提升措施 <span class="en">Measures</span></th><th>计划完成时间 <span class="en">Due</span></th><th>责任单位 <span class="en">Responsible</span></th></tr></thead><tbody>${formRows}</tbody></table>
<div class="sign"><div>填报人（签字）<span class="en">Prepared by (signature)</span><br>${esc(m.preparer ?? '')}</div><div>法定代表人（签字）<span class="en">Legal representative (signature)</span><br>${esc(m.legalRepresentative ?? '')}</div><div>企业（盖章）<span class="en">Company seal</span><div class="seal">盖章处</div></div><div>日期 <span class="en">Date</span><br>${esc(report.reportDate)}</div></div>
<h2>地图 <span class="en">Map</span></h2>
${mapSvg(report)}
${legendHtml(report)}
<h2>量测检查 <span class="en">Measured checks</span></h2>
<table><thead><tr><th class="id">ID</th><th>要求 <span class="en">Requirement</span></th><th>结论 <span class="en">Status</span></th><th>说明 <span class="en">Finding</span></th></tr></thead><tbody>${checksRows}</tbody></table>
<h2>现场核查清单 <span class="en">On-site checklist (never marked passed here)</span></h2><ul>${onSite}</ul>
</body></html>
`;
}

/**
 * Write the four outputs as one set: each to a temporary file, then renamed,
 * report.json last, so a report.json on disk means the whole set is there
 * (batch --resume relies on it). No output may be one of the mine's inputs.
 */
export function writeAuditOutputs(report: AuditReport, dir: string): AuditFiles {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new GreenmineError('OUTPUT_DIR_MISSING', `${dir}: cannot create the output folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: dir });
  }
  const files: AuditFiles = { json: join(dir, 'report.json'), html: join(dir, 'report.html'), geojson: join(dir, 'evidence.geojson'), csv: join(dir, 'form.csv') };
  writeOutputSet(
    [
      { path: files.geojson, data: `${JSON.stringify(evidenceGeoJson(report))}\n` },
      { path: files.csv, data: formCsv(report) },
      { path: files.html, data: reportHtml(report) },
      { path: files.json, data: `${JSON.stringify(report, null, 2)}\n` },
    ],
    [report.manifest, ...(report.inputs ?? []).map((i) => i.path)],
  );
  return files;
}
