#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
/** The greenmine command line: a thin layer over the library. */
import { fileURLToPath } from 'node:url';
import { EXIT_OK, EXIT_USAGE, type Io, nearest, processIo } from './args.js';

type Run = (argv: string[], io: Io) => Promise<number>;
/**
 * The commands, each loaded when it runs: loading every command's modules (the audit's report and PDF,
 * the service's MQTT client, GeoPackage, rasters) took 350 ms before any command started.
 */
const COMMANDS: Record<string, { summary: string; run: () => Promise<Run> }> = {
  audit: { summary: 'audit a mine and fill the remediation form (the main job)', run: async () => (await import('./audit.js')).auditCommand },
  batch: { summary: 'audit many mines (folder or list), with summaries, --resume and --shard', run: async () => (await import('./audit.js')).batchCommand },
  merge: { summary: 'join the summaries of batch shards', run: async () => (await import('./audit.js')).mergeCommand },
  init: { summary: 'write a manifest draft from a folder of mine data', run: async () => (await import('./audit.js')).initCommand },
  license: { summary: 'read, validate and measure a mining license', run: async () => (await import('./license.js')).licenseCommand },
  classify: { summary: 'classify an orthophoto or multispectral image into vegetation, bare, water, shadow', run: async () => (await import('./imagery.js')).classifyCommand },
  coverage: { summary: 'green coverage of a mine from a class raster', run: async () => (await import('./coverage.js')).coverageCommand },
  slopes: { summary: 'count exposed final slopes from classes and a DEM', run: async () => (await import('./terrain.js')).slopesCommand },
  soil: { summary: 'platform soil thickness from DEMs before and after', run: async () => (await import('./terrain.js')).soilCommand },
  slope: { summary: 'write a slope raster (as gdaldem slope)', run: async () => (await import('./terrain.js')).slopeCommand },
  dust: { summary: 'dust over-limit alarms and monitor completeness', run: async () => (await import('./sensors.js')).dustCommand },
  cameras: { summary: 'video coverage of the license by cameras, with line of sight on a DEM', run: async () => (await import('./cameras.js')).camerasCommand },
  fence: { summary: 'check GPS tracks against license boundaries (electronic fence)', run: async () => (await import('./fence.js')).fenceCommand },
  serve: { summary: 'live fence and dust alarms from MQTT and HTTP feeds (durable, at-least-once)', run: async () => (await import('./serve.js')).serveCommand },
};

export const HELP = `Usage: greenmine <command> [options]

Audit open-pit mines against Zhejiang's green-mine requirements.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Every command takes --json (machine-readable stdout), -q/--quiet (errors only),
-v/--verbose, --version and -h/--help; - reads stdin or writes stdout where a
single file is read or written. Run greenmine <command> --help for its options.
`;

/** The installed package's version (package.json, two folders above the built CLI or the sources). */
export function version(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'greenmine' && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (command === '--version' || command === '-V') {
    io.stdout(`greenmine ${version()}\n`);
    return EXIT_OK;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    const guess = nearest(command, Object.keys(COMMANDS));
    io.stderr(`greenmine: unknown command "${command}"${guess ? ` — did you mean "${guess}"?` : ''}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  // Options every command takes: --version, -q (errors only on stderr), -v (more).
  if (rest.includes('--version') || rest.includes('-V')) {
    io.stdout(`greenmine ${version()}\n`);
    return EXIT_OK;
  }
  const quiet = rest.includes('-q') || rest.includes('--quiet');
  const verbose = !quiet && (rest.includes('-v') || rest.includes('--verbose'));
  const commandIo: Io = quiet ? { stdout: io.stdout, stderr: (t) => (/^(error |greenmine:)/.test(t) ? io.stderr(t) : undefined) } : { ...io, verbose };
  return (await entry.run())(rest, commandIo);
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  // A reader that stops early (`greenmine … | head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
