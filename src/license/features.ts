/**
 * From features (attributes + polygon geometry), as GeoJSON, KML and shapefiles
 * deliver them, to licenses: each feature's polygons become blocks; features
 * sharing a license number (else a mine name) are blocks of one license.
 */
import { basename } from 'node:path';
import type { Crs } from '../crs/index.js';
import { type Finding, GreenmineError, type Where } from '../errors.js';
import { mapAttributes } from './fields.js';
import type { Block, License } from './model.js';

export interface SourceFeature {
  /** 1-based feature (or placemark, or record) number in the file. */
  index: number;
  attributes: Record<string, unknown>;
  /** Polygons, each a list of rings, each a list of positions (GeoJSON layout). */
  polygons: unknown[][];
  /** A label for the feature in messages ("feature 3", "placemark 示例矿山"). */
  label?: string;
}

/** A GeoJSON-layout ring to a flat ring, checking every position. Closure is checked by validation. */
export function flatRing(ring: unknown, where: Where): Float64Array {
  if (!Array.isArray(ring)) throw new GreenmineError('LICENSE_BAD_GEOMETRY', `${describe(where)}: a ring must be a list of positions`, where);
  const out = new Float64Array(ring.length * 2);
  ring.forEach((pos, i) => {
    if (!Array.isArray(pos) || pos.length < 2 || typeof pos[0] !== 'number' || typeof pos[1] !== 'number' || !Number.isFinite(pos[0]) || !Number.isFinite(pos[1])) {
      throw new GreenmineError('LICENSE_BAD_COORDINATE', `${describe({ ...where, vertex: i + 1 })}: expected a position [x, y] of finite numbers, got ${JSON.stringify(pos)?.slice(0, 60)}`, { ...where, vertex: i + 1 });
    }
    out[2 * i] = pos[0];
    out[2 * i + 1] = pos[1];
  });
  return out;
}

function describe(where: Where): string {
  const parts = [
    where.file,
    where.feature !== undefined ? `feature ${where.feature}` : '',
    where.block !== undefined ? `polygon ${where.block}` : '',
    where.ring !== undefined ? (where.ring === 0 ? 'outer ring' : `hole ${where.ring}`) : '',
    where.vertex !== undefined ? `position ${where.vertex}` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

export function licensesFromFeatures(features: SourceFeature[], crs: Crs, file: string, extraFindings: Finding[] = []): License[] {
  const groups = new Map<string, { features: SourceFeature[]; mapped: ReturnType<typeof mapAttributes> }>();
  for (const f of features) {
    const mapped = mapAttributes(f.attributes);
    const key = mapped.licenseNo ? `no:${mapped.licenseNo}` : mapped.name ? `name:${mapped.name}` : `feature:${f.index}`;
    const group = groups.get(key);
    if (group) group.features.push(f);
    else groups.set(key, { features: [f], mapped });
  }
  const licenses: License[] = [];
  for (const { features: members, mapped } of groups.values()) {
    const findings: Finding[] = [...extraFindings];
    const blocks: Block[] = [];
    const attributes: Record<string, unknown> = {};
    for (const f of members) {
      for (const [k, v] of Object.entries(f.attributes)) if (!(k in attributes)) attributes[k] = v;
      f.polygons.forEach((polygon, pi) => {
        if (!Array.isArray(polygon) || polygon.length === 0) {
          throw new GreenmineError('LICENSE_BAD_GEOMETRY', `${file}, feature ${f.index}: polygon ${pi + 1} has no rings`, { file, feature: f.index });
        }
        const blockNo = blocks.length + 1;
        blocks.push({
          name: members.length > 1 || f.polygons.length > 1 ? `${f.label ?? `feature ${f.index}`}${f.polygons.length > 1 ? ` polygon ${pi + 1}` : ''}` : null,
          rings: polygon.map((ring, ri) => flatRing(ring, { file, feature: f.index, block: blockNo, ring: ri })),
        });
      });
    }
    for (const note of mapped.notes) findings.push({ code: 'LICENSE_ATTRIBUTE', severity: 'warning', message: note, where: { file, feature: members[0]!.index } });
    licenses.push({
      id: mapped.licenseNo ?? mapped.name ?? `${basename(file)}#${members[0]!.index}`,
      name: mapped.name,
      licenseNo: mapped.licenseNo,
      holder: mapped.holder,
      blocks,
      elevationM: mapped.elevationM,
      statedArea: mapped.statedArea,
      crs,
      sourceFile: file,
      attributes,
      findings,
    });
  }
  return licenses;
}

/** Polygons of a GeoJSON geometry object (Polygon, MultiPolygon, or a GeometryCollection of them). */
export function polygonsOf(geometry: unknown, where: Where): unknown[][] {
  if (!geometry || typeof geometry !== 'object') return [];
  const g = geometry as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  if (g.type === 'Polygon') {
    if (!Array.isArray(g.coordinates)) throw new GreenmineError('LICENSE_BAD_GEOMETRY', `${describe(where)}: Polygon without coordinates`, where);
    return [g.coordinates];
  }
  if (g.type === 'MultiPolygon') {
    if (!Array.isArray(g.coordinates)) throw new GreenmineError('LICENSE_BAD_GEOMETRY', `${describe(where)}: MultiPolygon without coordinates`, where);
    return g.coordinates as unknown[][];
  }
  if (g.type === 'GeometryCollection' && Array.isArray(g.geometries)) return g.geometries.flatMap((c) => polygonsOf(c, where));
  return [];
}
