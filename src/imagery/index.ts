export { type BandRole, CLASS_CODES, CLASSIFY_SCHEME, type ClassifyOptions, type ClassifyReport, classifyImagery, type IndexMethod, schemePathFor } from './classify.js';
export { type OtsuResult, otsu } from './otsu.js';
