export { type BareChange, bareChange, type ChangeOptions, type ChangePatch } from './change.js';
export { type Component, outlineRuns, StreamingLabeler } from './components.js';
export { type CoverageMode, type PixelPolygons, PolygonCoverage } from './coverage.js';
export { type CoverageOptions, type CoverageReport, type GroupAreas, measureCoverage } from './green.js';
export { type DataType, ellipsoidBandAreaM2, type OpenOptions, type RasterBlock, type RasterInfo, RasterReader } from './reader.js';
export { measureRoadside, type RoadsideOptions, type RoadsideReport } from './roadside.js';
export { type ClassGroup, type ClassScheme, loadScheme, parseScheme, schemeFor, schemeFromGroups, schemeSidecar, WORLDCOVER } from './scheme.js';
export { type TiffSpec, writeTiledTiff } from './writer.js';
export { type ClassSums, toPixelPolygons, type ZonalOptions, type ZonalResult, zonalClassAreas } from './zonal.js';
