/**
 * The report's map: the license and the evidence in Gauss-Krüger metres (the
 * license's own CGCS2000 GK system, else the 3° zone of its centre), on an
 * underlay rendered from the class raster, with a coordinate grid labelled as
 * license tables print it (X northing, Y easting with the zone), the CRS named,
 * a scale bar and north arrow, and a legend listing exactly the layers drawn.
 * Features too small to see are ringed by a marker; numbered evidence carries
 * its number (B1… bare patches, S1… slopes) where the form's text cites it.
 */
import { type Crs, createTransform, crsFromEpsg, crsLabel, parseCrs } from '../crs/index.js';
import { bandRoles } from '../imagery/classify.js';
import { encodePalettePng, encodeRgbaPng } from '../io/png.js';
import type { BlockCache, ClassGroup, ClassScheme } from '../raster/index.js';
import { samplePreview } from '../raster/preview.js';
import { RasterReader } from '../raster/reader.js';
import type { AuditReport } from './audit.js';
import { CHECKS } from './checks/index.js';

/** A picture under the map (class raster or orthophoto), kept out of report.json. */
export interface MapUnderlay {
  kind: 'classes' | 'imagery';
  source: string;
  date?: string;
  /** The map CRS it was rendered in (must equal the map's) and its box there. */
  crs: string;
  bbox: [number, number, number, number];
  png: 'image/png';
  pngBase64: string;
  legend: Array<{ key: string; zh: string; en: string; colour: string }>;
}

export interface MapFrame {
  crs: Crs;
  /** [minX, minY, maxX, maxY] in map metres (the drawable area, padded). */
  bbox: [number, number, number, number];
  width: number;
  height: number;
  /** Pixels per metre. */
  scale: number;
  margin: number;
}

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The map CRS: the license's own when it is CGCS2000 Gauss-Krüger, else the CGCS2000 3° GK zone (prefixed) of the centre, else a transverse Mercator there. */
export function mapCrs(report: AuditReport): Crs {
  if (report.license) {
    try {
      const own = parseCrs(report.license.crs);
      if (own.gk && own.datum === 'CGCS2000') return own;
    } catch {
      // A custom definition the label cannot restore: use the zone below.
    }
  }
  const b = report.license?.bbox ?? [0, 0, 0, 0];
  const lon = (b[0] + b[2]) / 2;
  const zone = Math.round(lon / 3);
  if (zone >= 25 && zone <= 45) return crsFromEpsg(4513 + zone - 25);
  const cm = zone * 3;
  return {
    epsg: null,
    name: `Transverse Mercator, central meridian ${cm}°`,
    datum: 'WGS84',
    geographic: false,
    proj4: `+proj=tmerc +lat_0=0 +lon_0=${cm} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs`,
    gk: null,
    areaOfUse: null,
    towgs84: null,
    resolvedBy: 'parameters',
  };
}

type Ring = number[][];
interface Shape {
  rings?: Ring[];
  line?: Ring;
  label?: string;
}
interface Layer {
  key: string;
  zh: string;
  en: string;
  colour: string;
  kind: 'license' | 'hole' | 'fill' | 'outline' | 'line';
  shapes: Shape[];
}

const WGS84 = crsFromEpsg(4326);

function ringArea(r: Ring): number {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j]![0]! - r[i]![0]!) * (r[j]![1]! + r[i]![1]!);
  return a / 2;
}

const layerCache = new WeakMap<AuditReport, { crs: string; layers: Layer[] }>();

/** The layers drawn, in map metres, bottom to top (fills with the largest total area first); computed once per report and CRS. */
function mapLayers(report: AuditReport, crs: Crs): Layer[] {
  const cached = layerCache.get(report);
  if (cached && cached.crs === crs.proj4) return cached.layers;
  const layers = buildLayers(report, crs);
  layerCache.set(report, { crs: crs.proj4, layers });
  return layers;
}

/**
 * WGS 84 → map metres for every vertex drawn: the exact transform at the nodes of a 33 × 33 grid over the
 * vertices' box, bilinear between them (a projection over a mine's few kilometres is smooth: the error is
 * micrometres on the map), instead of a projection per vertex (tens of thousands per report).
 */
function gridTransform(report: AuditReport, crs: Crs): (lon: number, lat: number) => [number, number] {
  const exact = createTransform(WGS84, crs);
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      x0 = Math.min(x0, c[0]);
      x1 = Math.max(x1, c[0]);
      y0 = Math.min(y0, c[1] as number);
      y1 = Math.max(y1, c[1] as number);
    } else if (Array.isArray(c)) for (const e of c) visit(e);
  };
  for (const f of report.licenseGeometry.features) visit(f.geometry.coordinates);
  for (const c of report.checks) for (const f of c.evidence) visit(f.geometry.coordinates);
  if (!(x1 > x0 && y1 > y0) || x1 - x0 > 2 || y1 - y0 > 2) return (lon, lat) => exact.point(lon, lat);
  const N = 32;
  const nodes = new Float64Array((N + 1) * (N + 1) * 2);
  for (let j = 0; j <= N; j++) {
    for (let i = 0; i <= N; i++) {
      const [x, y] = exact.point(x0 + ((x1 - x0) * i) / N, y0 + ((y1 - y0) * j) / N);
      nodes[(j * (N + 1) + i) * 2] = x;
      nodes[(j * (N + 1) + i) * 2 + 1] = y;
    }
  }
  return (lon, lat) => {
    const u = Math.min(N - 1e-9, Math.max(0, ((lon - x0) / (x1 - x0)) * N));
    const v = Math.min(N - 1e-9, Math.max(0, ((lat - y0) / (y1 - y0)) * N));
    const i = Math.floor(u);
    const j = Math.floor(v);
    const fu = u - i;
    const fv = v - j;
    const a = (j * (N + 1) + i) * 2;
    const b = a + 2;
    const c = a + (N + 1) * 2;
    const d = c + 2;
    return [(nodes[a]! * (1 - fu) + nodes[b]! * fu) * (1 - fv) + (nodes[c]! * (1 - fu) + nodes[d]! * fu) * fv, (nodes[a + 1]! * (1 - fu) + nodes[b + 1]! * fu) * (1 - fv) + (nodes[c + 1]! * (1 - fu) + nodes[d + 1]! * fu) * fv];
  };
}

function buildLayers(report: AuditReport, crs: Crs): Layer[] {
  const t = gridTransform(report, crs);
  const xy = (ring: number[][]): Ring => ring.map(([lon, lat]) => t(lon!, lat!));
  const license: Layer = { key: 'license', zh: '采矿许可范围', en: 'License blocks', colour: '#1b7837', kind: 'license', shapes: [] };
  const holes: Layer = { key: 'holes', zh: '扣除区域（不属矿区）', en: 'Excluded areas (holes)', colour: '#1b7837', kind: 'hole', shapes: [] };
  for (const f of report.licenseGeometry.features) {
    for (const poly of f.geometry.coordinates) {
      license.shapes.push({ rings: poly.map(xy) });
      for (const hole of poly.slice(1)) holes.shapes.push({ rings: [xy(hole)] });
    }
  }
  const evidence: Array<Layer & { areaM2: number }> = [];
  for (const def of CHECKS) {
    const check = report.checks.find((c) => c.id === def.id);
    if (!def.map || !check || check.evidence.length === 0) continue;
    const style = def.map;
    const polygons = check.evidence.filter((f) => f.geometry.type === 'MultiPolygon');
    const lines = check.evidence.filter((f) => f.geometry.type === 'LineString');
    const label = (p: Record<string, unknown>, i: number): string | undefined => (style.numbered ? `${style.numbered}${Number(p.patch ?? p.slope ?? i + 1)}` : undefined);
    if (polygons.length) {
      const shapes = polygons.map((f, i) => ({ rings: (f.geometry.coordinates as number[][][][]).flatMap((poly) => poly.map(xy)), label: label(f.properties, i) }));
      // Drawn largest first (so small evidence is never hidden under a large layer): the area on the map, not a property.
      const areaM2 = shapes.reduce((sum, sh) => sum + sh.rings.reduce((a, r) => a + Math.abs(ringArea(r)), 0), 0);
      evidence.push({ key: def.id, zh: style.legend.zh, en: style.legend.en, colour: style.colour, kind: style.outline ? 'outline' : 'fill', shapes, areaM2 });
    }
    if (lines.length) {
      evidence.push({
        key: polygons.length ? `${def.id}-lines` : def.id,
        zh: style.lineLegend?.zh ?? style.legend.zh,
        en: style.lineLegend?.en ?? style.legend.en,
        colour: style.colour,
        kind: 'line',
        shapes: lines.map((f) => ({ line: xy(f.geometry.coordinates as number[][]) })),
        areaM2: -1,
      });
    }
  }
  const rank = (l: Layer & { areaM2: number }): number => (l.kind === 'outline' ? 1 : l.kind === 'line' ? 2 : 0);
  evidence.sort((a, b) => rank(a) - rank(b) || b.areaM2 - a.areaM2);
  return [license, ...(holes.shapes.length ? [holes] : []), ...evidence];
}

/** Where the map sits: the box of everything drawn, padded, at a scale that fits `width` × `height`. */
export function mapFrame(report: AuditReport, width = 760, height = 540): MapFrame | null {
  const crs = mapCrs(report);
  const layers = mapLayers(report, crs);
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const l of layers)
    for (const s of l.shapes)
      for (const ring of s.rings ?? [s.line!])
        for (const [x, y] of ring) {
          minX = Math.min(minX, x!);
          maxX = Math.max(maxX, x!);
          minY = Math.min(minY, y!);
          maxY = Math.max(maxY, y!);
        }
  if (!Number.isFinite(minX)) return null;
  const margin = 44;
  const scale = Math.min((width - 2 * margin) / (maxX - minX || 1), (height - 2 * margin) / (maxY - minY || 1));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const hw = width / 2 / scale;
  const hh = height / 2 / scale;
  return { crs, bbox: [cx - hw, cy - hh, cx + hw, cy + hh], width, height, scale, margin };
}

/** Underlay colours by class group (ColorBrewer PRGn/BrBG ends: distinct in lightness for colour-blind readers). */
const GROUP_STYLE: Record<ClassGroup, { zh: string; en: string; colour: string; rgba: [number, number, number, number] }> = {
  green: { zh: '底图：植被', en: 'Underlay: vegetation', colour: '#a6dba0', rgba: [166, 219, 160, 255] },
  bare: { zh: '底图：裸地', en: 'Underlay: bare ground', colour: '#dfc27d', rgba: [223, 194, 125, 255] },
  nongreenable: { zh: '底图：不可绿化（建筑、水体）', en: 'Underlay: not greenable (built-up, water)', colour: '#c2c2c2', rgba: [194, 194, 194, 255] },
  other: { zh: '底图：其他', en: 'Underlay: other classes', colour: '#f0f0f0', rgba: [240, 240, 240, 255] },
};

/**
 * Render the class raster under the map frame (a sample per map pixel). Null when the raster
 * cannot be sampled cheaply (no overviews and more blocks than a quick look should read).
 */
export async function classUnderlay(file: string, scheme: ClassScheme, frame: MapFrame, meta: { source: string; date?: string }, cache?: BlockCache): Promise<MapUnderlay | null> {
  const width = frame.width;
  const height = frame.height;
  const preview = await samplePreview(file, { crs: frame.crs, bbox: frame.bbox, width, height }, { cache });
  if (!preview) return null;
  const groups: ClassGroup[] = ['green', 'bare', 'nongreenable', 'other'];
  const indices = new Uint8Array(width * height);
  // Palette index per class code (codes are small integers: a table, not a lookup per sample).
  const index = new Uint8Array(65536).fill(groups.indexOf('other') + 1);
  for (const [code, c] of scheme.classes) if (code >= 0 && code < 65536) index[code] = groups.indexOf(c.group) + 1;
  if (scheme.nodata !== null && scheme.nodata >= 0 && scheme.nodata < 65536) index[scheme.nodata] = 0;
  const used = new Uint8Array(groups.length + 1);
  for (let k = 0; k < indices.length; k++) {
    const v = preview.values[k]!;
    if (!(v >= 0 && v < 65536)) continue; // NaN (no data) and codes outside any scheme
    const p = index[v | 0]!;
    indices[k] = p;
    used[p] = 1;
  }
  const seen = new Set<ClassGroup>(groups.filter((_, g) => used[g + 1] === 1));
  if (seen.size === 0) return null;
  const png = encodePalettePng(width, height, indices, [[0, 0, 0, 0], ...groups.map((g) => GROUP_STYLE[g].rgba)]);
  return {
    kind: 'classes',
    source: meta.source,
    date: meta.date,
    crs: crsLabel(frame.crs),
    bbox: frame.bbox,
    png: 'image/png',
    pngBase64: Buffer.from(png).toString('base64'),
    legend: groups.filter((g) => seen.has(g)).map((g) => ({ key: `underlay-${g}`, zh: GROUP_STYLE[g].zh, en: GROUP_STYLE[g].en, colour: GROUP_STYLE[g].colour })),
  };
}

/**
 * Render an orthophoto (its red, green and blue bands, each stretched between its 2nd and 98th
 * percentiles of what is sampled) under the map frame; null when it cannot be sampled cheaply.
 */
export async function imageryUnderlay(file: string, frame: MapFrame, meta: { source: string; date?: string }): Promise<MapUnderlay | null> {
  const reader = await RasterReader.open(file);
  let rgb: number[];
  let alpha: number;
  try {
    const roles = bandRoles(reader, undefined, file);
    rgb = (['R', 'G', 'B'] as const).map((r) => roles.indexOf(r));
    alpha = roles.indexOf('A');
  } finally {
    await reader.close();
  }
  if (rgb.some((i) => i < 0)) return null;
  const width = frame.width * 2;
  const height = frame.height * 2;
  const preview = await samplePreview(file, { crs: frame.crs, bbox: frame.bbox, width, height }, { bands: rgb, alpha });
  if (!preview) return null;
  const out = new Uint8Array(width * height * 4);
  for (let c = 0; c < 3; c++) {
    const seen: number[] = [];
    for (let k = c; k < preview.values.length; k += 3 * 7) if (!Number.isNaN(preview.values[k]!)) seen.push(preview.values[k]!);
    if (seen.length === 0) return null;
    seen.sort((a, b) => a - b);
    const lo = seen[Math.floor(seen.length * 0.02)]!;
    const hi = seen[Math.min(seen.length - 1, Math.floor(seen.length * 0.98))]!;
    const span = hi > lo ? hi - lo : 1;
    for (let k = 0; k < width * height; k++) {
      const v = preview.values[k * 3 + c]!;
      if (Number.isNaN(v)) continue;
      out[k * 4 + c] = Math.max(0, Math.min(255, Math.round(((v - lo) / span) * 255)));
      out[k * 4 + 3] = 255;
    }
  }
  return {
    kind: 'imagery',
    source: meta.source,
    date: meta.date,
    crs: crsLabel(frame.crs),
    bbox: frame.bbox,
    png: 'image/png',
    pngBase64: Buffer.from(encodeRgbaPng(width, height, out)).toString('base64'),
    legend: [{ key: 'underlay-imagery', zh: '底图：正射影像', en: 'Underlay: orthophoto', colour: '#8c8c8c' }],
  };
}

/** A round grid spacing (1, 2, 5 × 10ⁿ m) giving about `lines` lines over `span` metres. */
function niceStep(span: number, lines: number): number {
  const raw = span / lines;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((d) => d * p).find((v) => v >= raw) ?? 10 * p;
}

/** The SVG map and its legend, built from the same layer list (so the legend lists exactly what is drawn). */
export function renderMap(report: AuditReport, underlay?: MapUnderlay | null): { svg: string; legend: string } {
  const frame = mapFrame(report);
  if (!frame) return { svg: '<p>无地图数据 (no map data)</p>', legend: '' };
  const { width, height, scale, bbox, crs } = frame;
  const layers = mapLayers(report, crs);
  const X = (x: number): number => (x - bbox[0]) * scale;
  const Y = (y: number): number => (bbox[3] - y) * scale;
  const pt = ([x, y]: number[]): string => `${X(x!).toFixed(1)},${Y(y!).toFixed(1)}`;
  const d = (rings: Ring[]): string => rings.map((r) => `M${r.map(pt).join('L')}Z`).join('');
  const view: string[] = [];
  const legend: string[] = [];
  const item = (key: string, swatch: string, zh: string, en: string): void => {
    legend.push(`<li data-layer="${esc(key)}">${swatch}${esc(zh)} <span class="en">${esc(en)}</span></li>`);
  };
  const box = (fill: string, stroke: string, extra = ''): string => `<svg class="sw" viewBox="0 0 18 12" width="18" height="12"><rect x="1" y="1" width="16" height="10" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${extra}/></svg>`;
  if (underlay && underlay.crs === crsLabel(crs)) {
    const [x0, y0, x1, y1] = underlay.bbox;
    view.push(
      `<g data-layer="underlay"><image href="data:image/png;base64,${underlay.pngBase64}" x="${X(x0).toFixed(1)}" y="${Y(y1).toFixed(1)}" width="${((x1 - x0) * scale).toFixed(1)}" height="${((y1 - y0) * scale).toFixed(1)}" preserveAspectRatio="none" opacity="0.75" style="image-rendering:pixelated"/></g>`,
    );
    for (const g of underlay.legend) item(g.key, box(g.colour, '#888'), g.zh, `${g.en} (${underlay.date ?? underlay.source})`);
  }
  // Grid, under the features.
  const step = niceStep(Math.max(bbox[2] - bbox[0], bbox[3] - bbox[1]), 5);
  const grid: string[] = [];
  for (let x = Math.ceil(bbox[0] / step) * step; x <= bbox[2]; x += step) {
    grid.push(`<line x1="${X(x).toFixed(1)}" y1="0" x2="${X(x).toFixed(1)}" y2="${height}"/><text class="gy" x="${X(x).toFixed(1)}" y="11">Y ${Math.round(x)}</text>`);
  }
  for (let y = Math.ceil(bbox[1] / step) * step; y <= bbox[3]; y += step) {
    grid.push(`<line x1="0" y1="${Y(y).toFixed(1)}" x2="${width}" y2="${Y(y).toFixed(1)}"/><text class="gx" x="4" y="${(Y(y) - 3).toFixed(1)}">X ${Math.round(y)}</text>`);
  }
  view.push(`<g class="grid" data-layer="grid">${grid.join('')}</g>`);
  const markers: string[] = [];
  const labels: string[] = [];
  for (const layer of layers) {
    const parts: string[] = [];
    for (const s of layer.shapes) {
      if (s.line) {
        parts.push(`<polyline points="${s.line.map(pt).join(' ')}"/>`);
        continue;
      }
      const rings = s.rings!;
      parts.push(`<path d="${d(rings)}"/>`);
      if (layer.kind === 'license' || layer.kind === 'hole') continue;
      // Bounding box in pixels: a feature smaller than 8 px gets a ring marker, so it cannot be missed.
      let a = Infinity,
        b = Infinity,
        c = -Infinity,
        e = -Infinity;
      for (const r of rings)
        for (const [x, y] of r) {
          a = Math.min(a, X(x!));
          c = Math.max(c, X(x!));
          b = Math.min(b, Y(y!));
          e = Math.max(e, Y(y!));
        }
      const cx = (a + c) / 2;
      const cy = (b + e) / 2;
      if (Math.max(c - a, e - b) < 8) markers.push(`<circle class="marker" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="7" stroke="${layer.colour}"/>`);
      // The number inside a feature large enough to hold it, else just above it (never over it).
      const ly = e - b > 30 && c - a > 30 ? cy + 5 : b - 4;
      if (s.label) labels.push(`<text class="label" data-ref="${esc(s.label)}" x="${cx.toFixed(1)}" y="${ly.toFixed(1)}" fill="${layer.colour}">${esc(s.label)}</text>`);
    }
    const style =
      layer.kind === 'license'
        ? `class="license"`
        : layer.kind === 'hole'
          ? `class="hole"`
          : layer.kind === 'line'
            ? `fill="none" stroke="${layer.colour}" stroke-width="2.5" stroke-linecap="round"`
            : layer.kind === 'outline'
              ? `fill="none" stroke="${layer.colour}" stroke-width="1.5" stroke-dasharray="5 3"`
              : `fill="${layer.colour}" fill-opacity="0.6" stroke="${layer.colour}" stroke-width="1.2"`;
    view.push(`<g data-layer="${esc(layer.key)}" ${style}>${parts.join('')}</g>`);
    const swatch =
      layer.kind === 'license'
        ? box('#d9f0d3', '#1b7837')
        : layer.kind === 'hole'
          ? box('#ffffff', '#1b7837', ' stroke-dasharray="3 2"')
          : layer.kind === 'line'
            ? `<svg class="sw" viewBox="0 0 18 12" width="18" height="12"><line x1="1" y1="6" x2="17" y2="6" stroke="${layer.colour}" stroke-width="2.5"/></svg>`
            : layer.kind === 'outline'
              ? box('none', layer.colour, ' stroke-dasharray="4 2"')
              : box(layer.colour, layer.colour, ' fill-opacity="0.6"');
    item(layer.key, swatch, `${layer.key === 'license' || layer.key === 'holes' ? '' : `${layer.key.replace(/-lines$/, '')} `}${layer.zh}`, layer.en);
  }
  if (markers.length) {
    view.push(`<g data-layer="markers">${markers.join('')}</g>`);
    item('markers', `<svg class="sw" viewBox="0 0 18 12" width="18" height="12"><circle cx="9" cy="6" r="5" fill="none" stroke="#333" stroke-width="1.5"/></svg>`, '小于图面可见尺寸的要素（圆圈标示）', 'Features too small to see (ringed)');
  }
  if (labels.length) view.push(`<g data-layer="labels">${labels.join('')}</g>`);
  // Scale bar, north arrow and the CRS stay put while the view pans and zooms.
  const metresPerPx = 1 / scale;
  const nice =
    [1, 2, 5]
      .flatMap((m) => [1, 10, 100, 1000, 10000].map((p) => m * p))
      .sort((p, q) => p - q)
      .filter((v) => v <= (width / 5) * metresPerPx)
      .at(-1) ?? 1;
  const crsText = `${crs.name}${crs.epsg ? ` (EPSG:${crs.epsg})` : ''}`;
  const boxW = Math.max(width / 5 + 20, crsText.length * 5.4 + 16);
  const left = width - boxW - 6;
  const overlay =
    `<g class="scale" data-m-per-px="${metresPerPx}"><rect x="${left.toFixed(1)}" y="${height - 44}" width="${boxW.toFixed(1)}" height="38" fill="#fff" fill-opacity="0.85"/>` +
    `<line x1="${(left + 8).toFixed(1)}" y1="${height - 14}" x2="${(left + 8 + nice / metresPerPx).toFixed(1)}" y2="${height - 14}"/><text x="${(left + 8).toFixed(1)}" y="${height - 20}">${nice >= 1000 ? `${nice / 1000} km` : `${nice} m`}</text>` +
    `<text class="crs" x="${(left + 8).toFixed(1)}" y="${height - 32}">${esc(crsText)}</text></g>` +
    `<g class="north" transform="translate(${width - 26},34)"><path d="M0,-20L7,6L0,0L-7,6Z"/><text x="0" y="18">N</text></g>`;
  const svg =
    `<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="地图 map">` +
    `<svg class="view" x="0" y="0" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${view.join('')}</svg>${overlay}</svg>`;
  return { svg, legend: `<ul class="legend">${legend.join('')}</ul>` };
}

/** Pan (drag), zoom (wheel, buttons) and reset (double click) on the map, and the scale bar kept true; no network. */
export const MAP_SCRIPT = `(()=>{const m=document.querySelector('svg.map');if(!m)return;const v=m.querySelector('svg.view');const W=+m.getAttribute('width'),H=+m.getAttribute('height');let x=0,y=0,w=W,h=H;
const sc=m.querySelector('g.scale'),mpp=+sc.dataset.mPerPx,line=sc.querySelector('line'),txt=sc.querySelector('text'),x1=+line.getAttribute('x1');
const set=()=>{v.setAttribute('viewBox',x+' '+y+' '+w+' '+h);const p=mpp*w/W;let n=1;for(const d of [1,2,5])for(const k of [1,10,100,1e3,1e4,1e5])if(d*k<=W/5*p&&d*k>n)n=d*k;line.setAttribute('x2',x1+n/p);txt.textContent=n>=1e3?n/1e3+' km':n+' m'};
const zoom=(k,cx,cy)=>{w*=k;h*=k;x=cx-(cx-x)*k;y=cy-(cy-y)*k;set()};
m.addEventListener('wheel',e=>{e.preventDefault();const r=m.getBoundingClientRect();zoom(e.deltaY<0?0.8:1.25,x+(e.clientX-r.left)/r.width*w,y+(e.clientY-r.top)/r.height*h)},{passive:false});
let drag=null;m.addEventListener('pointerdown',e=>{drag=[e.clientX,e.clientY,x,y];m.setPointerCapture(e.pointerId)});
m.addEventListener('pointermove',e=>{if(!drag)return;const r=m.getBoundingClientRect();x=drag[2]-(e.clientX-drag[0])/r.width*w;y=drag[3]-(e.clientY-drag[1])/r.height*h;set()});
m.addEventListener('pointerup',()=>{drag=null});m.addEventListener('dblclick',()=>{x=0;y=0;w=W;h=H;set()});
for(const b of document.querySelectorAll('.mapctl button'))b.addEventListener('click',()=>{const k=b.dataset.zoom;if(k==='0'){x=0;y=0;w=W;h=H;set()}else zoom(+k,x+w/2,y+h/2)});})();`;
