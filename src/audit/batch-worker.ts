/** A worker thread of `greenmine batch`: audits the manifests it is sent, one at a time. */
import type { ManifestOptions } from './manifest.js';
import '../io/worker-shim.js';
import { parentPort } from 'node:worker_threads';
import { GreenmineError } from '../errors.js';
import { runAudit } from './audit.js';
import { auditOne } from './batch.js';

parentPort?.on('message', async ({ manifest, dir, options }: { manifest: string; dir: string; options: ManifestOptions }) => {
  try {
    parentPort!.postMessage({ row: auditOne(manifest, dir, await runAudit(manifest, options)) });
  } catch (err) {
    const e = err instanceof GreenmineError ? { code: err.code, message: err.message } : { code: 'AUDIT_INTERNAL', message: (err as Error).message };
    parentPort!.postMessage({ error: e });
  }
});
