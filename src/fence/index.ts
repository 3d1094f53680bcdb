export { FenceIndex, OUTSIDE, type FenceBuildOptions } from './fence-index.js';
export { detectEvents, EventEngine, FenceMonitor, type EventOptions, type FenceEvent, type FenceEventType } from './events.js';
export { detectWashViolations, WashMonitor, type WashEvent, type WashOptions } from './wash.js';
export { countOutside, eventFeature, eventsGeoJson, fenceSearchRadiusM } from './report.js';
