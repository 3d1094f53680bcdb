import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Node options for greenmine's worker threads: the process's own, less those a
 * worker cannot take (a script given with -e/--input-type makes every worker fail).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}

/**
 * A worker thread with the process's Node options. Options that only a process can take (Node refuses
 * them in a worker: --perf-basic-prof, --prof, …) are left out, named by Node's refusal, so that
 * `node --perf-basic-prof greenmine …` runs instead of failing with a stack trace.
 */
export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  const execArgv = workerExecArgv();
  try {
    return new Worker(url, { ...options, execArgv });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    const refused = new Set(((err as Error).message.split(': ')[1] ?? '').split(/,\s*/));
    const kept = execArgv.filter((a) => !refused.has(a) && !refused.has(a.split('=')[0]!));
    try {
      return new Worker(url, { ...options, execArgv: kept });
    } catch {
      return new Worker(url, { ...options, execArgv: [] });
    }
  }
}
