/**
 * `greenmine serve` against a real Mosquitto: fixes published over MQTT give
 * the batch API's events; a service killed with SIGKILL mid-excursion and
 * restarted gives the same alarms; malformed messages are reported and never
 * stop it; HTTP ingest, token, metrics, SSE and webhooks.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, startBroker } from '../bench/broker.js';
import { fleetTracks } from '../bench/fleet.js';
import { detectEvents, detectWashViolations, FenceIndex } from '../src/fence/index.js';
import { isoLocal } from '../src/io/time.js';
import { loadLicenses } from '../src/license/index.js';
import { analyseDust, loadReadings, PRESETS } from '../src/sensors/index.js';
import { loadServeConfig, startService } from '../src/serve/index.js';
import type { Alarm } from '../src/serve/live.js';
import { loadTracks, type Track } from '../src/track/index.js';
import { fixture } from './helpers.js';

const CLI = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const [license] = await loadLicenses(fixture('scene-a/license_corners.txt'));
const fence = FenceIndex.build([license!]);
const [excavator] = loadTracks(fixture('scene-a/excavator.csv')).tracks;
const OPTIONS = { toleranceM: 5, warnDistanceM: 8, maxGapS: 8, minFixes: 1 };

/** The track, then parked deep inside for 60 s (so every event ends and leaves the reorder window). */
function parked(track: Track): Track {
  const n = track.timeS.length;
  const extra = 14;
  const grow = (a: Float64Array, f: (i: number) => number): Float64Array => Float64Array.from({ length: n + extra }, (_, i) => (i < n ? a[i]! : f(i - n)));
  return { ...track, timeS: grow(track.timeS, (i) => track.timeS[n - 1]! + 5 * (i + 1)), lon: grow(track.lon, () => excavator!.lon[0]!), lat: grow(track.lat, () => excavator!.lat[0]!), eleM: null };
}

const key = (e: { type: string; device: string; startS: number; endS: number; maxDistanceM: number | null }): string => `${e.type}|${e.device}|${e.startS}|${e.endS}|${e.maxDistanceM === null ? '' : e.maxDistanceM.toFixed(6)}`;

function expectedAlarms(tracks: Track[]): string[] {
  return tracks
    .flatMap((t) => detectEvents(fence, t, OPTIONS))
    .map(key)
    .sort();
}

/** What a subscriber that deduplicates by (id, state) keeps as final: the closed messages (a redelivered open may come later). */
function finalAlarms(alarms: Alarm[]): string[] {
  const byId = new Map<string, Alarm>();
  for (const a of alarms) if (a.state === 'closed') byId.set(a.id, a);
  return [...byId.values()]
    .filter((a) => !a.retracted)
    .map((a) => key({ type: a.type, device: a.device!, startS: a.startS, endS: a.endS!, maxDistanceM: a.maxDistanceM ?? null }))
    .sort();
}

function configDir(broker: Broker | null, extra: Record<string, unknown> = {}, clientId = `gm-${Math.random().toString(36).slice(2)}`): string {
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-serve-'));
  copyFileSync(fixture('scene-a/license_corners.txt'), join(dir, 'license.txt'));
  copyFileSync(fixture('sensors/stations.csv'), join(dir, 'stations.csv'));
  const config = {
    licenses: ['license.txt'],
    stateDir: 'state',
    reorderWindowS: 30,
    checkpointIntervalS: 0.5,
    thresholds: { fenceToleranceM: 5, maxGapS: 8, minExcursionFixes: 1 },
    fence: { warnDistanceM: 8 },
    dust: { rules: ['gb16297'], stations: 'stations.csv' },
    ...(broker ? { mqtt: { url: broker.url, clientId } } : {}),
    http: { listen: '127.0.0.1:0' },
    ...extra,
  };
  writeFileSync(join(dir, 'serve.json'), JSON.stringify(config));
  return dir;
}

async function subscriber(broker: Broker, topic = 'greenmine/alarms/#'): Promise<{ client: MqttClient; messages: Array<Record<string, unknown>> }> {
  const client = await connectAsync(broker.url, { clientId: `sub-${Math.random().toString(36).slice(2)}`, protocolVersion: 5 });
  const messages: Array<Record<string, unknown>> = [];
  client.on('message', (_t, payload) => messages.push(JSON.parse(payload.toString()) as Record<string, unknown>));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

async function publishFixes(client: MqttClient, tracks: Track[], from = 0, to = Infinity): Promise<number> {
  // Interleaved in time, each device in order.
  const fixes: Array<{ d: string; t: number; lon: number; lat: number }> = [];
  for (const tr of tracks) for (let i = 0; i < tr.timeS.length; i++) fixes.push({ d: tr.deviceId, t: tr.timeS[i]!, lon: tr.lon[i]!, lat: tr.lat[i]! });
  fixes.sort((a, b) => a.t - b.t || a.d.localeCompare(b.d));
  const slice = fixes.slice(from, to);
  await Promise.all(slice.map((f, i) => client.publishAsync(`greenmine/positions/${f.d}`, JSON.stringify({ t: i % 2 ? f.t : isoLocal(f.t), lon: f.lon, lat: f.lat }), { qos: 1 })));
  return fixes.length;
}

/** A step that must end within `ms` (so a test that fails says where). */
async function within<T>(what: string, promise: Promise<T>, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kill a service process and wait for it to go. */
async function killed(p: { child: ChildProcess }): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGKILL');
  await gone;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every device's last applied fix is its track's last. */
async function caughtUp(url: string, tracks: Track[]): Promise<boolean> {
  const state = (await (await fetch(`${url}/state`)).json()) as { devices: Array<{ device: string; t: number }> };
  const last = new Map(state.devices.map((d) => [d.device, d.t]));
  return tracks.every((t) => last.get(t.deviceId) === t.timeS[t.timeS.length - 1]);
}

function startCli(dir: string, file = 'serve.json'): Promise<{ child: ChildProcess; url: string; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, file), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve ${file} printed nothing in 30 s: ${stderr}`));
    }, 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line) as Record<string, unknown>;
      resolve({ child, url: String(info.http), info });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${stderr}`));
    });
  });
}

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('greenmine serve on Mosquitto', () => {
  it('a fleet of 200 interleaved devices published over MQTT: the batch events, each id opened and closed once', async () => {
    const dir = configDir(broker);
    const running = await startService(loadServeConfig(join(dir, 'serve.json')));
    const sub = await subscriber(broker);
    const pub = await connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const tracks = fleetTracks(excavator!, 200, 5).map(parked);
      const total = await publishFixes(pub, tracks);
      await until('all fixes', () => running.service.metrics.fixesIn === total);
      const expected = expectedAlarms(tracks);
      expect(expected.length).toBeGreaterThan(400);
      await until('the alarms', () => finalAlarms(sub.messages as unknown as Alarm[]).length >= expected.length);
      expect(finalAlarms(sub.messages as unknown as Alarm[])).toEqual(expected);
      // In-order per device: no retractions, each id open then closed, exactly once.
      const states = new Map<string, string[]>();
      for (const m of sub.messages) states.set(String(m.id), [...(states.get(String(m.id)) ?? []), String(m.state)]);
      for (const s of states.values()) expect(s).toEqual(['open', 'closed']);
      // Times with the service's offset; topics by license.
      expect(String(sub.messages[0]!.start)).toMatch(/\+08:00$/);
      const metrics = await (await fetch(`${running.http.url}/metrics`)).text();
      expect(metrics).toContain(`greenmine_fixes_total ${total}`);
      expect(metrics).toMatch(/greenmine_alarms_total\{type="out-of-bounds"\} \d+/);
    } finally {
      await sub.client.endAsync();
      await pub.endAsync();
      await running.stop();
    }
  }, 120_000);

  it('mosquitto_pub -l with one JSON fix per line (device from the topic): the batch events of the reference track', async () => {
    const dir = configDir(broker);
    const running = await startService(loadServeConfig(join(dir, 'serve.json')));
    const sub = await subscriber(broker, 'greenmine/alarms/#');
    try {
      const track = { ...parked(excavator!), deviceId: 'exc1' };
      const lines = Array.from(track.timeS, (t, i) => JSON.stringify({ t: isoLocal(t), lon: track.lon[i], lat: track.lat[i] })).join('\n');
      const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-l', '-t', 'greenmine/positions/exc1'], { input: `${lines}\n` });
      expect(r.status).toBe(0);
      await until('the fixes', () => running.service.metrics.fixesIn === track.timeS.length);
      const expected = expectedAlarms([track]);
      await until('the alarms', () => finalAlarms(sub.messages as unknown as Alarm[]).length >= expected.length);
      expect(finalAlarms(sub.messages as unknown as Alarm[])).toEqual(expected);
      const oob = sub.messages.find((m) => m.type === 'out-of-bounds' && m.state === 'closed')!;
      expect(oob).toMatchObject({ device: 'exc1', licenseId: 'license.txt' });
      expect(Number(oob.maxDistanceM)).toBeGreaterThan(5);
    } finally {
      await sub.client.endAsync();
      await running.stop();
    }
  }, 60_000);

  it('killed with SIGKILL mid-excursion while fixes keep coming, restarted: the same alarms as an uninterrupted run', async () => {
    // No checkpoint before the kill: everything since the start is recovered from the write-ahead log.
    const dir = configDir(broker, { checkpointIntervalS: 3600 }, 'gm-kill-test');
    const tracks = fleetTracks(excavator!, 40, 9).map(parked);
    const expected = expectedAlarms(tracks);
    const sub = await subscriber(broker);
    const pub = await connectAsync(broker.url, { protocolVersion: 5 });
    let first = await startCli(dir);
    try {
      const all = tracks.reduce((n, t) => n + t.timeS.length, 0);
      const cut1 = Math.floor(all * 0.4),
        cut2 = Math.floor(all * 0.7);
      await publishFixes(pub, tracks, 0, cut1);
      // Mid-stream: some alarms open, not all closed.
      await until('open alarms', () => sub.messages.some((m) => m.state === 'open'));
      const sending = publishFixes(pub, tracks, cut1, cut2);
      await new Promise((r) => setTimeout(r, 30)); // kill it while it takes these
      first.child.kill('SIGKILL');
      await sending;
      await new Promise<void>((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r() : first.child.once('exit', () => r())));
      expect(first.child.signalCode).toBe('SIGKILL');
      // Published while it is down: held by the broker in the persistent session.
      await publishFixes(pub, tracks, cut2);
      first = await startCli(dir);
      expect((first.info.recovered as { logEntries: number }).logEntries).toBeGreaterThan(0);
      await until('caught up', () => caughtUp(first.url, tracks), 60_000);
      await until('the alarms', () => finalAlarms(sub.messages as unknown as Alarm[]).length >= expected.length, 30_000);
      expect(finalAlarms(sub.messages as unknown as Alarm[])).toEqual(expected);
      // Deduplicated by id and state, each alarm was published open and closed.
      const states = new Map<string, Set<string>>();
      for (const m of sub.messages) states.set(String(m.id), (states.get(String(m.id)) ?? new Set()).add(String(m.state)));
      for (const s of states.values()) expect([...s].sort()).toEqual(['closed', 'open']);
      // SIGTERM drains and checkpoints: the log is empty afterwards.
      first.child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => first.child.once('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(statSync(join(dir, 'state', 'wal.log')).size).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'state', 'checkpoint.json'), 'utf8')).format).toBe('greenmine-serve-checkpoint');
      expect(existsSync(join(dir, 'state', 'lock'))).toBe(false);
    } finally {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
      await sub.client.endAsync();
      await pub.endAsync();
    }
  }, 180_000);

  it('two instances share the devices; one killed with SIGKILL mid-stream: the other takes its partitions over and the alarms are those of an uninterrupted run', async () => {
    const dir = configDir(broker, { checkpointIntervalS: 1 }, `gm-cluster-${Math.random().toString(36).slice(2, 8)}`);
    const config = JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8'));
    for (const name of ['a', 'b']) writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...config, cluster: { instance: name, partitions: 8, historyS: 60 } }));
    const tracks = fleetTracks(excavator!, 40, 13).map(parked);
    const expected = expectedAlarms(tracks);
    const sub = await subscriber(broker);
    const pub = await connectAsync(broker.url, { protocolVersion: 5 });
    const start = (name: string) => startCli(dir, `${name}.json`);
    let a = await start('a');
    const b = await start('b');
    const health = async (url: string): Promise<{ members: string[]; partitions: number[] }> => (await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) })).json()) as { members: string[]; partitions: number[] };
    try {
      const split = async (): Promise<number[][]> => [(await health(a.url)).partitions, (await health(b.url)).partitions];
      await until('both members, the partitions split', async () => (await health(a.url)).members.length === 2 && (await health(b.url)).members.length === 2 && (await split()).flat().length === 8);
      const [pa, pb] = (await split()) as [number[], number[]];
      expect(pa.length).toBeGreaterThan(0);
      expect(pb.length).toBeGreaterThan(0);
      expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const all = tracks.reduce((n, t) => n + t.timeS.length, 0);
      await within('publishing 1', publishFixes(pub, tracks, 0, Math.floor(all * 0.4)));
      await until('open alarms', () => sub.messages.some((m) => m.state === 'open'));
      const sending = publishFixes(pub, tracks, Math.floor(all * 0.4), Math.floor(all * 0.7));
      await new Promise((r) => setTimeout(r, 30));
      a.child.kill('SIGKILL');
      await within('publishing 2', sending);
      await until('b holds every partition', async () => (await health(b.url)).partitions.length === 8, 20_000);
      await within('publishing 3', publishFixes(pub, tracks, Math.floor(all * 0.7)));
      await until('the alarms', () => finalAlarms(sub.messages as unknown as Alarm[]).length >= expected.length, 60_000);
      expect(finalAlarms(sub.messages as unknown as Alarm[])).toEqual(expected);
      // A comes back: the partitions are shared again.
      a = await start('a');
      await until('shared again', async () => (await health(a.url)).partitions.length > 0 && (await health(b.url)).partitions.length < 8, 20_000);
      expect([...(await health(a.url)).partitions, ...(await health(b.url)).partitions].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // HTTP on a cluster instance: checked, then forwarded to the device's topic, where its partition's owner takes it.
      const track = { ...parked(excavator!), deviceId: 'http1' };
      const ndjson = [...Array.from(track.timeS, (t, i) => JSON.stringify({ device: 'http1', t, lon: track.lon[i], lat: track.lat[i] })), '{"device": "http1"}'].join('\n');
      const answer = (await within(
        'POST to the cluster',
        fetch(`${a.url}/positions`, { method: 'POST', body: ndjson, signal: AbortSignal.timeout(30_000) }).then((r) => r.json()),
      )) as { accepted: number; refused: number; errors: Array<{ line: number; code: string }> };
      expect(answer).toMatchObject({ accepted: track.timeS.length, refused: 1 });
      expect(answer.errors[0]).toMatchObject({ line: track.timeS.length + 1, code: 'MSG_BAD_FIX' });
      const want = expectedAlarms([track]);
      const mine = (): string[] => finalAlarms(sub.messages.filter((m) => m.device === 'http1') as unknown as Alarm[]);
      await until('the alarms of the HTTP device', () => mine().length >= want.length, 30_000);
      expect(mine()).toEqual(want);
    } finally {
      await killed(a);
      await killed(b);
      await within('closing the subscriber', sub.client.endAsync(true));
      await within('closing the publisher', pub.endAsync(true));
    }
  }, 180_000);

  it('dust readings published over MQTT: the alarms of the batch dust rule (closed ones equal; the last still open starts alike)', async () => {
    const dir = configDir(broker);
    const running = await startService(loadServeConfig(join(dir, 'serve.json')));
    const sub = await subscriber(broker);
    const pub = await connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const { readings } = loadReadings(fixture('sensors/readings.csv'));
      const batch = analyseDust(readings, [], PRESETS.gb16297!).alarms;
      expect(batch.length).toBeGreaterThan(0);
      const messages = new Map<string, Record<string, unknown>>();
      const field = { TSP: 'tsp', PM10: 'pm10', 'PM2.5': 'pm25' } as const;
      for (const r of readings) {
        const key = `${r.station}/${r.timeS}`;
        if (!messages.has(key)) messages.set(key, { t: isoLocal(r.timeS), unit: 'mg/m3' });
        messages.get(key)![field[r.pollutant]] = r.valueUgM3 / 1000;
      }
      for (const [key, m] of messages) await pub.publishAsync(`greenmine/readings/${key.split('/')[0]}`, JSON.stringify(m), { qos: 1 });
      await until('the readings', () => running.service.metrics.readingsIn === messages.size);
      await new Promise((r) => setTimeout(r, 300));
      const dust = sub.messages.filter((m) => m.type === 'dust');
      const closed = dust.filter((m) => m.state === 'closed');
      const opened = dust.filter((m) => m.state === 'open');
      expect(closed.length).toBeGreaterThan(0);
      for (const c of closed) {
        const b = batch.find((a) => a.station === c.station && a.start === c.startS);
        expect(b, `${c.station} ${c.start}`).toBeDefined();
        expect([c.endS, c.peak]).toEqual([b!.end, b!.peakUgM3]);
      }
      // Every batch alarm was raised live (the ones the data's end closes in the batch are still open live).
      expect(batch.every((a) => opened.some((o) => o.station === a.station && o.startS === a.start))).toBe(true);
      // Stations in the license route to its topic.
      expect(dust.every((m) => m.licenseId === 'license.txt' || m.licenseId === null)).toBe(true);
    } finally {
      await sub.client.endAsync();
      await pub.endAsync();
      await running.stop();
    }
  }, 60_000);

  it('credentials and TLS pass through: a broker with a password file and a TLS listener (its CA in the config); a wrong password is SERVE_BROKER', async () => {
    const dir = configDir(null);
    chmodSync(dir, 0o755);
    const openssl = (...args: string[]): void => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=greenmine test CA');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
    expect(spawnSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'gm', 's3cret-pass']).status).toBe(0);
    for (const f of ['server.key', 'server.crt', 'passwd']) chmodSync(join(dir, f), 0o644); // Mosquitto drops to its own user
    const secure = await startBroker({ tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') }, passwordFile: join(dir, 'passwd') });
    try {
      const base = JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8'));
      writeFileSync(join(dir, 'serve.json'), JSON.stringify({ ...base, reorderWindowS: 0, mqtt: { url: secure.url, username: 'gm', password: 's3cret-pass', ca: 'ca.crt', clientId: 'gm-tls' } }));
      const running = await startService(loadServeConfig(join(dir, 'serve.json')));
      try {
        expect(running.mqtt!.connected).toBe(true);
        const client = await connectAsync(secure.url, { protocolVersion: 5, username: 'gm', password: 's3cret-pass', ca: readFileSync(join(dir, 'ca.crt')) });
        const alarms: Array<Record<string, unknown>> = [];
        client.on('message', (_t, p) => alarms.push(JSON.parse(p.toString()) as Record<string, unknown>));
        await client.subscribeAsync('greenmine/alarms/#', { qos: 1 });
        const far = { t: excavator!.timeS[0]!, lon: excavator!.lon[0]! + 0.01, lat: excavator!.lat[0]! };
        await client.publishAsync('greenmine/positions/tls1', JSON.stringify(far), { qos: 1 });
        await until('an alarm over TLS', () => alarms.some((a) => a.device === 'tls1' && a.state === 'open'));
        await client.endAsync();
      } finally {
        await running.stop();
      }
      // The wrong password, and a CA that did not sign the broker's certificate: refused, coded.
      writeFileSync(join(dir, 'serve.json'), JSON.stringify({ ...base, mqtt: { url: secure.url, username: 'gm', password: 'wrong', ca: 'ca.crt', clientId: 'gm-tls2' } }));
      await expect(startService(loadServeConfig(join(dir, 'serve.json')))).rejects.toMatchObject({ code: 'SERVE_BROKER' });
      writeFileSync(join(dir, 'serve.json'), JSON.stringify({ ...base, mqtt: { url: secure.url, username: 'gm', password: 's3cret-pass', clientId: 'gm-tls3' } }));
      await expect(startService(loadServeConfig(join(dir, 'serve.json')))).rejects.toMatchObject({ code: 'SERVE_BROKER' });
    } finally {
      await secure.stop();
    }
  }, 60_000);

  it('malformed messages are counted and published on greenmine/errors with their code and topic; the service goes on', async () => {
    const dir = configDir(broker);
    const running = await startService(loadServeConfig(join(dir, 'serve.json')));
    const errors = await subscriber(broker, 'greenmine/errors');
    const pub = await connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const t = excavator!.timeS[0]!;
      const bad: Array<[string, string, string]> = [
        ['greenmine/positions/a', '{not json', 'MSG_BAD_JSON'],
        ['greenmine/positions/a', '[1,2]', 'MSG_BAD_JSON'],
        ['greenmine/positions/a', JSON.stringify({ t, lon: 119.95 }), 'MSG_BAD_FIX'],
        ['greenmine/positions/a', JSON.stringify({ t, lon: 30.57, lat: 119.95 }), 'MSG_BAD_FIX'],
        ['greenmine/positions/a', JSON.stringify({ t: 'yesterday', lon: 119.95, lat: 30.57 }), 'MSG_BAD_FIX'],
        ['greenmine/positions/a', JSON.stringify({ t, lon: 119.95, lat: 30.57, frame: 'utm' }), 'MSG_BAD_FIX'],
        ['greenmine/readings/D1', JSON.stringify({ t, tsp: 0.3, unit: 'ppm' }), 'MSG_BAD_READING'],
        ['greenmine/readings/D1', JSON.stringify({ t, tsp: -1 }), 'MSG_BAD_READING'],
      ];
      for (const [topic, payload] of bad) await pub.publishAsync(topic, payload, { qos: 1 });
      await pub.publishAsync('greenmine/positions/good', JSON.stringify({ t, lon: excavator!.lon[0], lat: excavator!.lat[0], frame: 'gcj02' }), { qos: 1 });
      await until('the error reports', () => errors.messages.length === bad.length);
      expect(errors.messages.map((m) => m.code)).toEqual(bad.map((b) => b[2]));
      expect(errors.messages.map((m) => m.topic)).toEqual(bad.map((b) => b[0]));
      await until('the good fix', () => running.service.metrics.fixesIn === 1);
      const metrics = await (await fetch(`${running.http.url}/metrics`)).text();
      expect(metrics).toContain('greenmine_malformed_total{code="MSG_BAD_FIX"} 4');
      expect(metrics).toContain('greenmine_malformed_total{code="MSG_BAD_JSON"} 2');
      // A late fix: older than the window, refused and reported.
      for (let i = 0; i < 3; i++) await pub.publishAsync('greenmine/positions/good', JSON.stringify({ t: t + 100 + i * 60, lon: excavator!.lon[0], lat: excavator!.lat[0] }), { qos: 1 });
      await pub.publishAsync('greenmine/positions/good', JSON.stringify({ t: t + 10, lon: excavator!.lon[0], lat: excavator!.lat[0] }), { qos: 1 });
      await until('the late report', () => errors.messages.some((m) => m.code === 'MSG_LATE'));
      expect(running.service.metrics.late).toBe(1);
    } finally {
      await errors.client.endAsync();
      await pub.endAsync();
      await running.stop();
    }
  }, 60_000);
});

describe('greenmine serve over HTTP', () => {
  it('POST /positions (NDJSON and CSV) and /readings, the bearer token, /health, /metrics, SSE, the live page and a webhook retried', async () => {
    let hits = 0;
    const received: Alarm[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hits++;
        if (hits === 1) {
          res.writeHead(500).end(); // fails once: retried
          return;
        }
        received.push(JSON.parse(body) as Alarm);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/alarms`;
    const token = 'secret-token-123';
    const dir = configDir(null, { http: { listen: '127.0.0.1:0', token }, webhooks: [{ url: hookUrl }], reorderWindowS: 0 });
    const running = await startService(loadServeConfig(join(dir, 'serve.json')));
    const url = running.http.url;
    const auth = { authorization: `Bearer ${token}` };
    try {
      expect((await fetch(`${url}/health`)).status).toBe(401);
      expect((await fetch(`${url}/positions`, { method: 'POST', body: '{}' })).status).toBe(401);
      const health = (await (await fetch(`${url}/health`, { headers: auth })).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', mqtt: 'off' });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:/);

      // SSE: alarms as they happen.
      const controller = new AbortController();
      const stream = await fetch(`${url}/alarms/stream?token=${token}`, { signal: controller.signal });
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      let sseText = '';
      const reading = (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of stream.body!) sseText += decoder.decode(chunk as Uint8Array);
        } catch {
          // aborted
        }
      })();

      // NDJSON: half the track with devices named in the messages, one bad line.
      const track = parked(excavator!);
      const half = Math.floor(track.timeS.length / 2);
      const ndjson = [...Array.from({ length: half }, (_, i) => JSON.stringify({ device: 'h1', t: track.timeS[i], lon: track.lon[i], lat: track.lat[i] })), 'oops'].join('\n');
      const r1 = (await (await fetch(`${url}/positions`, { method: 'POST', headers: auth, body: ndjson })).json()) as Record<string, unknown>;
      expect(r1).toMatchObject({ accepted: half, refused: 1 });
      expect((r1.errors as Array<{ line: number; code: string }>)[0]).toMatchObject({ line: half + 1, code: 'MSG_BAD_JSON' });
      // CSV: the rest, as the batch commands read tracks.
      const csv = ['device,time,lon,lat', ...Array.from({ length: track.timeS.length - half }, (_, k) => `h1,${track.timeS[half + k]},${track.lon[half + k]},${track.lat[half + k]}`)].join('\n');
      const r2 = (await (await fetch(`${url}/positions`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv })).json()) as Record<string, unknown>;
      expect(r2).toMatchObject({ accepted: track.timeS.length - half, refused: 0 });
      const expected = expectedAlarms([{ ...track, deviceId: 'h1' }]);
      const closed = (): string[] =>
        [...sseText.matchAll(/event: alarm\ndata: (.*)\n/g)]
          .map((m) => JSON.parse(m[1]!) as Alarm)
          .filter((a) => a.state === 'closed')
          .map((a) => key({ type: a.type, device: a.device!, startS: a.startS, endS: a.endS!, maxDistanceM: a.maxDistanceM ?? null }))
          .sort();
      await until('SSE alarms', () => closed().length >= expected.length);
      expect(closed()).toEqual(expected);
      // The webhook got every alarm, in order, after its first failure was retried.
      await until('webhook deliveries', () => received.length === expected.length * 2, 20_000);
      expect(received.filter((a) => a.state === 'closed').length).toBe(expected.length);

      // Readings (the CSV the dust command reads): alarms of stations placed in the license.
      const readings = readFileSync(fixture('sensors/readings.csv'));
      const r3 = (await (await fetch(`${url}/readings`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: readings })).json()) as Record<string, unknown>;
      expect(Number(r3.accepted)).toBeGreaterThan(10);
      await until('a dust alarm', () => /"type":"dust"/.test(sseText));

      const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
      expect(metrics).toContain(`greenmine_fixes_total ${track.timeS.length}`);
      expect(metrics).toContain('# TYPE greenmine_alarms_total counter');
      const page = await fetch(`${url}/?token=${token}`);
      const html = await page.text();
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(html).not.toMatch(/https?:\/\//); // nothing fetched from elsewhere
      expect((await fetch(`${url}/nope`, { headers: auth })).status).toBe(404);
      // Over http.maxBodyBytes (64 MiB): answered 413 while the upload is still going; the rest is read and dropped.
      const status = await new Promise<number>((resolve) => {
        const upload = request(`${url}/positions`, { method: 'POST', headers: { ...auth, 'content-length': String(70 << 20) } }, (res) => {
          resolve(res.statusCode!);
          res.resume();
        });
        // A reset before the answer was read would lose it: the test then fails instead of waiting.
        upload.on('error', () => {});
        upload.on('close', () => resolve(-1)); // a no-op once the answer resolved it
        const chunk = Buffer.alloc(1 << 20, 120);
        let sent = 0;
        const pump = (): void => {
          while (sent < 70 && upload.write(chunk)) sent++;
          if (sent < 70 && !upload.destroyed) upload.once('drain', pump);
          else upload.end();
        };
        pump();
      });
      expect(status).toBe(413);
      controller.abort();
      await reading;
    } finally {
      await running.stop();
      hook.close();
    }
  }, 90_000);

  it('wash zones and exits: a truck leaving unwashed raises the wash alarms the batch rule gives, and they survive a checkpoint', async () => {
    const dir = configDir(null, { wash: { zones: 'wash.geojson', exits: 'exits.geojson' }, reorderWindowS: 0, thresholds: { minWashS: 60, washWithinS: 600 } });
    for (const f of ['wash.geojson', 'exits.geojson', 'truck.csv']) copyFileSync(fixture(`demo-mine/${f}`), join(dir, f));
    const [truck] = loadTracks(join(dir, 'truck.csv')).tracks;
    const washFence = FenceIndex.build(await loadLicenses(join(dir, 'wash.geojson')));
    const exits = FenceIndex.build(await loadLicenses(join(dir, 'exits.geojson')));
    const expected = detectWashViolations(fence, washFence, truck!, { minWashS: 60, withinS: 600, toleranceM: 5 }, exits).map((e) => `${e.device}|${e.startS}|${e.endS}`);
    expect(expected.length).toBeGreaterThan(0);
    // Split inside the truck's washing before an exit: a restart that lost the wash state would call that exit unwashed.
    const half = 22;
    const post = async (url: string, from: number, to: number): Promise<void> => {
      const csv = ['device,time,lon,lat', ...Array.from({ length: to - from }, (_, k) => `${truck!.deviceId},${truck!.timeS[from + k]},${truck!.lon[from + k]},${truck!.lat[from + k]}`)].join('\n');
      const r = (await (await fetch(`${url}/positions`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).json()) as { accepted: number };
      expect(r.accepted).toBe(to - from);
    };
    const alarms: Alarm[] = [];
    let running = await startService(loadServeConfig(join(dir, 'serve.json')));
    running.service.on('alarm', (a) => alarms.push(a));
    await post(running.http.url, 0, half);
    await running.stop(); // checkpoints the wash state mid-track
    running = await startService(loadServeConfig(join(dir, 'serve.json')));
    running.service.on('alarm', (a) => alarms.push(a));
    await post(running.http.url, half, truck!.timeS.length);
    await running.stop();
    const wash = alarms.filter((a) => a.type === 'wash' && a.state === 'closed');
    expect(wash.map((a) => `${a.device}|${a.startS}|${a.endS}`)).toEqual(expected);
    expect(wash.every((a) => typeof a.washDwellS === 'number' && a.washDwellS < 60)).toBe(true);
  }, 30_000);

  it('refuses a config whose paths leave its folder, a state folder in use, and an address in use', async () => {
    const dir = configDir(null, { licenses: ['../elsewhere.txt'] });
    expect(() => loadServeConfig(join(dir, 'serve.json'))).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_ROOT' }));
    const dir2 = configDir(null, { mqtt: { url: 'http://x' } });
    expect(() => loadServeConfig(join(dir2, 'serve.json'))).toThrow(expect.objectContaining({ code: 'SERVE_CONFIG_INVALID' }));
    const dir3 = configDir(null);
    const a = await startService(loadServeConfig(join(dir3, 'serve.json')));
    try {
      await expect(startService(loadServeConfig(join(dir3, 'serve.json')))).rejects.toMatchObject({ code: 'SERVE_STATE_LOCKED' });
      const port = new URL(a.http.url).port;
      const dir4 = configDir(null, { http: { listen: `127.0.0.1:${port}` } });
      await expect(startService(loadServeConfig(join(dir4, 'serve.json')))).rejects.toMatchObject({ code: 'SERVE_LISTEN' });
      // The failed start released its state folder.
      expect(existsSync(join(dir4, 'state', 'lock'))).toBe(false);
    } finally {
      await a.stop();
    }
    // A broker that is not there.
    const dir5 = configDir(null, { mqtt: { url: 'mqtt://127.0.0.1:1' } });
    await expect(startService(loadServeConfig(join(dir5, 'serve.json')))).rejects.toMatchObject({ code: 'SERVE_BROKER' });
  }, 30_000);
});
