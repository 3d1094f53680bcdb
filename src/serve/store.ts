/**
 * The service's durable state in its state folder: a checkpoint
 * (`checkpoint.json`, written whole to a temporary file, synced and renamed
 * into place) and a write-ahead log (`wal.log`) of every message accepted
 * since, numbered. A message is in the log before the broker hears it was
 * received, so a service killed at any instant restarts from the checkpoint,
 * replays the log and then gets from the broker what it never acknowledged.
 * A lock file (`lock`, the owner's pid) keeps a second service out.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GreenmineError } from '../errors.js';

const FORMAT = 'greenmine-serve-checkpoint';
const VERSION = 1;

export interface Checkpoint<T> {
  format: typeof FORMAT;
  version: number;
  /** The last log entry the state includes. */
  seq: number;
  savedAt: string;
  state: T;
}

export interface LogEntry {
  seq: number;
  /** `p` / `q` a position / reading message as received (`topic\ttext`), `f` / `r` one normalised, `a` an alarm the broker acknowledged. */
  kind: string;
  body: unknown;
}

function removeIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StateStore<T> {
  private readonly walFd: number;
  private seqNext: number;
  private buffered = '';
  private durable = true;
  readonly checkpoint: Checkpoint<T> | null;
  /** Entries logged after the checkpoint, in order (a torn last line from a crash is left out). */
  readonly replay: LogEntry[];

  private constructor(
    readonly dir: string,
    checkpoint: Checkpoint<T> | null,
    replay: LogEntry[],
  ) {
    this.checkpoint = checkpoint;
    this.replay = replay;
    this.seqNext = Math.max(checkpoint?.seq ?? 0, replay.length ? replay[replay.length - 1]!.seq : 0) + 1;
    this.walFd = openSync(join(dir, 'wal.log'), 'a');
  }

  /**
   * Take the folder's lock and read its state. Without `durable`, nothing is logged or saved (the lock is
   * still taken). The lock names its holder (host, pid, and the cluster instance when there is one): a
   * holder on this host that is no longer running is gone; one on another host is gone only when
   * `holderGone(instance)` says so (a cluster knows its live members; pids mean nothing across hosts).
   */
  static open<T>(dir: string, durable = true, instance: string | null = null, holderGone?: (instance: string | null) => boolean): StateStore<T> {
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, 'lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, JSON.stringify({ host: hostname(), pid: process.pid, instance }));
        closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw new GreenmineError('SERVE_STATE_LOCKED', `state folder ${dir}: cannot take the lock (${(err as Error).message})`, { file: lock });
        let holder: { host?: string; pid?: number; instance?: string | null } = {};
        try {
          holder = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
        } catch {
          // unreadable: left half-written by a crash
        }
        const pid = Number(holder?.pid);
        let alive = false; // an unreadable lock was left half-written by a crash
        if (typeof holder?.host === 'string') alive = holder.host === hostname() ? Number.isInteger(pid) && pid > 0 && (pid === process.pid || processAlive(pid)) : !holderGone?.(holder.instance ?? null);
        if (alive) throw new GreenmineError('SERVE_STATE_LOCKED', `state folder ${dir} is in use by ${holder.instance ? `instance ${holder.instance}, ` : ''}process ${pid} on ${holder.host ?? 'an unknown host'}`, { file: lock });
        // Left by a service that died. Another may be taking it at the same moment: whoever creates it next wins.
        removeIfThere(lock);
      }
    }
    try {
      const file = join(dir, 'checkpoint.json');
      let checkpoint: Checkpoint<T> | null = null;
      if (existsSync(file)) {
        let doc: Checkpoint<T>;
        try {
          doc = JSON.parse(readFileSync(file, 'utf8')) as Checkpoint<T>;
        } catch {
          throw new GreenmineError('SERVE_STATE_CORRUPT', `${file} is not a greenmine checkpoint (not JSON)`, { file });
        }
        if (doc?.format !== FORMAT || doc.version !== VERSION || !Number.isInteger(doc.seq)) throw new GreenmineError('SERVE_STATE_CORRUPT', `${file} is not a greenmine checkpoint of version ${VERSION}`, { file });
        checkpoint = doc;
      }
      const replay: LogEntry[] = [];
      const wal = join(dir, 'wal.log');
      if (existsSync(wal)) {
        const lines = readFileSync(wal, 'utf8').split('\n');
        for (const line of lines) {
          const m = /^(\d+) ([a-z]) (.*)$/.exec(line);
          if (!m) continue; // the torn tail of a write cut by a crash
          const seq = Number(m[1]);
          if (seq <= (checkpoint?.seq ?? 0)) continue; // already in the checkpoint (killed between its rename and the truncation)
          try {
            // `p` and `q`: a message as received (topic, tab, JSON text); the others JSON.
            replay.push({ seq, kind: m[2]!, body: m[2] === 'p' || m[2] === 'q' ? m[3]! : JSON.parse(m[3]!) });
          } catch {
            // torn line
          }
        }
      }
      const store = new StateStore<T>(dir, checkpoint, replay);
      store.durable = durable;
      return store;
    } catch (err) {
      removeIfThere(lock);
      throw err;
    }
  }

  /** Log an entry (buffered until `flush`); returns its number. */
  log(kind: string, body: unknown): number {
    return this.logJson(kind, JSON.stringify(body));
  }

  /** Log an entry given as text without a line break (JSON, or a message as received). */
  logJson(kind: string, json: string): number {
    const seq = this.seqNext++;
    if (!this.durable) return seq;
    this.buffered += `${seq} ${kind} ${json}\n`;
    return seq;
  }

  /** Hand the buffered entries to the kernel (they survive the process being killed from then on). */
  flush(): void {
    if (!this.buffered) return;
    writeSync(this.walFd, this.buffered);
    this.buffered = '';
  }

  /** The number of the last entry logged. */
  get seq(): number {
    return this.seqNext - 1;
  }

  /** Save the state as of entry `seq` and drop the log before it. */
  save(state: T): void {
    if (!this.durable) return;
    this.flush();
    const file = join(this.dir, 'checkpoint.json');
    const temp = `${file}.tmp-${process.pid}`;
    const doc: Checkpoint<T> = { format: FORMAT, version: VERSION, seq: this.seq, savedAt: new Date().toISOString(), state };
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, JSON.stringify(doc));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    ftruncateSync(this.walFd, 0);
  }

  close(): void {
    this.flush();
    closeSync(this.walFd);
    try {
      unlinkSync(join(this.dir, 'lock'));
    } catch {
      // already gone
    }
  }
}
