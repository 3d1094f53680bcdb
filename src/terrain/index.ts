export { demPixelMetres, DemRows, metresPerDegree, SlopeRows, slopeRow, type SlopeAlgorithm } from './slope.js';
export { exposedSlopes, exposedSlopesInZones, type ExposedSlope, type SlopesOptions, type SlopesReport, type ZoneSlopesOptions } from './slopes.js';
export { platformSoil, type PlatformSoil, type SoilOptions, type SoilReport } from './soil.js';
export { writeSlopeRaster } from './slope-raster.js';
