/**
 * The live service end to end through a real Mosquitto on loopback: a
 * publisher (this process) sends a fleet's fixes with QoS 1 at a paced rate;
 * the consumer runs in a child process. Anchor in the same run: Mosquitto
 * alone (the same messages to a bare mqtt.js subscriber). Printed: sustained
 * fixes/s of each and the ratio, alarm latency (fix published → open alarm
 * received, p50/p99), monitor state per device, and the cost of durability
 * (write-ahead log and checkpoints) against the service without them.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { loadTracks } from '../src/track/index.js';
import { MOSQUITTO, startBroker } from './broker.js';
import { fleetTracks, interleave } from './fleet.js';
import { peakRssMiB } from './harness.js';
import { Publisher } from './publisher.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = fileURLToPath(new URL('./serve-child.js', import.meta.url));

interface ChildResult {
  ms: number;
  rssMiB: number;
  devices?: number;
  heapBytesPerDevice?: number;
}

async function runChild(args: string[]): Promise<{ ready: Promise<void>; done: Promise<ChildResult> }> {
  const child = spawn(process.execPath, ['--expose-gc', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const done = new Promise<ChildResult>((resolveDone, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') readyResolve();
      else if (line.startsWith('{')) resolveDone(JSON.parse(line) as ChildResult);
    });
    child.once('exit', (code) => (code ? reject(new Error(`bench child exited ${code}`)) : undefined));
  });
  return { ready, done };
}

/** Publish every fix with QoS 1 at `ratePerS` (slices every 10 ms), the device in the topic; their publish times by device and time. */
async function publish(url: URL, fixes: ReturnType<typeof interleave>, ratePerS: number, sentAt: Map<string, number> | null): Promise<void> {
  const pub = await Publisher.open(url.hostname, Number(url.port), `bench-pub-${process.pid}`);
  const perSlice = Math.max(1, Math.round(ratePerS / 100));
  const start = performance.now();
  for (let i = 0; i < fixes.length; i += perSlice) {
    const due = start + (i / ratePerS) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const now = performance.now();
    const slice = fixes.slice(i, i + perSlice);
    if (sentAt) for (const f of slice) sentAt.set(`${f.device}|${f.t}`, now);
    await pub.publish(slice.map((f) => ({ topic: `greenmine/positions/${f.device}`, payload: `{"t":${f.t},"lon":${f.lon},"lat":${f.lat}}` })));
  }
  await pub.close();
}

/** The backlog is written as fast as the socket takes it. */
const BACKLOG_RATE = 1e9;

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function benchServe(devices: number, fixesPerDevice: number, ratePerS: number): Promise<void> {
  if (!existsSync(MOSQUITTO)) {
    console.log('\nlive service: skipped (Mosquitto is not installed: apt-get install mosquitto)');
    return;
  }
  const [template] = loadTracks(join(ROOT, 'fixtures/scene-a/excavator.csv')).tracks;
  // The part of the reference track with excursions, repeated per device.
  const from = 60;
  const slice = { ...template!, timeS: template!.timeS.subarray(from, from + fixesPerDevice), lon: template!.lon.subarray(from, from + fixesPerDevice), lat: template!.lat.subarray(from, from + fixesPerDevice) };
  const fixes = interleave(fleetTracks(slice, devices, 3));
  const n = fixes.length;
  const broker = await startBroker();
  const dir = mkdtempSync(join(tmpdir(), 'greenmine-bench-serve-'));
  copyFileSync(join(ROOT, 'fixtures/scene-a/license_corners.txt'), join(dir, 'license.txt'));
  const config = (name: string, durable: boolean): string => {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        licenses: ['license.txt'],
        stateDir: `state-${name}`,
        durable,
        mqtt: { url: broker.url, clientId: `bench-${name}` },
        http: { listen: '127.0.0.1:0' },
        reorderWindowS: 30,
        checkpointIntervalS: 10,
        thresholds: { maxGapS: 0 },
      }),
    );
    return file;
  };
  const url = new URL(broker.url);
  const rate = (r: ChildResult): number => (n / r.ms) * 1000;
  try {
    console.log(`\nlive service through Mosquitto ${MOSQUITTO} (loopback): ${devices.toLocaleString('en-US')} devices, ${n.toLocaleString('en-US')} fixes, QoS 1`);
    // 1. Throughput: the fixes wait in each consumer's persistent session (published while it is down, as
    //    after a restart), then the consumer drains them as fast as it can. Anchor: Mosquitto alone, to its
    //    own C subscriber (mosquitto_sub) — the publisher's pace is out of the measurement.
    const session = async (clientId: string): Promise<void> => {
      const s = spawn('mosquitto_sub', ['-h', url.hostname, '-p', url.port, '-q', '1', '-c', '-i', clientId, '-t', 'greenmine/positions/+'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      s.kill('SIGKILL');
      await new Promise((r) => s.once('exit', r));
    };
    await session('bench-anchor');
    await publish(url, fixes, BACKLOG_RATE, null);
    const sub = spawn('mosquitto_sub', ['-h', url.hostname, '-p', url.port, '-q', '1', '-c', '-i', 'bench-anchor', '-t', 'greenmine/positions/+', '-C', String(n), '-W', '120'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let first = 0;
    sub.stdout!.once('data', () => (first = performance.now()));
    sub.stdout!.resume();
    const a: ChildResult = { ms: await new Promise<number>((r) => sub.once('exit', () => r(performance.now() - first))), rssMiB: NaN };
    console.log(`  ${'anchor: Mosquitto alone (backlog → mosquitto_sub)'.padEnd(66)} ${a.ms.toFixed(0).padStart(7)} ms  ${Math.round(rate(a)).toLocaleString('en-US').padStart(9)} fixes/s`);
    const results: Record<string, ChildResult> = {};
    for (const [name, durable] of [
      ['greenmine', true],
      ['greenmine-volatile', false],
    ] as const) {
      await session(`bench-${name}`);
      await publish(url, fixes, BACKLOG_RATE, null);
      const child = await runChild([name, config(name, durable), String(n)]);
      const r = await child.done;
      results[name] = r;
      const label = durable ? 'greenmine serve (backlog; write-ahead log, checkpoint every 10 s)' : 'greenmine serve, volatile (backlog; no log, no checkpoints)';
      console.log(`  ${label.padEnd(66)} ${r.ms.toFixed(0).padStart(7)} ms  ${Math.round(rate(r)).toLocaleString('en-US').padStart(9)} fixes/s  child peak RSS ${r.rssMiB.toFixed(0)} MiB`);
      if (durable) console.log(`    monitor state: ${Math.round(r.heapBytesPerDevice!).toLocaleString('en-US')} bytes of heap per device (${r.devices!.toLocaleString('en-US')} devices; reorder window and alarm bookkeeping included)`);
    }
    const g = results.greenmine!,
      v = results['greenmine-volatile']!;
    console.log(`  ratio greenmine / Mosquitto alone: ${(g.ms / a.ms).toFixed(2)} (time to take the same fixes); the log and checkpoints cost ${(((g.ms - v.ms) / v.ms) * 100).toFixed(0)} % of throughput`);

    // 2. Latency at a paced rate (the province: 20 000 devices every 5 s = 4 000 fixes/s).
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const alarms = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'bench-alarms' });
    alarms.on('message', (_topic, payload) => {
      const alarm = JSON.parse(payload.toString()) as { state: string; type: string; device: string; startS: number };
      if (alarm.state !== 'open' || alarm.type !== 'out-of-bounds') return;
      const t0 = sentAt.get(`${alarm.device}|${alarm.startS}`);
      if (t0 !== undefined) latencies.push(performance.now() - t0);
    });
    await alarms.subscribeAsync('greenmine/alarms/#', { qos: 1 });
    // At most 15 s of it.
    const paced = fixes.slice(0, Math.min(fixes.length, ratePerS * 15));
    const child = await runChild(['greenmine', config('paced', true), String(paced.length)]);
    await child.ready;
    const t0 = performance.now();
    await publish(url, paced, ratePerS, sentAt);
    const r = await child.done;
    const sustained = (paced.length / (performance.now() - t0)) * 1000;
    await new Promise((res) => setTimeout(res, 300));
    await alarms.endAsync();
    latencies.sort((x, y) => x - y);
    console.log(`  ${`greenmine serve paced at ${ratePerS.toLocaleString('en-US')} fixes/s`.padEnd(66)} ${r.ms.toFixed(0).padStart(7)} ms  ${Math.round(sustained).toLocaleString('en-US').padStart(9)} fixes/s sustained`);
    console.log(
      `    alarm latency (fix published → open alarm received, ${latencies.length} excursions): p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms   peak RSS (publisher) ${peakRssMiB().toFixed(0)} MiB`,
    );
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
