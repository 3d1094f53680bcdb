export { REPORT_VERSION, runAudit, type AuditReport, type Check, type EvidenceFeature, type Status } from './audit.js';
export { DEFAULT_THRESHOLDS, loadManifest, type LoadedManifest, type Manifest, type Thresholds } from './manifest.js';
export { evidenceGeoJson, formCsv, mapSvg, reportHtml, writeAuditOutputs, type AuditFiles } from './outputs.js';
export { findManifests, mergeSummaries, runBatch, shard, summaryCsv, SUMMARY_IDS, type BatchOptions, type SummaryRow } from './batch.js';
export { initManifest, type InitResult } from './init.js';
