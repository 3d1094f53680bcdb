/** Licenses out as GeoJSON in any supported CRS. */
import { type Crs, createTransform, crsLabel } from '../crs/index.js';
import { licenseArea } from './area.js';
import { ringArea2 } from './geometry.js';
import type { License } from './model.js';

export interface LicenseFeatureCollection {
  type: 'FeatureCollection';
  crs?: { type: 'name'; properties: { name: string } };
  features: Array<{
    type: 'Feature';
    id: string;
    properties: Record<string, unknown>;
    geometry: { type: 'MultiPolygon'; coordinates: number[][][][] };
  }>;
}

/**
 * A FeatureCollection with one MultiPolygon feature per license, in `target`.
 * Lon/lat output follows RFC 7946 (outer rings counter-clockwise, no `crs`
 * member); projected output names its CRS in the legacy `crs` member.
 */
export function licensesToGeoJson(licenses: License[], target: Crs): LicenseFeatureCollection {
  const features = licenses.map((license) => {
    const transform = createTransform(license.crs, target);
    const area = licenseArea(license);
    const coordinates = license.blocks.map((block) =>
      block.rings.map((ring, ri) => {
        const out = new Float64Array(ring.length);
        transform.flatInto(ring, out);
        // Outer rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6), in x-east/y-north axes.
        const ccw = ringArea2(out) > 0;
        const positions: number[][] = [];
        for (let i = 0; i + 1 < out.length; i += 2) positions.push([out[i]!, out[i + 1]!]);
        if ((ri === 0) !== ccw) positions.reverse();
        return positions;
      }),
    );
    return {
      type: 'Feature' as const,
      id: license.id,
      properties: {
        ...license.attributes,
        id: license.id,
        name: license.name,
        licenseNo: license.licenseNo,
        holder: license.holder,
        elevationMinM: license.elevationM?.min ?? null,
        elevationMaxM: license.elevationM?.max ?? null,
        statedAreaM2: license.statedArea?.m2 ?? null,
        areaEllipsoidalM2: area.ellipsoidalM2,
        areaPlanarM2: area.planarM2,
        sourceCrs: crsLabel(license.crs),
        sourceFile: license.sourceFile,
      },
      geometry: { type: 'MultiPolygon' as const, coordinates },
    };
  });
  const collection: LicenseFeatureCollection = { type: 'FeatureCollection', features };
  if (!(target.geographic && (target.epsg === 4326 || target.epsg === 4490))) {
    collection.crs = { type: 'name', properties: { name: target.epsg !== null ? `urn:ogc:def:crs:EPSG::${target.epsg}` : target.proj4 } };
  }
  return collection;
}
