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

export class MqttBridge {
  private corked: Socket | null = null;
  connected = false;

  private constructor(
    readonly client: MqttClient,
    private readonly service: LiveService,
  ) {}

  static async start(service: LiveService, config: NonNullable<ServeConfig['mqtt']>): Promise<MqttBridge> {
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
    if (config.ca) options.ca = readFileSync(config.ca);
    if (config.cert) options.cert = readFileSync(config.cert);
    if (config.key) options.key = readFileSync(config.key);
    const client = connect(config.url, options);
    const bridge = new MqttBridge(client, service);
    client.handleMessage = (packet, done) => {
      bridge.hold();
      service.ingest(packet.topic, packet.payload as Uint8Array);
      done();
    };
    service.on('alarm', (a) => bridge.publishAlarm(a));
    service.on('error', (e) => {
      if (bridge.connected) client.publish(TOPIC_ERRORS, JSON.stringify(e), { qos: 0 });
    });
    client.on('close', () => {
      bridge.connected = false;
    });
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
        client.subscribe([TOPIC_POSITIONS, TOPIC_READINGS], { qos: 1 }, (err, granted) => {
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
    for (const a of service.pendingAlarms()) bridge.publishAlarm(a, true);
    return bridge;
  }

  /** Cork the socket until the messages handled in this turn are in the log. */
  private hold(): void {
    if (this.corked) return;
    const socket = this.client.stream as Socket;
    if (typeof socket.cork !== 'function') {
      this.service.store.flush();
      return;
    }
    socket.cork();
    this.corked = socket;
    setImmediate(() => {
      this.service.store.flush();
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
  publishAlarm(alarm: Alarm, again = false): void {
    if (!again) this.service.outbox.set(`${alarm.id}:${alarm.state}`, alarm);
    this.waiting.push(alarm);
    this.pump();
  }

  private readonly waiting: Alarm[] = [];
  private next = 0;
  private inFlight = 0;

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.next < this.waiting.length) {
      const alarm = this.waiting[this.next++]!;
      this.inFlight++;
      this.client.publish(alarmTopic(alarm), JSON.stringify(alarm), { qos: 1 }, (err) => {
        this.inFlight--;
        if (!err) this.service.confirmed(alarm);
        this.pump();
      });
    }
    if (this.next > 1024 && this.next * 2 > this.waiting.length) {
      this.waiting.splice(0, this.next);
      this.next = 0;
    }
  }

  /** Stop reading, wait for the alarms in flight to be acknowledged, disconnect. */
  async stop(): Promise<void> {
    // Alarms still queued stay in the outbox (checkpointed) and go out after the restart.
    this.waiting.length = this.next = 0;
    await new Promise<void>((resolve) => this.client.end(false, {}, () => resolve()));
  }
}
