/** The worker thread of the slope pipeline: labels one band of rows (see labelBand). */
import { parentPort, workerData } from 'node:worker_threads';

// geotiff's `web-worker` dependency takes any non-main thread for one of its own workers unless a
// global Worker exists; greenmine never uses geotiff's pool, so a stand-in is enough.
const g = globalThis as { Worker?: unknown };
if (typeof g.Worker !== 'function') {
  g.Worker = class {
    constructor() {
      throw new Error('web workers are not available in greenmine worker threads');
    }
  };
}
const { GreenmineError } = await import('../errors.js');
const { labelBand } = await import('./slopes.js');

try {
  parentPort!.postMessage({ result: await labelBand(workerData) });
} catch (err) {
  parentPort!.postMessage({ error: err instanceof GreenmineError ? { code: err.code, message: err.message } : { code: 'TERRAIN_WORKER', message: (err as Error).message } });
}
