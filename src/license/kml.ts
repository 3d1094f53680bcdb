/**
 * KML and KMZ licenses: Placemarks with Polygon or MultiGeometry, inner
 * boundaries and ExtendedData. KML is WGS 84 by definition; files exported
 * from Chinese map apps are GCJ-02 (or BD-09) and can be declared as such.
 * A KMZ's doc.kml may link (NetworkLink) to layers inside the archive, as
 * multi-layer exports do; those are followed.
 */
import { posix } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { unzipSync } from 'fflate';
import { crsFromEpsg, type OffsetFrame, toWgs84 } from '../crs/index.js';
import { type Finding, GreenmineError } from '../errors.js';
import { decodeXml, parseXmlText } from '../io/xml.js';
import { licensesFromFeatures, type SourceFeature } from './features.js';
import type { License } from './model.js';

export interface KmlOptions {
  /** The frame the coordinates are really in (default WGS84). */
  frame?: OffsetFrame;
}

/** The most KML one document of a KMZ, and all its documents together, may inflate to. */
const MAX_KML_BYTES = 64 << 20;
const MAX_KMZ_BYTES = 256 << 20;

const ARRAYS = new Set(['Placemark', 'Polygon', 'innerBoundaryIs', 'Data', 'SimpleData', 'Folder', 'Document', 'MultiGeometry', 'NetworkLink', 'SchemaData']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

type Node = Record<string, unknown>;

function parseXml(bytes: Uint8Array, file: string): Node {
  const doc = parseXmlText(decodeXml(bytes, file, 'KML_SYNTAX'), file, 'KML_SYNTAX', 'KML document', parser) as Node;
  if (!doc.kml) throw new GreenmineError('KML_STRUCTURE', `${file}: not a KML document (no <kml> root element)`, { file });
  return doc.kml as Node;
}

function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return String((v as Node)['#text'] ?? '');
  return String(v);
}

/** Every Placemark and NetworkLink href below `node`, in document order. */
function collect(node: unknown, placemarks: Node[], links: string[]): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) collect(n, placemarks, links);
    return;
  }
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === 'Placemark') placemarks.push(...(value as Node[]));
    else if (key === 'NetworkLink') {
      for (const link of value as Node[]) {
        const href = textOf(((link.Link ?? link.Url) as Node | undefined)?.href);
        if (href) links.push(href);
      }
    } else if (typeof value === 'object') collect(value, placemarks, links);
  }
}

function ringFrom(boundary: unknown, frame: OffsetFrame, where: string): number[][] {
  const coords = textOf((boundary as Node | undefined)?.LinearRing && ((boundary as Node).LinearRing as Node).coordinates);
  const positions = coords.split(/\s+/).filter(Boolean);
  return positions.map((tuple, i) => {
    const parts = tuple.split(',').map(Number);
    if (parts.length < 2 || !Number.isFinite(parts[0]) || !Number.isFinite(parts[1])) {
      throw new GreenmineError('LICENSE_BAD_COORDINATE', `${where}, position ${i + 1}: "${tuple}" is not lon,lat[,alt]`, {});
    }
    return frame === 'WGS84' ? [parts[0]!, parts[1]!] : toWgs84(frame, parts[0]!, parts[1]!);
  });
}

function polygonsOfPlacemark(pm: Node, frame: OffsetFrame, where: string): number[][][][] {
  const out: number[][][][] = [];
  const visit = (geom: Node): void => {
    for (const polygon of (geom.Polygon as Node[] | undefined) ?? []) {
      const rings = [ringFrom(polygon.outerBoundaryIs, frame, `${where}, outer boundary`)];
      for (const inner of (polygon.innerBoundaryIs as Node[] | undefined) ?? []) {
        // Some writers put several LinearRings in one innerBoundaryIs.
        const lr = inner.LinearRing;
        for (const ring of Array.isArray(lr) ? lr : [lr]) rings.push(ringFrom({ LinearRing: ring }, frame, `${where}, inner boundary`));
      }
      out.push(rings);
    }
    for (const multi of (geom.MultiGeometry as Node[] | undefined) ?? []) visit(multi);
  };
  visit(pm);
  return out;
}

function attributesOf(pm: Node): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  const name = textOf(pm.name);
  if (name) attrs.name = name;
  const description = textOf(pm.description);
  if (description) attrs.description = description;
  const ext = pm.ExtendedData as Node | undefined;
  for (const d of (ext?.Data as Node[] | undefined) ?? []) attrs[String(d['@_name'])] = textOf(d.value);
  for (const sd of (ext?.SchemaData as Node[] | undefined) ?? []) {
    for (const s of (sd.SimpleData as Node[] | undefined) ?? []) attrs[String(s['@_name'])] = textOf(s);
  }
  return attrs;
}

function licensesFromPlacemarks(placemarks: Array<{ pm: Node; file: string }>, file: string, frame: OffsetFrame, findings: Finding[]): License[] {
  const features: SourceFeature[] = [];
  placemarks.forEach(({ pm, file: from }, i) => {
    const label = textOf(pm.name) || `placemark ${i + 1}`;
    const polygons = polygonsOfPlacemark(pm, frame, `${from}, ${label}`);
    if (polygons.length === 0) {
      findings.push({ code: 'LICENSE_FEATURE_NOT_POLYGON', severity: 'warning', message: `placemark "${label}" has no Polygon; skipped`, where: { file: from, feature: i + 1 } });
      return;
    }
    features.push({ index: i + 1, attributes: attributesOf(pm), polygons, label });
  });
  if (features.length === 0) throw new GreenmineError('KML_NO_POLYGONS', `${file}: no Placemark with a Polygon (${placemarks.length} placemark(s) found)`, { file });
  if (frame !== 'WGS84') findings.push({ code: 'COORD_OFFSET_REMOVED', severity: 'warning', message: `coordinates declared ${frame} and converted to WGS 84`, where: { file } });
  return licensesFromFeatures(features, crsFromEpsg(4326), file, findings);
}

export function parseKmlLicenses(bytes: Uint8Array, file: string, options: KmlOptions = {}): License[] {
  const kml = parseXml(bytes, file);
  const placemarks: Node[] = [];
  const links: string[] = [];
  collect(kml, placemarks, links);
  const findings: Finding[] = links.map((href) => ({ code: 'KML_LINK_NOT_FOLLOWED', severity: 'warning' as const, message: `NetworkLink to ${href} not followed (only links inside a KMZ are)`, where: { file } }));
  return licensesFromPlacemarks(
    placemarks.map((pm) => ({ pm, file })),
    file,
    options.frame ?? 'WGS84',
    findings,
  );
}

export function parseKmzLicenses(bytes: Uint8Array, file: string, options: KmlOptions = {}): License[] {
  let entries: Record<string, Uint8Array>;
  // Only the KML documents are inflated, each up to a limit and all together up to another: a small
  // archive declaring gigabytes is refused before anything is inflated (the limits hold during
  // inflation too: fflate writes into a buffer of the declared size).
  let total = 0;
  let refused: string | null = null;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.toLowerCase().endsWith('.kml')) return false;
        total += f.originalSize;
        if (f.originalSize > MAX_KML_BYTES || total > MAX_KMZ_BYTES) {
          refused ??= `${f.name} (${f.originalSize} bytes${total > MAX_KMZ_BYTES ? `, ${total} bytes of KML in all` : ''})`;
          return false;
        }
        return true;
      },
    });
  } catch {
    throw new GreenmineError('KMZ_BAD_ARCHIVE', `${file}: not a readable KMZ (zip) archive`, { file });
  }
  if (refused) throw new GreenmineError('KMZ_TOO_LARGE', `${file}: the archive's KML ${refused} is larger than greenmine inflates (${MAX_KML_BYTES >> 20} MiB a document, ${MAX_KMZ_BYTES >> 20} MiB in all)`, { file });
  for (const [name, data] of Object.entries(entries)) {
    if (data.length > MAX_KML_BYTES) throw new GreenmineError('KMZ_TOO_LARGE', `${file}: ${name} inflates past ${MAX_KML_BYTES >> 20} MiB`, { file });
  }
  const names = Object.keys(entries);
  const root = names.find((n) => n.toLowerCase() === 'doc.kml') ?? names.find((n) => n.toLowerCase().endsWith('.kml') && !n.includes('/')) ?? names.find((n) => n.toLowerCase().endsWith('.kml'));
  if (!root) throw new GreenmineError('KMZ_NO_KML', `${file}: the archive holds no .kml document (${names.join(', ') || 'empty'})`, { file });
  const findings: Finding[] = [];
  const placemarks: Array<{ pm: Node; file: string }> = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const label = `${file}!${name}`;
    const kml = parseXml(entries[name]!, label);
    const pms: Node[] = [];
    const links: string[] = [];
    collect(kml, pms, links);
    placemarks.push(...pms.map((pm) => ({ pm, file: label })));
    for (const href of links) {
      const target = posix.normalize(posix.join(posix.dirname(name), href));
      if (entries[target]) visit(target);
      else findings.push({ code: 'KML_LINK_NOT_FOLLOWED', severity: 'warning', message: `NetworkLink to ${href} is not inside the archive; not followed`, where: { file: label } });
    }
  };
  visit(root);
  return licensesFromPlacemarks(placemarks, file, options.frame ?? 'WGS84', findings);
}
