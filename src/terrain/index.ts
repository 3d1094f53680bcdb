export { DemRows, demPixelMetres, metresPerDegree, type SlopeAlgorithm, SlopeRows, slopeRow } from './slope.js';
export { writeSlopeRaster } from './slope-raster.js';
export { type ExposedSlope, exposedSlopes, exposedSlopesInZones, type SlopesOptions, type SlopesReport, type ZoneSlopesOptions } from './slopes.js';
export { type PlatformSoil, platformSoil, type SoilOptions, type SoilReport } from './soil.js';
