export { loadServeConfig, type ServeConfig } from './config.js';
export { type Alarm, type AlarmType, alarmId, LiveDust, LiveFence } from './live.js';
export { type RunningService, startService } from './run.js';
export { LiveService, parsePosition, parseReading } from './service.js';
