import { ClusterNode } from '../serve/cluster.js';
import { loadServeConfig, type ServeConfig } from '../serve/config.js';
import { startService } from '../serve/run.js';
import { EXIT_OK, guard, type Io, parse, UsageError, wantsJson } from './args.js';

export const SERVE_HELP = `Usage: greenmine serve --config <serve.json> [--json]

Run the fence and dust alarm service on live feeds (R5.1 越界及时预警, R4.1/R5.4 扬尘超标报警).

Reads positions from MQTT (greenmine/positions/<device>, QoS 1, persistent session) and over
HTTP (POST /positions, NDJSON or a track CSV), dust readings likewise (greenmine/readings/<station>,
POST /readings). Raises the batch fence's events live: an "open" alarm when the rule fires and a
"closed" one when it ends, published with QoS 1 on greenmine/alarms/<licenseId>, to webhooks and to
GET /alarms/stream (Server-Sent Events). GET / is a live page; GET /health, GET /metrics (Prometheus).

State (a checkpoint and a write-ahead log) lives in stateDir: a service killed at any moment
restarts where it was. Delivery is at least once, with ids that do not change: deduplicate by id.
SIGTERM or Ctrl-C drains, checkpoints and exits. The configuration's schema: schemas/serve.schema.json;
docs/serve.md explains the messages, guarantees and endpoints.

Options:
  --config <file>   the service configuration (paths inside its folder unless allowOutside)
  --json            print the start line as JSON (the HTTP URL, what was recovered)
  -q, --quiet       errors only;  -v, --verbose  say more;  --version
  -h, --help        show this help
`;

/** Run until SIGTERM or Ctrl-C, then `stop` (drain and checkpoint). */
function untilStopped(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      stop().then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function runCluster(config: ServeConfig, io: Io, json: boolean): Promise<number> {
  const node = await ClusterNode.start(config);
  const http = await node.listen(config.http);
  const info = { http, mqtt: config.mqtt!.url, instance: config.cluster!.instance, members: [...node.members].sort(), partitions: [...node.parts.keys()].sort((a, b) => a - b), stateDir: config.stateDir, pid: process.pid };
  io.stdout(json ? `${JSON.stringify(info)}\n` : `greenmine serve: instance ${info.instance} of [${info.members.join(', ')}], partitions ${info.partitions.join(' ')}; ${http}; broker ${info.mqtt}; state ${info.stateDir}\n`);
  await untilStopped(() => node.stop());
  return EXIT_OK;
}

export async function serveCommand(argv: string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  return guard(io, json, async () => {
    const { values } = parse(argv, { config: { type: 'string', short: 'c' } });
    if (values.help) {
      io.stdout(SERVE_HELP);
      return EXIT_OK;
    }
    if (!values.config) throw new UsageError(`serve needs --config <serve.json>\n\n${SERVE_HELP}`);
    const config = loadServeConfig(values.config);
    if (config.cluster) return runCluster(config, io, json);
    const running = await startService(config);
    const { service } = running;
    const info = {
      http: running.http.url,
      mqtt: config.mqtt?.url ?? null,
      licenses: service.licenses.length,
      stateDir: config.stateDir,
      recovered: running.recovered,
      pid: process.pid,
    };
    io.stdout(
      json
        ? `${JSON.stringify(info)}\n`
        : `greenmine serve: ${info.licenses} licenses; ${info.http}${info.mqtt ? `; broker ${info.mqtt}` : ''}; state ${info.stateDir} (${info.recovered.devices} devices restored, ${info.recovered.logEntries} log entries replayed)\n`,
    );
    if (io.verbose) service.on('error', (e) => io.stderr(`${e.code} ${e.topic}: ${e.message}\n`));
    await untilStopped(() => running.stop());
    if (!json) io.stderr('greenmine serve: drained and checkpointed\n');
    return EXIT_OK;
  });
}
