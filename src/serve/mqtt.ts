/**
 * The service on an MQTT broker (client `mqtt`, protocol 5): a persistent
 * session (clean start off, QoS 1 subscriptions), so fixes published while
 * the service is down wait in the broker; alarms out with QoS 1.
 *
 * Acknowledgements wait for the log: while messages are handled the socket is
 * corked, so the PUBACKs mqtt.js writes after each message stay in the
 * socket's buffer; once the batch is handled (setImmediate) the log entries
 * are written to the kernel and the socket is uncorked. A service killed
 * before that never acknowledged those messages: the broker sends them again.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { GreenmineError } from '../errors.js';
import type { ServeConfig } from './config.js';
import type { Alarm } from './live.js';
import { type LiveService, topicLevel } from './service.js';

export const TOPIC_POSITIONS = 'greenmine/positions/+';
export const TOPIC_READINGS = 'greenmine/readings/+';
export const TOPIC_ERRORS = 'greenmine/errors';
const MAX_IN_FLIGHT = 256;
export const alarmTopic = (alarm: Alarm): string => `greenmine/alarms/${topicLevel(alarm.licenseId)}`;

/** What the bridge hands messages to: `take` each message, `flush` the logs before the acknowledgements leave. */
export interface MessageTarget {
  take(topic: string, payload: Uint8Array): void;
  flush(): void;
}

export interface BridgeOptions {
  /** More topic filters (QoS 1). */
  topics?: string[];
  /** A last will (the cluster's membership). */
  will?: { topic: string; payload: string; retain: boolean };
  /** Services whose alarms the bridge publishes, attached before the first message can arrive. */
  attach?: LiveService[];
}

export class MqttBridge {
  private corked: Socket | null = null;
  connected = false;
  private readonly detachers = new Map<LiveService, () => void>();

  private constructor(
    readonly client: MqttClient,
    private readonly target: MessageTarget,
  ) {}

  /** One service on the broker (the single-instance case). */
  static async start(service: LiveService, config: NonNullable<ServeConfig['mqtt']>): Promise<MqttBridge> {
    return MqttBridge.connect(config, { take: (topic, payload) => service.ingest(topic, payload), flush: () => service.store.flush() }, { attach: [service] });
  }

  /** Connect with a persistent session and subscribe; messages go to `target`. */
  static async connect(config: NonNullable<ServeConfig['mqtt']>, target: MessageTarget, extra: BridgeOptions = {}): Promise<MqttBridge> {
    const options: IClientOptions = {
      clientId: config.clientId,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: config.sessionExpiryS },
      username: config.username,
      password: config.password,
      rejectUnauthorized: config.rejectUnauthorized,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
    };
    if (extra.will) options.will = { topic: extra.will.topic, payload: Buffer.from(extra.will.payload), qos: 1, retain: extra.will.retain };
    if (config.ca) options.ca = readFileSync(config.ca);
    if (config.cert) options.cert = readFileSync(config.cert);
    if (config.key) options.key = readFileSync(config.key);
    const client = connect(config.url, options);
    const bridge = new MqttBridge(client, target);
    for (const service of extra.attach ?? []) bridge.attach(service);
    client.handleMessage = (packet, done) => {
      bridge.hold();
      target.take(packet.topic, packet.payload as Uint8Array);
      done();
    };
    client.on('close', () => {
      bridge.connected = false;
    });
    const topics = [TOPIC_POSITIONS, TOPIC_READINGS, ...(extra.topics ?? [])];
    // Subscribe on every connection (a broker that lost the session needs it again); the first must succeed.
    await new Promise<void>((resolve, reject) => {
      let first = true;
      const fail = (err: Error): void => {
        client.end(true);
        reject(new GreenmineError('SERVE_BROKER', `${config.url}: ${err.message}`, { path: 'mqtt/url' }));
      };
      client.once('error', fail);
      client.on('connect', () => {
        bridge.connected = true;
        client.subscribe(topics, { qos: 1 }, (err, granted) => {
          if (!first) return;
          first = false;
          client.removeListener('error', fail);
          const refused = (granted ?? []).find((g) => g.qos !== 1 && g.qos !== 0);
          if (err || refused) return fail(err ?? new Error(`subscription to ${refused!.topic} refused (reason ${refused!.qos})`));
          resolve();
        });
      });
    });
    client.on('error', () => {}); // reconnects on its own; /health shows the state
    return bridge;
  }

  /** Publish a service's alarms and errors; alarms it recovered and never delivered go out now. */
  attach(service: LiveService): void {
    const onAlarm = (a: Alarm): void => this.publishAlarm(a, service);
    const onError = (e: { code: string }): void => {
      if (this.connected) this.client.publish(TOPIC_ERRORS, JSON.stringify(e), { qos: 0 });
    };
    service.on('alarm', onAlarm);
    service.on('error', onError);
    this.detachers.set(service, () => {
      service.off('alarm', onAlarm);
      service.off('error', onError);
    });
    for (const a of service.pendingAlarms()) this.publishAlarm(a, service, true);
  }

  detach(service: LiveService): void {
    this.detachers.get(service)?.();
    this.detachers.delete(service);
  }

  /** Cork the socket until the messages handled in this turn are in the log. */
  private hold(): void {
    if (this.corked) return;
    const socket = this.client.stream as Socket;
    if (typeof socket.cork !== 'function') {
      this.target.flush();
      return;
    }
    socket.cork();
    this.corked = socket;
    setImmediate(() => {
      this.target.flush();
      const s = this.corked!;
      this.corked = null;
      s.uncork();
    });
  }

  /**
   * Alarms wait in a queue here and at most MAX_IN_FLIGHT are handed to mqtt.js at a time: its own queue
   * of unacknowledged publishes grows slower than linearly per message (tens of thousands of alarms in
   * a backlog took minutes), ours is an array and an index.
   */
  publishAlarm(alarm: Alarm, service: LiveService, again = false): void {
    if (!again) service.outbox.set(`${alarm.id}:${alarm.state}`, alarm);
    this.waiting.push([alarm, service]);
    this.pump();
  }

  private readonly waiting: Array<[Alarm, LiveService]> = [];
  private next = 0;
  private inFlight = 0;

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.next < this.waiting.length) {
      const [alarm, service] = this.waiting[this.next++]!;
      this.inFlight++;
      this.client.publish(alarmTopic(alarm), JSON.stringify(alarm), { qos: 1 }, (err) => {
        this.inFlight--;
        if (!err) service.confirmed(alarm);
        this.pump();
      });
    }
    if (this.next > 1024 && this.next * 2 > this.waiting.length) {
      this.waiting.splice(0, this.next);
      this.next = 0;
    }
  }

  /** Stop reading, wait for the alarms in flight to be acknowledged, disconnect. */
  async stop(graceMs = 5000): Promise<void> {
    // Alarms still queued stay in the outbox (checkpointed) and go out after the restart.
    this.waiting.length = this.next = 0;
    // Wait for the alarms in flight to be acknowledged — but not for a broker that is gone.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.client.end(true, {}, () => resolve()), graceMs);
      this.client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
