export { REPORT_VERSION, runAudit, type AuditReport, type Check, type CheckDef, type CheckResult, type EvidenceFeature, type Reason, type Status, type Text } from './audit.js';
export { CHECKS } from './checks/index.js';
export { AuditContext, INPUTS, type InputName } from './context.js';
export { DEFAULT_THRESHOLDS, loadManifest, type LoadedManifest, type Manifest, type Thresholds } from './manifest.js';
export { THRESHOLD_OPTIONS, thresholdsSchema, type ThresholdName, type ThresholdOption } from './options.js';
export { evidenceGeoJson, formCsv, mapSvg, reportHtml, writeAuditOutputs, type AuditFiles } from './outputs.js';
export { findManifests, mergeSummaries, runBatch, shard, summaryCsv, SUMMARY_IDS, type BatchOptions, type SummaryRow } from './batch.js';
export { initManifest, type InitResult } from './init.js';
