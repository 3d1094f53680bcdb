/**
 * Node options for greenmine's worker threads: the process's own, less those a
 * worker cannot take (a script given with -e/--input-type makes every worker fail).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}
