/**
 * @internal The probe server, in a worker thread of its own: it answers from the results the main
 * thread publishes and from the main event loop's heartbeat, never by asking the main thread, so
 * it answers whatever the main thread is doing. Nothing here loads Nest.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { staleOutcome, type CheckOutcome } from '../../core/check-outcome.js';
import { DIAGNOSTICS_COMPONENT } from '../../core/health.constants.js';
import { buildCheckReport, buildReport, excludeNotes } from '../../core/health-report.builder.js';
import { readingOf, STATUS_ONLY, TEXT, toHttpAnswer, type Reading } from '../http/http.answer.js';
import type { CheckReport, HealthReport } from '../../interfaces/health-check.interface.js';
import { NetworkPolicy } from '../../core/network.policy.js';
import { canFail } from '../../core/probe.definitions.js';
import type { ProbeResult } from '../../core/probe.evaluator.js';
import type {
  ProbeServerConfig,
  ToMainThread,
  ToProbeServer,
  PublishedProbe,
} from './probe-server.protocol.js';

const config = workerData as ProbeServerConfig;
const port = parentPort!;
const beats = new BigInt64Array(config.beats);
const policy = new NetworkPolicy(config.internalNetworks, config.trustProxy, config.deniedStatus);
const prefix = config.path ? `/${config.path}` : '';
const JSON_TYPE = 'application/json; charset=utf-8';
const METRICS_WAIT_MS = 2000;

const probes = new Map<string, PublishedProbe>(config.probes.map((p) => [p.name, p]));
const results = new Map<string, ProbeResult>();
/** When each published result would have an outcome turn stale (Infinity: never). */
const staleAt = new Map<string, number>();
let selections: Record<string, readonly string[]> = {};
let staleAfter: Record<string, number> = {};
/** The latest outcome of each check, whichever probe published it. */
const latest = new Map<string, CheckOutcome>();
const pendingMetrics = new Map<
  number,
  (reply: Extract<ToProbeServer, { type: 'metrics' }>) => void
>();
let metricsId = 0;

const send = (message: ToMainThread) => port.postMessage(message);

port.on('message', (message: ToProbeServer) => {
  if (message.type === 'result') {
    results.set(message.result.probe, message.result);
    staleAt.set(message.result.probe, firstStale(message.result));
    for (const outcome of message.result.outcomes ?? []) {
      const known = latest.get(outcome.check);
      if (!known || known.observedAt <= outcome.observedAt) latest.set(outcome.check, outcome);
    }
  } else if (message.type === 'checks') {
    selections = message.selections;
    staleAfter = message.staleAfterMs;
    for (const result of results.values()) staleAt.set(result.probe, firstStale(result));
  } else if (message.type === 'metrics') {
    pendingMetrics.get(message.id)?.(message);
    pendingMetrics.delete(message.id);
  }
});

/** How long the main event loop has not turned, in ms (its heartbeat, read without a message). */
function stalledMs(): number {
  return Number(process.hrtime.bigint() - Atomics.load(beats, 0)) / 1e6;
}

/** The answer of a probe that cannot fail (`live`) while the loop turns: one object, reused. */
const alive: ProbeResult = Object.freeze({
  probe: 'live',
  status: 'pass',
  report: Object.freeze({ status: 'pass' as const, ...config.identity }),
});

function failing(probe: string, output: string): ProbeResult {
  return { probe, status: 'fail', report: { status: 'fail', ...config.identity, output } };
}

/** A failure of every probe while the main event loop is stuck; `undefined` while it turns. */
function stall(probe: PublishedProbe): ProbeResult | undefined {
  const stalled = stalledMs();
  if (stalled <= config.maxStallMs) return undefined;
  const seconds = (stalled / 1000).toFixed(1);
  return failing(
    probe.name,
    `the event loop has not turned for ${seconds} s (maxStallMs ${config.maxStallMs})`,
  );
}

/**
 * What a probe says now: during a stall, a failure saying so; before anything was published,
 * `starting`; else the published result, with results too old to trust counted as failed.
 */
function resultOf(probe: PublishedProbe, exclude: readonly string[]): ProbeResult {
  const stalled = stall(probe);
  if (stalled) return stalled;
  if (!canFail(probe)) return alive;
  const published = results.get(probe.name);
  if (!published) return failing(probe.name, 'starting');
  if (!published.outcomes) return published;
  const now = Date.now();
  if (exclude.length === 0 && now <= staleAt.get(probe.name)!) return published;
  const outcomes = published.outcomes.map((o) => fresh(o, now));
  const changed = outcomes.some((outcome, i) => outcome !== published.outcomes![i]);
  if (!changed && exclude.length === 0) return published;
  return rebuilt(probe, published, outcomes, exclude);
}

/** When the first of a result's outcomes turns stale. */
function firstStale(result: ProbeResult): number {
  let at = Infinity;
  for (const outcome of result.outcomes ?? []) {
    const maxAge = staleAfter[outcome.check];
    if (maxAge !== undefined) at = Math.min(at, outcome.observedAt + maxAge);
  }
  return at;
}

/** A check's outcome, or a failure when its background schedule should have refreshed it. */
function fresh(outcome: CheckOutcome, now: number): CheckOutcome {
  const maxAge = staleAfter[outcome.check];
  return (maxAge !== undefined && staleOutcome(outcome, maxAge, now)) || outcome;
}

/** The report again, from the outcomes: some excluded, or some stale. */
function rebuilt(
  probe: PublishedProbe,
  published: ProbeResult,
  outcomes: CheckOutcome[],
  exclude: readonly string[],
): ProbeResult {
  const left = new Set(exclude);
  const known = new Set(outcomes.map((outcome) => outcome.check));
  if (probe.diagnostics) known.add(DIAGNOSTICS_COMPONENT);
  const unknown = [...left].filter((name) => !known.has(name));
  const diagnostics: Record<string, CheckReport[]> = {};
  if (probe.diagnostics && !left.has(DIAGNOSTICS_COMPONENT)) {
    for (const [key, entries] of Object.entries(published.report.checks ?? {})) {
      if (key.startsWith(`${DIAGNOSTICS_COMPONENT}:`)) diagnostics[key] = entries;
    }
  }
  const report = buildReport(
    config.identity,
    outcomes.filter((outcome) => !left.has(outcome.check)),
    { diagnostics, notes: unknown.length ? excludeNotes(unknown) : undefined },
  );
  return { probe: probe.name, status: report.status, report };
}

/** The bytes and headers of each body served, made once: probes repeat the same few answers. */
const prepared = new Map<
  string,
  { bytes: Buffer; headers: string[]; type: string; cache: string | null }
>();
const PREPARED_MAX = 256;

function sendBody(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  head: boolean,
  cache: string | null = 'no-store',
): void {
  // Keyed by the body itself: the same string object while a result stands, hashed once.
  let ready = prepared.get(body);
  if (ready === undefined || ready.type !== type || ready.cache !== cache) {
    const bytes = Buffer.from(body);
    const headers = ['Content-Type', type, 'Content-Length', String(bytes.length)];
    if (cache) headers.push('Cache-Control', cache);
    ready = { bytes, headers, type, cache };
    // Bodies change as results do: keep the recent ones only.
    if (prepared.size >= PREPARED_MAX) prepared.clear();
    prepared.set(body, ready);
  }
  response.writeHead(status, ready.headers);
  response.end(head ? undefined : ready.bytes);
}

/**
 * Nest's own answer for a route that does not exist; for a check a probe does not have, the same
 * body, uncacheable like every answer of a health route.
 */
function notFound(
  request: IncomingMessage,
  response: ServerResponse,
  head: boolean,
  cache: string | null = null,
): void {
  const body = {
    message: `Cannot ${request.method} ${request.url}`,
    error: 'Not Found',
    statusCode: 404,
  };
  sendBody(response, 404, JSON_TYPE, JSON.stringify(body), head, cache);
}

function deny(request: IncomingMessage, response: ServerResponse, head: boolean): void {
  if (config.deniedStatus === 404) return notFound(request, response, head);
  const body = JSON.stringify({ message: 'Forbidden', statusCode: 403 });
  sendBody(response, 403, JSON_TYPE, body, head);
}

function reply(
  response: ServerResponse,
  result: ProbeResult,
  reading: Reading,
  subject: string,
  head: boolean,
): void {
  const answer = toHttpAnswer(result);
  if (!reading.full)
    sendBody(response, answer.statusCode, answer.contentType, answer.statusBody, head);
  else if (reading.verbose) sendBody(response, answer.statusCode, TEXT, answer.text(subject), head);
  else sendBody(response, answer.statusCode, answer.contentType, answer.body, head);
}

function internal(request: IncomingMessage): boolean {
  return policy.isInternalPeer(request.socket.remoteAddress, request.headers);
}

function serveProbe(
  request: IncomingMessage,
  response: ServerResponse,
  probe: PublishedProbe,
  head: boolean,
) {
  const admitted = probe.access === 'public' || internal(request);
  if (!admitted && probe.access !== 'status') return deny(request, response, head);
  const reading = admitted ? readingOf(request) : STATUS_ONLY;
  reply(response, resultOf(probe, reading.exclude), reading, probe.name, head);
}

function serveCheck(
  request: IncomingMessage,
  response: ServerResponse,
  probe: PublishedProbe,
  name: string,
  head: boolean,
) {
  if (probe.access !== 'public' && !internal(request)) return deny(request, response, head);
  const outcome = selections[probe.name]?.includes(name) ? latest.get(name) : undefined;
  if (!outcome) return notFound(request, response, head, 'no-store');
  const checked = fresh(outcome, Date.now());
  const result = stall(probe) ?? {
    probe: probe.name,
    status: checked.status,
    report: buildCheckReport(config.identity, checked),
  };
  reply(response, result, readingOf(request), name, head);
}

function serveMetrics(request: IncomingMessage, response: ServerResponse, head: boolean) {
  if (!internal(request)) return deny(request, response, head);
  const id = ++metricsId;
  const timer = setTimeout(() => {
    pendingMetrics.delete(id);
    sendBody(response, 503, TEXT, 'metrics unavailable: the main thread has not answered\n', head);
  }, METRICS_WAIT_MS);
  pendingMetrics.set(id, (answer) => {
    clearTimeout(timer);
    if (answer.body === undefined) sendBody(response, 500, TEXT, 'metrics unavailable\n', head);
    else sendBody(response, 200, answer.contentType ?? TEXT, answer.body, head);
  });
  send({ type: 'metrics', id });
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  const head = request.method === 'HEAD';
  try {
    const path = (request.url ?? '').split('?')[0];
    const rest = path.startsWith(`${prefix}/`) ? path.slice(prefix.length + 1).split('/') : [];
    if ((request.method !== 'GET' && !head) || rest.length === 0 || rest.length > 2) {
      return notFound(request, response, head);
    }
    let name: string;
    let check: string | undefined;
    try {
      [name, check] = rest.map(decodeURIComponent);
    } catch {
      return notFound(request, response, head);
    }
    if (name === 'metrics' && check === undefined && config.metrics) {
      return serveMetrics(request, response, head);
    }
    const probe = probes.get(name);
    if (!probe) return notFound(request, response, head);
    if (check === undefined) return serveProbe(request, response, probe, head);
    if (!probe.checkRoutes) return notFound(request, response, head);
    return serveCheck(request, response, probe, check, head);
  } catch {
    // A bug of ours still answers like a failed probe, never a stack.
    const body = JSON.stringify({
      status: 'fail',
      output: 'health check failed unexpectedly',
    } satisfies HealthReport);
    sendBody(response, 503, 'application/health+json; charset=utf-8', body, head);
  }
}

const server = createServer(handle);
// Probes are short and each kubelet probe opens its own connection.
server.keepAliveTimeout = 5000;
server.on('error', (error: NodeJS.ErrnoException) => {
  send({ type: 'error', code: error.code ?? 'UNKNOWN', message: error.message });
});
server.listen(config.port, config.host, () => {
  send({ type: 'listening', port: (server.address() as AddressInfo).port });
});
port.on('close', () => server.close());
