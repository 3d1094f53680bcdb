/**
 * Several services sharing the devices (config `cluster`). The devices are
 * split into P partitions by a hash of the topic's last level (the device or
 * station); each partition has its own state folder under the shared
 * `stateDir` (`p<k>/`: checkpoint, log, lock), held by one instance at a
 * time. Instances announce themselves with a retained message on
 * `greenmine/cluster/members/<instance>` and a last will that clears it, so
 * the broker tells every instance at once when one dies; the partitions are
 * assigned by rendezvous hashing over the live instances (each instance
 * computes the same assignment; a change moves only the partitions of the
 * instance that came or went).
 *
 * Every instance subscribes to every topic in its own persistent session and
 * keeps the messages of the last `historyS` seconds (all partitions). A
 * partition taken over is opened from its checkpoint and log — the previous
 * owner's — and then the recent messages of that partition are applied: those
 * the previous owner already had are duplicates or late and change nothing,
 * those it never saw (received between its last log write and its death, or
 * before the new owner took over) are applied in time order by the reorder
 * window. So a device's fixes are applied in order by one instance at a
 * time, and an instance killed at any moment loses nothing, provided the
 * takeover completes within `historyS`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GreenmineError } from '../errors.js';
import type { ServeConfig } from './config.js';
import { bodyMessages, MAX_REFUSALS_LISTED, readBody } from './http.js';
import { MqttBridge } from './mqtt.js';
import { LiveService, MessageError, parseObject, parsePosition, parseReading, type ServiceInputs } from './service.js';

export const MEMBERS_TOPIC = 'greenmine/cluster/members';

/** FNV-1a of the key, modulo the partition count. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Rendezvous hashing: each partition to the live instance with the highest hash of (instance, partition). */
export function assignPartitions(partitions: number, instances: string[]): string[] {
  const owners: string[] = [];
  const sorted = [...instances].sort();
  for (let k = 0; k < partitions; k++) {
    let best = '';
    let bestScore = -1;
    for (const inst of sorted) {
      const score = createHash('sha1').update(`${inst}\u0000${k}`).digest().readUInt32BE(0);
      if (score > bestScore) [best, bestScore] = [inst, score];
    }
    owners.push(best);
  }
  return owners;
}

const lastLevel = (topic: string): string => topic.slice(topic.lastIndexOf('/') + 1);

export class ClusterNode {
  readonly parts = new Map<number, LiveService>();
  readonly members = new Set<string>();
  private bridge!: MqttBridge;
  /** Recent messages of every partition: arrival time (ms), partition, topic, payload. */
  private readonly recent: Array<[number, number, string, Uint8Array]> = [];
  private recentHead = 0;
  private retry: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Partitions this instance owns by the current assignment (open or still being taken over). */
  owned = new Set<number>();

  private constructor(
    readonly config: ServeConfig,
    readonly cluster: NonNullable<ServeConfig['cluster']>,
    private readonly inputs: ServiceInputs,
  ) {}

  static async start(config: ServeConfig): Promise<ClusterNode> {
    if (!config.cluster || !config.mqtt) throw new GreenmineError('SERVE_CONFIG_INVALID', `${config.file}: cluster needs mqtt`, { file: config.file, path: '/cluster' });
    const node = new ClusterNode(config, config.cluster, await LiveService.loadInputs(config));
    const me = `${MEMBERS_TOPIC}/${node.cluster.instance}`;
    node.bridge = await MqttBridge.connect(
      { ...config.mqtt, clientId: `${config.mqtt.clientId}-${node.cluster.instance}` },
      { take: (topic, payload) => node.take(topic, payload), flush: () => node.flush() },
      { topics: [`${MEMBERS_TOPIC}/+`], will: { topic: me, payload: '', retain: true } },
    );
    await node.bridge.client.publishAsync(me, JSON.stringify({ instance: node.cluster.instance, pid: process.pid, since: new Date().toISOString() }), { qos: 1, retain: true });
    node.members.add(node.cluster.instance);
    node.rebalance();
    node.timer = setInterval(() => {
      for (const part of node.parts.values()) part.checkpoint();
    }, config.checkpointIntervalS * 1000);
    return node;
  }

  private take(topic: string, payload: Uint8Array): void {
    if (topic.startsWith(`${MEMBERS_TOPIC}/`)) {
      const name = lastLevel(topic);
      const before = this.members.size;
      if (payload.length === 0) {
        if (name !== this.cluster.instance) this.members.delete(name);
      } else this.members.add(name);
      if (this.members.size !== before) this.rebalance();
      return;
    }
    const k = partitionOf(lastLevel(topic), this.cluster.partitions);
    const now = Date.now();
    this.recent.push([now, k, topic, payload]);
    const horizon = now - this.cluster.historyS * 1000;
    while (this.recentHead < this.recent.length && this.recent[this.recentHead]![0] < horizon) this.recentHead++;
    if (this.recentHead > 4096 && this.recentHead * 2 > this.recent.length) {
      this.recent.splice(0, this.recentHead);
      this.recentHead = 0;
    }
    this.parts.get(k)?.ingest(topic, payload);
  }

  private flush(): void {
    for (const part of this.parts.values()) part.store.flush();
  }

  /** Take the partitions the assignment gives this instance, let go of the others. */
  private rebalance(): void {
    if (this.stopped) return;
    const owners = assignPartitions(this.cluster.partitions, [...this.members]);
    this.owned = new Set(owners.flatMap((o, k) => (o === this.cluster.instance ? [k] : [])));
    for (const [k, part] of this.parts) {
      if (this.owned.has(k)) continue;
      part.checkpoint();
      this.bridge.detach(part);
      part.close();
      this.parts.delete(k);
    }
    let waiting = false;
    for (const k of this.owned) {
      if (this.parts.has(k)) continue;
      let part: LiveService;
      try {
        // A holder on another host is gone when it is no longer a member (its last will said so).
        part = LiveService.fromInputs(this.config, this.inputs, join(this.config.stateDir, `p${k}`), (holder) => holder === null || !this.members.has(holder));
      } catch (err) {
        // The previous owner is still letting go (SERVE_STATE_LOCKED), or the folder is not readable yet: try again.
        // Nothing thrown here may stop the message loop this runs in.
        if (!(err instanceof GreenmineError && err.code === 'SERVE_STATE_LOCKED')) process.stderr.write(`greenmine serve: partition ${k}: ${(err as Error).message}; retrying\n`);
        waiting = true;
        continue;
      }
      this.bridge.attach(part);
      this.parts.set(k, part);
      // What the previous owner may not have had: the partition's recent messages (duplicates change nothing).
      part.quietLate = true;
      for (let i = this.recentHead; i < this.recent.length; i++) {
        const [, pk, topic, payload] = this.recent[i]!;
        if (pk === k) part.ingest(topic, payload);
      }
      part.quietLate = false;
      part.store.flush();
    }
    if (waiting && !this.retry) {
      this.retry = setTimeout(() => {
        this.retry = null;
        this.rebalance();
      }, 200);
    }
  }

  /** `GET /health` (this instance, the members, the partitions it holds) and `GET /metrics` (its partitions' counters summed). */
  async listen(http: ServeConfig['http']): Promise<string> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const token = http.token;
      const given = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (token !== null && given !== token) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(`${JSON.stringify({ code: 'HTTP_UNAUTHORIZED', message: 'a bearer token is required' })}\n`);
        return;
      }
      if (url.pathname === '/health') {
        const body = { status: this.bridge.connected ? 'ok' : 'degraded', instance: this.cluster.instance, members: [...this.members].sort(), partitions: [...this.parts.keys()].sort((a, b) => a - b), devices: this.deviceCount };
        res.writeHead(this.bridge.connected ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
      } else if (url.pathname === '/metrics') {
        const sum: Record<string, number> = { fixes_total: 0, readings_total: 0, late_total: 0, duplicates_total: 0, devices: this.deviceCount, partitions: this.parts.size, members: this.members.size };
        for (const p of this.parts.values()) {
          sum.fixes_total! += p.metrics.fixesIn;
          sum.readings_total! += p.metrics.readingsIn;
          sum.late_total! += p.metrics.late;
          sum.duplicates_total! += p.metrics.duplicates;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(
          Object.entries(sum)
            .map(([k, v]) => `greenmine_cluster_${k}{instance="${this.cluster.instance}"} ${v}\n`)
            .join(''),
        );
      } else if (req.method === 'POST' && (url.pathname === '/positions' || url.pathname === '/readings')) {
        const kind = url.pathname === '/positions' ? 'positions' : 'readings';
        const reply = (status: number, body: object): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
        };
        readBody(req, http.maxBodyBytes).then(
          (body) => {
            if (body === null) {
              reply(413, { code: 'HTTP_TOO_LARGE', message: `the body exceeds ${http.maxBodyBytes} bytes` });
              return;
            }
            this.forward(req, body, kind).then(
              (answer) => reply(200, answer),
              (err: Error) => reply(503, { code: 'SERVE_BROKER', message: err.message }),
            );
          },
          () => req.destroy(),
        );
      } else res.writeHead(404, { 'content-type': 'application/json' }).end(`${JSON.stringify({ code: 'HTTP_NOT_FOUND', message: 'a cluster instance serves /health, /metrics, POST /positions and POST /readings' })}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new GreenmineError('SERVE_LISTEN', `http.listen ${http.host}:${http.port}: ${(err as Error).message}`, { path: 'http/listen' })));
      server.listen(http.port, http.host, () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  private server: Server | null = null;

  /**
   * HTTP ingest on a cluster: each message is checked here (the refused ones answered with their line and
   * code) and published with QoS 1 on its device's topic, where the partition's owner takes it; the answer
   * comes once the broker has acknowledged them all.
   */
  private async forward(req: IncomingMessage, body: Buffer, kind: 'positions' | 'readings'): Promise<object> {
    const { messages, refused, refusedCount } = bodyMessages(req, body, kind, this.config.timeZone);
    let count = refusedCount;
    const publishing: Array<Promise<unknown>> = [];
    for (const m of messages) {
      try {
        const doc = parseObject(m.payload);
        const subject = kind === 'positions' ? parsePosition(`greenmine/positions/`, doc, this.config.timeZone).device : parseReading(`greenmine/readings/`, doc, this.config.timeZone).station;
        publishing.push(this.bridge.client.publishAsync(`greenmine/${kind}/${subject}`, typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload), { qos: 1 }));
      } catch (err) {
        if (!(err instanceof MessageError)) throw err;
        count++;
        if (refused.length < MAX_REFUSALS_LISTED) refused.push({ line: m.line, code: err.code, message: err.message });
      }
    }
    await Promise.all(publishing);
    return { accepted: publishing.length, refused: count, forwarded: true, errors: refused };
  }

  get deviceCount(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.fence.deviceCount;
    return n;
  }

  /** Leave the cluster: checkpoint every partition, clear the membership, disconnect. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.server?.close();
    this.server?.closeAllConnections();
    // Leave the membership (the others take the partitions at once); a broker that is gone ends it anyway.
    if (this.bridge.connected) {
      const left = this.bridge.client.publishAsync(`${MEMBERS_TOPIC}/${this.cluster.instance}`, '', { qos: 1, retain: true }).catch(() => undefined);
      await Promise.race([left, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await this.bridge.stop();
    for (const part of this.parts.values()) {
      part.checkpoint();
      part.close();
    }
    this.parts.clear();
  }
}
