export { type Crs, crsFromEpsg, crsFromGeoKeys, crsLabel, crsProjection, type Datum, type GaussKruger, type GeoKeys, type ParseCrsOptions, parseCrs } from './crs.js';
export { candidateZones, detectGkCrs, familyOfZone, type GkOptions, ZHEJIANG_BBOX, zonePrefix } from './gk.js';
export { type FrameName, fromWgs84, type OffsetFrame, parseFrame, toWgs84 } from './offsets.js';
export { lookupEpsg } from './registry.js';
export { createTransform, type Transform } from './transform.js';
