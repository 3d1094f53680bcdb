/**
 * The service's side of the live-service benchmark, in its own process,
 * started from a configuration (the anchor is mosquitto_sub). Prints `ready`
 * once subscribed, then one JSON line when `n` fixes have been taken.
 */
import { loadServeConfig } from '../src/serve/config.js';
import { MqttBridge } from '../src/serve/mqtt.js';
import { LiveService } from '../src/serve/service.js';

// argv: a label (shown by ps), the configuration, the number of fixes to take.
const [, arg, nText] = process.argv.slice(2);
const n = Number(nText);
const gc = (globalThis as { gc?: () => void }).gc;

// The service's parts as startService assembles them, with the time of the first message taken.
const config = loadServeConfig(arg!);
const s = await LiveService.open(config);
let first = 0;
let count = 0;
let finish!: () => void;
const finished = new Promise<void>((r) => (finish = r));
const ingest = s.ingest.bind(s);
s.ingest = (topic, payload) => {
  if (count === 0) first = performance.now();
  const ok = ingest(topic, payload);
  if (++count === n) finish();
  return ok;
};
const timer = setInterval(() => s.checkpoint(), config.checkpointIntervalS * 1000);
const bridge = await MqttBridge.start(s, config.mqtt!);
console.log('ready');
const timeout = setTimeout(
  () => {
    console.error(`bench child: ${count} of ${n} fixes after 120 s`);
    process.exit(2);
  },
  120_000 + (n / 1000) * 1000,
);
await finished;
clearTimeout(timeout);
const ms = performance.now() - first;
clearInterval(timer);
// The monitors' state: the heap with the devices, less the heap without them.
const devices = s.fence.deviceCount;
await bridge.stop();
s.close();
gc?.();
const withDevices = process.memoryUsage().heapUsed;
s.fence.restore({});
gc?.();
const heap = withDevices - process.memoryUsage().heapUsed;
console.log(JSON.stringify({ ms, devices, heapBytesPerDevice: heap / devices, rssMiB: process.resourceUsage().maxRSS / 1024, alarms: s.metrics.alarmsOut }));
process.exit(0);
