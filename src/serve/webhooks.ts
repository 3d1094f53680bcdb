/**
 * Alarms to webhooks: one queue per URL, delivered in order by POST (JSON),
 * retried with exponential backoff (0.5 s doubling to 60 s) until the
 * endpoint answers 2xx. A queue holds at most 10 000 alarms; beyond that the
 * oldest are dropped and counted (`dropped`).
 */
import type { Alarm } from './live.js';

const MAX_QUEUE = 10_000;
const TIMEOUT_MS = 10_000;

export class Webhook {
  private readonly queue: Alarm[] = [];
  private running = false;
  private stopped = false;
  delivered = 0;
  failures = 0;
  dropped = 0;

  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  push(alarm: Alarm): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(alarm);
    if (!this.running) void this.run();
  }

  get pending(): number {
    return this.queue.length;
  }

  private async run(): Promise<void> {
    this.running = true;
    let delayMs = 500;
    while (this.queue.length && !this.stopped) {
      const alarm = this.queue[0]!;
      let ok = false;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `${alarm.id}:${alarm.state}`, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
          body: JSON.stringify(alarm),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        ok = res.ok;
        await res.body?.cancel();
      } catch {
        ok = false;
      }
      if (ok) {
        this.queue.shift();
        this.delivered++;
        delayMs = 500;
      } else {
        this.failures++;
        await new Promise((r) => setTimeout(r, delayMs).unref());
        delayMs = Math.min(delayMs * 2, 60_000);
      }
    }
    this.running = false;
  }

  stop(): void {
    this.stopped = true;
  }
}
