/**
 * KML 2.2 of the evidence for inspectors' Google Earth and Ovital (奥维互动地图):
 * one folder per check, a style per check in its map colour, each feature with
 * its attributes as ExtendedData. KML is WGS 84 longitude/latitude by
 * definition, whatever --evidence-crs says for the other formats.
 */
import { COLUMNS, type EvidenceRow } from './rows.js';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** #rrggbb → KML's aabbggrr. */
const kmlColour = (hex: string, alpha: string): string => `${alpha}${hex.slice(5, 7)}${hex.slice(3, 5)}${hex.slice(1, 3)}`;

const coords = (ring: number[][]): string => ring.map(([x, y]) => `${x!.toFixed(8)},${y!.toFixed(8)}`).join(' ');

function geometry(row: EvidenceRow): string {
  if (row.kind === 'point') return `<Point><coordinates>${coords(row.rings[0]!)}</coordinates></Point>`;
  if (row.kind === 'line') {
    const lines = row.rings.map((r) => `<LineString><tessellate>1</tessellate><coordinates>${coords(r)}</coordinates></LineString>`);
    return lines.length === 1 ? lines[0]! : `<MultiGeometry>${lines.join('')}</MultiGeometry>`;
  }
  const polys = row.polygons.map((start, i) => {
    const end = row.polygons[i + 1] ?? row.rings.length;
    const [outer, ...holes] = row.rings.slice(start, end);
    return `<Polygon><outerBoundaryIs><LinearRing><coordinates>${coords(outer!)}</coordinates></LinearRing></outerBoundaryIs>${holes.map((h) => `<innerBoundaryIs><LinearRing><coordinates>${coords(h)}</coordinates></LinearRing></innerBoundaryIs>`).join('')}</Polygon>`;
  });
  return polys.length === 1 ? polys[0]! : `<MultiGeometry>${polys.join('')}</MultiGeometry>`;
}

/** The KML document; `rows` must be in WGS 84 (lon, lat). */
export function evidenceKml(rows: EvidenceRow[], name: string): string {
  const findings = [...new Set(rows.map((r) => String(r.values.FINDING)))];
  const styles = findings.map((id) => {
    const colour = rows.find((r) => r.values.FINDING === id)!.colour;
    return `<Style id="s-${esc(id)}"><LineStyle><color>${kmlColour(colour, 'ff')}</color><width>2.5</width></LineStyle><PolyStyle><color>${kmlColour(colour, '80')}</color></PolyStyle></Style>`;
  });
  const folders = findings.map((id) => {
    const of = rows.filter((r) => r.values.FINDING === id);
    const title = of[0]!.values.TITLE_ZH;
    const placemarks = of.map((r, i) => {
      const data = COLUMNS.filter((c) => r.values[c.name] !== null && r.values[c.name] !== undefined)
        .map((c) => `<Data name="${c.name}"><value>${esc(r.values[c.name])}</value></Data>`)
        .join('');
      return `<Placemark><name>${esc(`${id} ${r.values.REF ?? i + 1}`)}</name><description>${esc(r.values.PROBLEM ?? '')}</description><styleUrl>#s-${esc(id)}</styleUrl><ExtendedData>${data}</ExtendedData>${geometry(r)}</Placemark>`;
    });
    return `<Folder><name>${esc(`${id} ${title ?? ''}`)}</name>${placemarks.join('')}</Folder>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>${esc(name)}</name>${styles.join('')}${folders.join('')}</Document></kml>\n`;
}
