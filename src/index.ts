/**
 * greenmine: audit open-pit mines against Zhejiang's green-mine requirements.
 * Library entry point; the CLI (src/cli) is a thin layer over these exports.
 */

export * from './audit/index.js';
export * from './cameras/index.js';
export * from './crs/index.js';
export { ERROR_CODES, type ErrorCode, type Finding, formatWhere, GreenmineError, type Where } from './errors.js';
export * from './export/index.js';
export * from './fence/index.js';
export * from './imagery/index.js';
export * from './license/index.js';
export * from './raster/index.js';
export * from './sensors/index.js';
export * from './serve/index.js';
export * from './terrain/index.js';
export * from './track/index.js';
