/**
 * The consuming side of the live-service benchmark, in its own process:
 * `anchor` (a bare mqtt.js subscriber: what Mosquitto alone delivers) or
 * `greenmine` (the service, started from a configuration). Prints `ready`
 * once subscribed, then one JSON line when `n` fixes have been taken.
 */
import { connectAsync } from 'mqtt';
import { loadServeConfig } from '../src/serve/config.js';
import { startService } from '../src/serve/run.js';

const [mode, arg, nText] = process.argv.slice(2);
const n = Number(nText);
const gc = (globalThis as { gc?: () => void }).gc;

if (mode === 'anchor') {
  const client = await connectAsync(arg!, { clientId: `anchor-${process.pid}`, protocolVersion: 5, clean: true });
  let count = 0;
  let first = 0;
  client.on('message', () => {
    if (count++ === 0) first = performance.now();
    if (count === n) {
      console.log(JSON.stringify({ ms: performance.now() - first, rssMiB: process.resourceUsage().maxRSS / 1024 }));
      void client.endAsync().then(() => process.exit(0));
    }
  });
  await client.subscribeAsync('greenmine/positions/+', { qos: 1 });
  console.log('ready');
} else {
  const running = await startService(loadServeConfig(arg!));
  const s = running.service;
  let first = 0;
  const poll = setInterval(() => {
    const done = s.metrics.fixesIn;
    if (first === 0 && s.metrics.fixesIn > 0) first = performance.now();
    if (done >= n) {
      clearInterval(poll);
      const ms = performance.now() - first;
      // The monitors' state: the heap with the devices, less the heap without them.
      const devices = s.fence.deviceCount;
      gc?.();
      const withDevices = process.memoryUsage().heapUsed;
      s.fence.restore({});
      gc?.();
      const heap = withDevices - process.memoryUsage().heapUsed;
      console.log(JSON.stringify({ ms, devices, heapBytesPerDevice: heap / devices, rssMiB: process.resourceUsage().maxRSS / 1024, alarms: s.metrics.alarmsOut }));
      void running.stop().then(() => process.exit(0));
    }
  }, 2);
  console.log('ready');
}
