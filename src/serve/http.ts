/**
 * The service's HTTP side (node:http, nothing else): `POST /positions` and
 * `POST /readings` (NDJSON, or the CSV shapes the batch commands read),
 * `GET /alarms/stream` (Server-Sent Events: alarms, and the devices' positions
 * once a second while someone watches), `GET /health`, `GET /metrics`
 * (Prometheus text), `GET /state` and the live page at `GET /`.
 * A configured bearer token is required on every request (the page and its
 * event stream may pass it as `?token=`, since EventSource sends no headers).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GreenmineError } from '../errors.js';
import { parseReadings } from '../sensors/dust.js';
import { parseTrackCsv } from '../track/csv.js';
import type { ServeConfig } from './config.js';
import type { Alarm } from './live.js';
import { LIVE_PAGE } from './page.js';
import type { LiveService } from './service.js';

export interface HttpSide {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export const MAX_REFUSALS_LISTED = 100;

function tokenOk(req: IncomingMessage, url: URL, token: string | null): boolean {
  if (token === null) return true;
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : req.method === 'GET' ? (url.searchParams.get('token') ?? '') : '';
  const a = Buffer.from(given),
    b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: string | object, type = 'application/json; charset=utf-8'): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

/**
 * The request body, or null once it passes `maxBytes`. From then on the rest is read and dropped (memory
 * stays bounded) so that the client, still uploading, reads the answer: closing a socket that still has
 * unread input makes the kernel send a reset, which can discard the answer before the client reads it
 * (Apache's "lingering close" exists for this). The dropping stops, and the connection is cut, after
 * another `maxBytes` or `lingerMs` after the answer, so a client cannot keep a connection busy forever.
 */
export function readBody(req: IncomingMessage, maxBytes: number, lingerMs = 10_000): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    req.on('data', (chunk: Buffer) => {
      n += chunk.length;
      if (over) {
        if (n > 2 * maxBytes) req.destroy();
        return;
      }
      if (n > maxBytes) {
        over = true;
        chunks.length = 0;
        timer = setTimeout(() => req.destroy(), lingerMs);
        timer.unref();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
  });
}

const isCsv = (req: IncomingMessage, body: Buffer): boolean => /csv/i.test(req.headers['content-type'] ?? '') || (body.length > 0 && !/^\s*\{/.test(body.subarray(0, 64).toString('utf8')));

export interface BodyMessages {
  /** One message each: an NDJSON line (its number kept) or a CSV row made an object. */
  messages: Array<{ line?: number; payload: string | Record<string, unknown> }>;
  refused: Array<{ line?: number; code: string; message: string }>;
  refusedCount: number;
}

/** A POST body as messages: NDJSON lines, or the track / readings CSV the batch commands read (readings grouped per station and time). */
export function bodyMessages(req: IncomingMessage, body: Buffer, kind: 'positions' | 'readings', timeZone: string): BodyMessages {
  const out: BodyMessages = { messages: [], refused: [], refusedCount: 0 };
  try {
    if (!isCsv(req, body)) {
      let line = 0;
      for (const text of body.toString('utf8').split('\n')) {
        line++;
        if (text.trim()) out.messages.push({ line, payload: text });
      }
    } else if (kind === 'positions') {
      const set = parseTrackCsv(new Uint8Array(body.buffer, body.byteOffset, body.length), `POST /positions`, { timeZone });
      for (const b of set.bad.slice(0, MAX_REFUSALS_LISTED)) out.refused.push({ line: b.line, code: 'MSG_BAD_FIX', message: b.reason });
      out.refusedCount += set.badCount;
      for (const track of set.tracks) {
        for (let i = 0; i < track.timeS.length; i++) {
          const ele = track.eleM ? track.eleM[i]! : undefined;
          out.messages.push({ payload: { device: track.deviceId, t: track.timeS[i]!, lon: track.lon[i]!, lat: track.lat[i]!, ele: Number.isNaN(ele) ? undefined : ele } });
        }
      }
    } else {
      const parsed = parseReadings(new Uint8Array(body.buffer, body.byteOffset, body.length), 'POST /readings', timeZone);
      for (const b of parsed.bad.slice(0, MAX_REFUSALS_LISTED)) out.refused.push({ line: b.line, code: 'MSG_BAD_READING', message: b.reason });
      out.refusedCount += parsed.bad.length;
      // One message per station and time, its pollutants together.
      const grouped = new Map<string, Record<string, unknown>>();
      const field = { TSP: 'tsp', PM10: 'pm10', 'PM2.5': 'pm25' } as const;
      for (const r of [...parsed.readings].sort((a, b) => a.timeS - b.timeS)) {
        const key = `${r.station}\u0000${r.timeS}`;
        let m = grouped.get(key);
        if (!m) grouped.set(key, (m = { station: r.station, t: r.timeS, unit: 'ug/m3' }));
        m[field[r.pollutant]] = r.valueUgM3;
      }
      for (const m of grouped.values()) out.messages.push({ payload: m });
    }
  } catch (err) {
    if (!(err instanceof GreenmineError)) throw err;
    out.refused.push({ code: err.code, message: err.message });
    out.refusedCount++;
  }
  return out;
}

export async function startHttp(service: LiveService, config: ServeConfig['http'], bridgeState: () => { mqtt: 'connected' | 'disconnected' | 'off' }): Promise<HttpSide> {
  const streams = new Set<ServerResponse>();
  const sentT = new Map<string, number>();
  const sse = (event: string, data: unknown, id?: string): string => `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  service.on('alarm', (a: Alarm) => {
    if (streams.size === 0) return;
    const text = sse('alarm', a, `${a.id}:${a.state}`);
    for (const res of streams) res.write(text);
  });
  const positionsTimer = setInterval(() => {
    if (streams.size === 0) return;
    const changed: unknown[] = [];
    for (const p of service.fence.positions()) {
      if (sentT.get(p.device) === p.t) continue;
      sentT.set(p.device, p.t);
      changed.push(p);
    }
    const text = changed.length ? sse('positions', changed) : ': keep-alive\n\n';
    for (const res of streams) res.write(text);
  }, 1000);
  positionsTimer.unref();

  const state = (): object => ({
    licenses: service.licensesGeoJson(),
    devices: [...service.fence.positions()],
    openAlarms: [...service.fence.openAlarms(), ...service.dust.openAlarms()],
  });

  const ingestBody = (req: IncomingMessage, body: Buffer, kind: 'positions' | 'readings'): object => {
    const before = { late: service.metrics.late, duplicates: service.metrics.duplicates };
    const { messages, refused, refusedCount: refusedBefore } = bodyMessages(req, body, kind, service.config.timeZone);
    let accepted = 0;
    let refusedCount = refusedBefore;
    let line: number | undefined;
    const listener = (e: { code: string; message: string }): void => {
      refusedCount++;
      if (refused.length < MAX_REFUSALS_LISTED) refused.push({ line, code: e.code, message: e.message });
    };
    service.on('error', listener);
    const topic = `greenmine/${kind}/`;
    try {
      for (const m of messages) {
        line = m.line;
        if (kind === 'positions' ? service.ingestPosition(topic, m.payload) : service.ingestReading(topic, m.payload)) accepted++;
      }
    } finally {
      service.off('error', listener);
    }
    service.store.flush();
    return { accepted, refused: refusedCount, late: service.metrics.late - before.late, duplicates: service.metrics.duplicates - before.duplicates, errors: refused };
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end(); // browsers ask without the token
      return;
    }
    if (!tokenOk(req, url, config.token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(res, 401, { code: 'HTTP_UNAUTHORIZED', message: 'a bearer token is required' });
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /') return send(res, 200, LIVE_PAGE, 'text/html; charset=utf-8');
    if (route === 'GET /health') {
      const mqtt = bridgeState().mqtt;
      return send(res, mqtt === 'disconnected' ? 503 : 200, {
        status: mqtt === 'disconnected' ? 'degraded' : 'ok',
        mqtt,
        instance: service.instance,
        uptimeS: Math.round((Date.now() - service.startedAt) / 1000),
        devices: service.fence.deviceCount,
        lastCheckpoint: service.lastCheckpoint,
      });
    }
    if (route === 'GET /metrics') return send(res, 200, service.metricsText({ sse_clients: streams.size }), 'text/plain; version=0.0.4; charset=utf-8');
    if (route === 'GET /state') return send(res, 200, state());
    if (route === 'GET /alarms/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(sse('hello', { instance: service.instance }));
      for (const a of [...service.fence.openAlarms(), ...service.dust.openAlarms()]) res.write(sse('alarm', a, `${a.id}:${a.state}`));
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (route === 'POST /positions' || route === 'POST /readings') {
      readBody(req, config.maxBodyBytes).then(
        (body) => {
          if (body === null) {
            send(res, 413, { code: 'HTTP_TOO_LARGE', message: `the body exceeds ${config.maxBodyBytes} bytes` });
            return;
          }
          send(res, 200, ingestBody(req, body, route === 'POST /positions' ? 'positions' : 'readings'));
        },
        () => req.destroy(),
      );
      return;
    }
    send(res, 404, { code: 'HTTP_NOT_FOUND', message: `${route.slice(0, 80)}: no such endpoint` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new GreenmineError('SERVE_LISTEN', `http.listen ${config.host}:${config.port}: ${(err as Error).message}`, { path: 'http/listen' })));
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(positionsTimer);
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
