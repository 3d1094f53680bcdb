/** The live service assembled: state, HTTP, MQTT, webhooks and the checkpoint timer; `stop` drains. */
import type { ServeConfig } from './config.js';
import { type HttpSide, startHttp } from './http.js';
import { MqttBridge } from './mqtt.js';
import { LiveService } from './service.js';
import { Webhook } from './webhooks.js';

export interface RunningService {
  service: LiveService;
  http: HttpSide;
  mqtt: MqttBridge | null;
  webhooks: Webhook[];
  /** Entries replayed from the log at start, and devices restored from the checkpoint. */
  recovered: { logEntries: number; devices: number };
  stop(): Promise<void>;
}

export async function startService(config: ServeConfig): Promise<RunningService> {
  const service = await LiveService.open(config);
  const recovered = { logEntries: service.store.replay.length, devices: service.fence.deviceCount };
  const webhooks = config.webhooks.map((w) => new Webhook(w.url, w.token));
  if (webhooks.length) service.on('alarm', (a) => webhooks.forEach((w) => w.push(a)));
  let mqtt: MqttBridge | null = null;
  let http: HttpSide | null = null;
  try {
    http = await startHttp(service, config.http, () => ({ mqtt: mqtt ? (mqtt.connected ? 'connected' : 'disconnected') : 'off' }));
    if (config.mqtt) mqtt = await MqttBridge.start(service, config.mqtt);
  } catch (err) {
    await http?.close();
    service.close();
    throw err;
  }
  // Without a broker, alarms recovered from the log go to the other outputs now.
  if (!mqtt) for (const a of service.pendingAlarms()) webhooks.forEach((w) => w.push(a));
  const timer = setInterval(() => service.checkpoint(), config.checkpointIntervalS * 1000);
  let stopping: Promise<void> | null = null;
  return {
    service,
    http,
    mqtt,
    webhooks,
    recovered,
    stop: () => {
      stopping ??= (async () => {
        clearInterval(timer);
        await http!.close();
        if (mqtt) await mqtt.stop();
        webhooks.forEach((w) => w.stop());
        service.checkpoint();
        service.close();
      })();
      return stopping;
    },
  };
}
