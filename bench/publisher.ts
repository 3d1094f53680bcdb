/**
 * A fast, exact QoS 1 publisher for the benchmark: MQTT 3.1.1 packets written
 * straight to a socket (mqtt-packet), PUBACKs counted. mosquitto_pub -l loses
 * lines it reads faster than it sends (2.0.11), and mqtt.js publishes about
 * 15 000 QoS 1 messages/s here; neither may limit what is measured.
 */
import { connect as tcp } from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface Message {
  topic: string;
  payload: string;
}

export class Publisher {
  private acked = 0;
  private sent = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private id = 0;

  private constructor(private readonly socket: ReturnType<typeof tcp>) {}

  static async open(host: string, port: number, clientId: string): Promise<Publisher> {
    const socket = tcp(port, host);
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const p = new Publisher(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      parser.on('packet', (packet) => {
        if (packet.cmd === 'connack') {
          if ((packet as mqttPacket.IConnackPacket).returnCode) reject(new Error(`connack ${(packet as mqttPacket.IConnackPacket).returnCode}`));
          else resolve();
        } else if (packet.cmd === 'puback') {
          p.acked++;
          while (p.waiters.length && p.acked >= p.waiters[0]!.count) p.waiters.shift()!.resolve();
        }
      });
      socket.on('data', (d) => parser.parse(d));
      socket.once('connect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60 })));
    });
    return p;
  }

  /** Write the messages (QoS 1); resolves when the socket has taken them (not when acknowledged). */
  async publish(messages: Message[]): Promise<void> {
    const parts: Buffer[] = [];
    for (const m of messages) {
      this.id = (this.id % 65535) + 1;
      parts.push(mqttPacket.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: 1, messageId: this.id, retain: false, dup: false }));
    }
    this.sent += messages.length;
    if (!this.socket.write(Buffer.concat(parts))) await new Promise((r) => this.socket.once('drain', r));
  }

  /** Wait until the broker acknowledged everything sent. */
  async flushed(): Promise<void> {
    if (this.acked >= this.sent) return;
    await new Promise<void>((resolve) => this.waiters.push({ count: this.sent, resolve }));
  }

  async close(): Promise<void> {
    await this.flushed();
    this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
  }
}
