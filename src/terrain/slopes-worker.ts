/** The worker thread of the slope pipeline: labels one band of columns (see labelBand). */
import '../io/worker-shim.js';
import { parentPort, workerData } from 'node:worker_threads';
import { GreenmineError } from '../errors.js';
import { labelBand } from './slopes.js';

try {
  parentPort!.postMessage({ result: await labelBand(workerData) });
} catch (err) {
  parentPort!.postMessage({ error: err instanceof GreenmineError ? { code: err.code, message: err.message } : { code: 'TERRAIN_WORKER', message: (err as Error).message } });
}
