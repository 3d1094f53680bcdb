export { PolygonCoverage, type CoverageMode, type PixelPolygons } from './coverage.js';
export { measureCoverage, type CoverageOptions, type CoverageReport, type GroupAreas } from './green.js';
export { ellipsoidBandAreaM2, RasterReader, type RasterBlock, type DataType, type OpenOptions, type RasterInfo } from './reader.js';
export { loadScheme, parseScheme, schemeFromGroups, WORLDCOVER, type ClassGroup, type ClassScheme } from './scheme.js';
export { toPixelPolygons, zonalClassAreas, type ClassSums, type ZonalOptions, type ZonalResult } from './zonal.js';
export { writeTiledTiff, type TiffSpec } from './writer.js';
export { outlineRuns, StreamingLabeler, type Component } from './components.js';
export { bareChange, type BareChange, type ChangeOptions, type ChangePatch } from './change.js';
export { measureRoadside, type RoadsideOptions, type RoadsideReport } from './roadside.js';
