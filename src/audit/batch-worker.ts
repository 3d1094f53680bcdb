/** A worker thread of `greenmine batch`: audits the manifests it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';

// geotiff depends on the `web-worker` package, which, imported outside the main thread of a
// Node without a global Worker, takes itself for one of its own workers and fails. greenmine
// never uses geotiff's worker pool, so a stand-in global is enough; hence the dynamic imports.
const g = globalThis as { Worker?: unknown };
if (typeof g.Worker !== 'function') {
  g.Worker = class {
    constructor() {
      throw new Error('web workers are not available in greenmine batch workers');
    }
  };
}
const { GreenmineError } = await import('../errors.js');
const { runAudit } = await import('./audit.js');
const { auditOne } = await import('./batch.js');

parentPort?.on('message', async ({ manifest, dir }: { manifest: string; dir: string }) => {
  try {
    parentPort!.postMessage({ row: auditOne(manifest, dir, await runAudit(manifest)) });
  } catch (err) {
    const e = err instanceof GreenmineError ? { code: err.code, message: err.message } : { code: 'AUDIT_INTERNAL', message: (err as Error).message };
    parentPort!.postMessage({ error: e });
  }
});
