/**
 * Import first in a worker thread that loads geotiff. geotiff's `web-worker` dependency takes any
 * non-main thread of a Node without a global Worker for one of its own workers and fails;
 * greenmine never uses geotiff's worker pool, so a stand-in global is enough.
 */
const g = globalThis as { Worker?: unknown };
if (typeof g.Worker !== 'function') {
  g.Worker = class {
    constructor() {
      throw new Error('web workers are not available in greenmine worker threads');
    }
  };
}

export {};
