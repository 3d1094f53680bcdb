export { crsFromEpsg, crsFromGeoKeys, crsLabel, crsProjection, parseCrs, type Crs, type Datum, type GaussKruger, type GeoKeys, type ParseCrsOptions } from './crs.js';
export { candidateZones, detectGkCrs, familyOfZone, zonePrefix, ZHEJIANG_BBOX, type GkOptions } from './gk.js';
export { fromWgs84, parseFrame, toWgs84, type FrameName, type OffsetFrame } from './offsets.js';
export { lookupEpsg } from './registry.js';
export { createTransform, type Transform } from './transform.js';
