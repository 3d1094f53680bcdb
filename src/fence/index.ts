export { type DeviceState, detectEvents, EventEngine, type EventOptions, type FenceEvent, type FenceEventType, FenceMonitor, type SavedDeviceState } from './events.js';
export { type FenceBuildOptions, FenceIndex, OUTSIDE } from './fence-index.js';
export { countOutside, eventFeature, eventsGeoJson, fenceSearchRadiusM } from './report.js';
export { detectWashViolations, type WashEvent, WashMonitor, type WashOptions } from './wash.js';
