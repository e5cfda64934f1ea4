/**
 * `npm run bench [-- --quick]`: the health routes side by side with a bare Nest route and
 * @nestjs/terminus, each server in its own process on the Express adapter, loaded by autocannon
 * over loopback with the same connections and duration, in alternating order across repeats.
 * Prints a table, writes bench/results.json and bench/results.md.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
const REPEATS = quick ? 1 : 5;
const DURATION_S = quick ? 2 : 6;
const WARMUP_S = 1;
const CONNECTIONS = 10;
const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));
const MICRO = fileURLToPath(new URL('./micro.js', import.meta.url));
const REDACTION = fileURLToPath(new URL('./redaction.js', import.meta.url));
const PROBE_SERVER = fileURLToPath(new URL('./probe-server.js', import.meta.url));
const GRPC = fileURLToPath(new URL('./grpc.js', import.meta.url));
const GRPC_PROBES = fileURLToPath(new URL('./grpc-probes.js', import.meta.url));
const AUTO_INDICATORS = fileURLToPath(new URL('./auto-indicators.js', import.meta.url));
const OUT = new URL('../bench/', import.meta.url);

const SERVERS = [
  { id: 'bare', label: 'bare Nest route', path: '/bare' },
  { id: 'live', label: 'nestjs-probes live', path: '/health/live' },
  { id: 'ready', label: 'nestjs-probes ready (3 cached)', path: '/health/ready' },
  { id: 'terminus', label: 'terminus (no cache)', path: '/health' },
  { id: 'terminus-cached', label: 'terminus .cacheFor(1000)', path: '/health' },
] as const;
type ServerId = (typeof SERVERS)[number]['id'];

interface Measure {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

function startServer(
  id: ServerId,
  indicatorMs: number,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, BENCH_SERVER: id, INDICATOR_MS: String(indicatorMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server ${id} exited with ${code}: ${out}`)));
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function load(url: string, duration: number): Promise<Measure> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

async function throughput(indicatorMs: number) {
  const runs = new Map<ServerId, Measure[]>(SERVERS.map((s) => [s.id, []]));
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const order = repeat % 2 === 0 ? SERVERS : SERVERS.toReversed();
    for (const server of order) {
      const { child, port } = await startServer(server.id, indicatorMs);
      try {
        const url = `http://127.0.0.1:${port}${server.path}`;
        await load(url, WARMUP_S);
        runs.get(server.id)!.push(await load(url, DURATION_S));
        process.stderr.write('.');
      } finally {
        await stopServer(child);
      }
    }
  }
  const summary = Object.fromEntries(
    SERVERS.map(({ id }) => {
      const measures = runs.get(id)!;
      return [
        id,
        {
          requestsPerSecond: Math.round(median(measures.map((m) => m.requestsPerSecond))),
          p50Ms: median(measures.map((m) => m.p50Ms)),
          p99Ms: median(measures.map((m) => m.p99Ms)),
          errors: measures.reduce((sum, m) => sum + m.errors, 0),
          non2xx: measures.reduce((sum, m) => sum + m.non2xx, 0),
        },
      ];
    }),
  ) as Record<ServerId, Measure>;
  const pairedRatio = (a: ServerId, b: ServerId) =>
    median(
      runs.get(a)!.map((m, i) => ratio(m.requestsPerSecond, runs.get(b)![i].requestsPerSecond)),
    );
  return {
    indicatorMs,
    servers: summary,
    // The median of the ratios within each repeat: the servers of a repeat ran within a minute of
    // each other, so a machine that slows down for a while slows both sides of a ratio alike.
    ratios: {
      liveToBare: pairedRatio('live', 'bare'),
      readyToBare: pairedRatio('ready', 'bare'),
      readyToTerminus: pairedRatio('ready', 'terminus'),
      readyToTerminusCached: pairedRatio('ready', 'terminus-cached'),
    },
  };
}

type GrpcMeasure = {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serverCpuUsPerCall: number;
};
interface GrpcResult {
  settings: { repeats: number; durationSeconds: number; concurrency: number };
  nest: GrpcMeasure;
  probeServer: GrpcMeasure;
  bare: GrpcMeasure;
  nestToBare: number;
  probeServerToBare: number;
}

interface RedactionResult {
  sizesKiB: number[];
  legacyMaxKiB: number;
  rows: {
    piece: string;
    ms: number[];
    legacyMs: number[];
    exponent: number;
    legacyExponent: number;
  }[];
}

interface Latencies {
  p50: number;
  p99: number;
  max: number;
  count: number;
  /** Answered within the kubelet's timeout (1 s). */
  withinTimeout: number;
}
interface Stall {
  maxStallMs: number;
  blockMs: number;
  failsAfterMs: number | null;
  passesAfterEndMs: number | null;
}
interface GrpcProbesResult {
  saturation: Record<'probeServer' | 'appPort', Latencies>;
  stall: Stall;
}
interface ProbeServerResult {
  saturation: Record<
    'appPort' | 'probeServer' | 'terminus' | 'lightship',
    Record<'live' | 'ready', Latencies>
  >;
  stall: Stall;
  cost: { probeServerRps: number; rawRps: number; ratio: number };
  worker: {
    without: { rssBytes: number; startupMs: number };
    with: { rssBytes: number; startupMs: number };
    addedRssMB: number;
    addedStartupMs: number;
  };
}

function micro(name: string, program = MICRO): Promise<Record<string, unknown>> {
  const args = ['--expose-gc', program, name, ...(quick ? ['--quick'] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(out)),
    );
  });
}

const started = Date.now();
const cached = await throughput(0);
const slow = await throughput(20);
process.stderr.write('\n');
const scenarios = {
  singleFlight: await micro('singleFlight'),
  parallelism: await micro('parallelism'),
  timeouts: await micro('timeouts'),
  memory: await micro('memory'),
  startup: await micro('startup'),
};
const redaction = (await micro('', REDACTION)) as unknown as RedactionResult;
const probeServer = (await micro('', PROBE_SERVER)) as unknown as ProbeServerResult;
const grpcCheck = (await micro('', GRPC)) as unknown as GrpcResult;
const grpcProbes = (await micro('', GRPC_PROBES)) as unknown as GrpcProbesResult;
const autoIndicators = await micro('', AUTO_INDICATORS);

const targets = {
  liveAtLeast095OfBare: cached.ratios.liveToBare >= 0.95,
  readyAtLeast090OfBare: cached.ratios.readyToBare >= 0.9,
  readyAheadOfTerminusEverywhere:
    cached.ratios.readyToTerminus > 1 &&
    cached.ratios.readyToTerminusCached > 1 &&
    slow.ratios.readyToTerminus > 1 &&
    slow.ratios.readyToTerminusCached > 1,
  readyAtLeast5xTerminusWith20ms: slow.ratios.readyToTerminus >= 5,
  singleFlightExactlyOnce: (scenarios.singleFlight.runs as number[]).every((runs) => runs === 1),
  parallelismWithin130ms: (scenarios.parallelism.latencyMs as number) <= 130,
  timeoutWithin230msNoHandle:
    (scenarios.timeouts.latencyMs as number) <= 230 && scenarios.timeouts.handlesLeft === 0,
  heapGrowthUnder5MB: (scenarios.memory.heapGrowthBytes as number) < 5 * 1024 * 1024,
  startupUnder50ms: (scenarios.startup.addedMs as number) < 50,
  redactionLinear: redaction.rows.every((row) => row.exponent < 1.5),
  probeServerP99Within20msUnderSaturation:
    probeServer.saturation.probeServer.live.p99 <= 20 &&
    probeServer.saturation.probeServer.ready.p99 <= 20,
  stallFailsWithinMaxStallPlus500ms:
    probeServer.stall.failsAfterMs !== null &&
    probeServer.stall.failsAfterMs <= probeServer.stall.maxStallMs + 500,
  stallPassesWithin500msOfTheEnd:
    probeServer.stall.passesAfterEndMs !== null && probeServer.stall.passesAfterEndMs <= 500,
  probeServerAtLeast080OfRaw: probeServer.cost.ratio >= 0.8,
  grpcCheckAtLeast090OfBareOnTheAppsPort: grpcCheck.nestToBare >= 0.9,
  grpcCheckAtLeast090OfBareOnTheProbeServer: grpcCheck.probeServerToBare >= 0.9,
  grpcLivenessP99Within50msUnderSaturation: grpcProbes.saturation.probeServer.p99 <= 50,
  grpcStallNotServingWithin2500ms:
    grpcProbes.stall.failsAfterMs !== null && grpcProbes.stall.failsAfterMs <= 2500,
  grpcStallServingWithin500msOfTheEnd:
    grpcProbes.stall.passesAfterEndMs !== null && grpcProbes.stall.passesAfterEndMs <= 500,
  autoIndicatorsUnder20msFor50Clients: (autoIndicators.addedMs as number) < 20,
};

const results = {
  when: new Date().toISOString(),
  quick,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  settings: {
    repeats: REPEATS,
    durationSeconds: DURATION_S,
    connections: CONNECTIONS,
    adapter: 'express',
  },
  scenario1Cached: cached,
  scenario2Indicators20ms: slow,
  scenarios,
  redaction,
  probeServer,
  scenario9Grpc: grpcCheck,
  grpcProbes,
  scenario16AutoIndicators: autoIndicators,
  targets,
  tookSeconds: Math.round((Date.now() - started) / 1000),
};

const rows = (run: typeof cached) =>
  SERVERS.map(({ id, label }) => {
    const m = run.servers[id];
    return `| ${label} | ${m.requestsPerSecond} | ${m.p50Ms} | ${m.p99Ms} | ${Math.round((m.requestsPerSecond / run.servers.bare.requestsPerSecond) * 100) / 100} |`;
  }).join('\n');
/** A row's cells of latencies, and how many answered within the kubelet's timeout. */
const cells = (l: Latencies) => `${l.p50} | ${l.p99} | ${l.max} | ${l.withinTimeout} of ${l.count}`;
const ms = (value: unknown) => `${Math.round((value as number) * 10) / 10} ms`;
const markdown = `# Benchmark results

${results.when}, ${results.machine.cpus} cores (${results.machine.model}), Node ${results.machine.node}${quick ? ', **quick run**' : ''}.
Each server in its own process, Express adapter, autocannon with ${CONNECTIONS} connections for ${DURATION_S} s after a ${WARMUP_S} s warm-up, median of ${REPEATS} run(s) in alternating order.

## 1. Indicators that answer at once (cached for 1 s)

| server | req/s | p50 | p99 | × bare |
| --- | ---: | ---: | ---: | ---: |
${rows(cached)}

live / bare **${cached.ratios.liveToBare}**, ready / bare **${cached.ratios.readyToBare}**, ready / terminus **${cached.ratios.readyToTerminus}**, ready / terminus cached **${cached.ratios.readyToTerminusCached}**

## 2. Indicators that take 20 ms each

| server | req/s | p50 | p99 | × bare |
| --- | ---: | ---: | ---: | ---: |
${rows(slow)}

ready / terminus **${slow.ratios.readyToTerminus}**, ready / terminus cached **${slow.ratios.readyToTerminusCached}**

## 3-7

| scenario | result |
| --- | --- |
| 3. single flight: 1,000 simultaneous requests, cold cache | runs per indicator: ${(scenarios.singleFlight.runs as number[]).join(', ')} (${scenarios.singleFlight.ok} of ${scenarios.singleFlight.requests} answered 200) |
| 4. one cold probe over 50 indicators of 100 ms | ${ms(scenarios.parallelism.latencyMs)} |
| 5. an indicator that never answers, timeoutMs 200 | ${ms(scenarios.timeouts.latencyMs)}, ${scenarios.timeouts.handlesLeft} handle(s) left after app.close() |
| 6. heap growth over 200,000 HealthService.check() | ${Math.round(((scenarios.memory.heapGrowthBytes as number) / 1024 / 1024) * 100) / 100} MB |
| 7. bootstrap time added, 200 indicators | ${ms(scenarios.startup.addedMs)} (${ms(scenarios.startup.withHealthMs)} with, ${ms(scenarios.startup.withoutMs)} without) |

## 8. Redaction of adversarial texts (ms, best of 5)

Each text is one short piece repeated; "exponent" is how the time grows with the size from 16 KiB
to 1 MiB (1: linear, 2: quadratic). Version 0.1's URL and key=value rules, on the same texts up to
${redaction.legacyMaxKiB} KiB, for comparison.

| piece | ${redaction.sizesKiB.map((kib) => `${kib} KiB`).join(' | ')} | exponent | v0.1 rules | v0.1 exponent |
| --- | ${redaction.sizesKiB.map(() => '---:').join(' | ')} | ---: | --- | ---: |
${redaction.rows
  .map(
    (row) =>
      `| \`${row.piece}\` | ${row.ms.join(' | ')} | ${row.exponent} | ${row.legacyMs.join(', ')} | ${row.legacyExponent} |`,
  )
  .join('\n')}

## 9-12. The probe server

**9. Probes under saturation** (a business route taking 20 ms of CPU, 20 connections; a \`live\`
and a \`ready\` probe every 100 ms, each on a new connection; latency in ms; "in 1 s": answered
within the kubelet's timeout):

| probes answered by | live p50 | live p99 | live max | live in 1 s | ready p50 | ready p99 | ready max | ready in 1 s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${(['appPort', 'probeServer', 'terminus', 'lightship'] as const)
  .map((id) => {
    const { live, ready } = probeServer.saturation[id];
    const label = {
      appPort: "the app's port",
      probeServer: 'the probe server',
      terminus: '@nestjs/terminus',
      lightship: "lightship (its own port, the app's event loop)",
    }[id];
    return `| ${label} | ${cells(live)} | ${cells(ready)} |`;
  })
  .join('\n')}

**10. A stall** (the event loop blocked for ${probeServer.stall.blockMs / 1000} s, maxStallMs ${probeServer.stall.maxStallMs}): live fails ${probeServer.stall.failsAfterMs} ms after the block began, and passes again ${probeServer.stall.passesAfterEndMs} ms after it ended.

**11. The cost of a probe**: \`ready\` on the probe server ${probeServer.cost.probeServerRps} req/s, a raw node:http server answering a constant body ${probeServer.cost.rawRps} req/s: **${probeServer.cost.ratio}×** raw.

**12. The worker**: ${probeServer.worker.addedRssMB} MB of resident memory and ${probeServer.worker.addedStartupMs} ms of start-up added (${Math.round(probeServer.worker.with.rssBytes / 1024 / 1024)} MB and ${probeServer.worker.with.startupMs} ms with it, ${Math.round(probeServer.worker.without.rssBytes / 1024 / 1024)} MB and ${probeServer.worker.without.startupMs} ms without).

## 13. gRPC \`grpc.health.v1.Health/Check\` of readiness

Each server in its own process, ${grpcCheck.settings.concurrency} calls in flight on one channel for ${grpcCheck.settings.durationSeconds} s, median of ${grpcCheck.settings.repeats}.

| server | calls/s | p50 | p99 | server CPU per call | × bare |
| --- | ---: | ---: | ---: | ---: | ---: |
| bare grpc-js health service, constant status | ${grpcCheck.bare.requestsPerSecond} | ${ms(grpcCheck.bare.p50Ms)} | ${ms(grpcCheck.bare.p99Ms)} | ${grpcCheck.bare.serverCpuUsPerCall} µs | 1 |
| nestjs-probes on a Nest gRPC microservice's own port (ready, 3 cached) | ${grpcCheck.nest.requestsPerSecond} | ${ms(grpcCheck.nest.p50Ms)} | ${ms(grpcCheck.nest.p99Ms)} | ${grpcCheck.nest.serverCpuUsPerCall} µs | ${grpcCheck.nestToBare} |
| nestjs-probes on the probe server's gRPC port (ready, 3 cached) | ${grpcCheck.probeServer.requestsPerSecond} | ${ms(grpcCheck.probeServer.p50Ms)} | ${ms(grpcCheck.probeServer.p99Ms)} | ${grpcCheck.probeServer.serverCpuUsPerCall} µs | ${grpcCheck.probeServerToBare} |

## 14-15. gRPC liveness, as the kubelet asks it

**14. Under saturation** (the route of 9; a \`Check('liveness')\` on a new channel every 100 ms, on each port of the same app; latency in ms):

| answered by | p50 | p99 | max | in 1 s |
| --- | ---: | ---: | ---: | ---: |
${(['probeServer', 'appPort'] as const)
  .map((id) => {
    const l = grpcProbes.saturation[id];
    const label = {
      probeServer: "the probe server's gRPC port",
      appPort: "the app's own gRPC port",
    }[id];
    return `| ${label} | ${l.p50} | ${l.p99} | ${l.max} | ${l.withinTimeout} of ${l.count} |`;
  })
  .join('\n')}

**15. A stall** (the event loop blocked for ${grpcProbes.stall.blockMs / 1000} s, maxStallMs ${grpcProbes.stall.maxStallMs}): gRPC liveness on the probe server turns NOT_SERVING ${grpcProbes.stall.failsAfterMs} ms after the block began, and SERVING again ${grpcProbes.stall.passesAfterEndMs} ms after it ended.

## 16. \`autoIndicators\` at start-up

An app with ${autoIndicators.clients} clients in its container (none connected) and 200 services of its own: bootstrap **${ms(autoIndicators.addedMs)}** longer with \`autoIndicators: true\` (${ms(autoIndicators.withAutoIndicatorsMs)} with, ${ms(autoIndicators.withoutMs)} without, median of 9), for ${autoIndicators.autoChecks} checks made.

## Targets

${Object.entries(targets)
  .map(([name, met]) => `- ${met ? 'met' : '**missed**'}: ${name}`)
  .join('\n')}
`;

writeFileSync(new URL('results.json', OUT), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL('results.md', OUT), markdown);
console.log(markdown);
