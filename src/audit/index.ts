export { type AuditReport, type Check, type CheckDef, type CheckResult, type EvidenceFeature, REPORT_VERSION, type Reason, runAudit, type Status, type Text } from './audit.js';
export { type BatchOptions, findManifests, mergeSummaries, runBatch, SUMMARY_IDS, type SummaryRow, shard, summaryCsv } from './batch.js';
export { CHECKS } from './checks/index.js';
export { AuditContext, INPUTS, type InputName } from './context.js';
export { type InitResult, initManifest } from './init.js';
export { DEFAULT_THRESHOLDS, type LoadedManifest, loadManifest, type Manifest, type Thresholds } from './manifest.js';
export { THRESHOLD_OPTIONS, type ThresholdName, type ThresholdOption, thresholdsSchema } from './options.js';
export { type AuditFiles, evidenceGeoJson, formCsv, mapSvg, reportHtml, writeAuditOutputs } from './outputs.js';
