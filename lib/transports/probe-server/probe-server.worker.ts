/**
 * @internal The probe server, in a worker thread of its own: it answers from the results the main
 * thread publishes and from the main event loop's heartbeat, never by asking the main thread, so
 * it answers whatever the main thread is doing. It decides nothing itself: the route, the access,
 * the reading and what a published result says now are the core's pure functions, as on the
 * app's port; it only turns them into bytes. Nothing here loads Nest.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { checkAccess, decideAccess } from '../../core/access.js';
import { NetworkPolicy } from '../../core/network.policy.js';
import { readingOf, STATUS_ONLY } from '../../core/probe.reading.js';
import {
  PublishedProbes,
  type PublishedProbe,
  type ReadConditions,
} from '../../core/published-probes.js';
import { RouteMatcher, type RouteTable, type StatusPart } from '../../core/route.matcher.js';
import {
  FORBIDDEN,
  httpReply,
  JSON_TYPE,
  notFoundReply,
  TEXT,
  UNEXPECTED,
  type HttpReply,
} from '../http/http.answer.js';
import { GrpcHealthPort, PublishedHealth, type GrpcListenError } from './grpc-health.port.js';
import { ListenerCheck } from './listener.check.js';
import { ReplyWriter } from './reply.writer.js';
import { WorkerStatusFeed } from './worker.status-feed.js';
import type { ProbeServerConfig, ToMainThread, ToProbeServer } from './probe-server.protocol.js';

const config = workerData as ProbeServerConfig;
const port = parentPort!;
const beats = new BigInt64Array(config.beats);
const policy = new NetworkPolicy(config.internalNetworks, config.trustProxy, config.deniedStatus);
const METRICS_WAIT_MS = 2000;

const probes = new Map<string, PublishedProbe>(config.probes.map((p) => [p.name, p]));
const table: RouteTable = {
  probes: new Map(config.probes.map((p) => [p.name, p.answersPerCheck])),
  metrics: config.metrics,
  status: config.statusPage !== false,
};
let routes = new RouteMatcher(config.routes, table);
const published = new PublishedProbes(config.identity, config.maxStallMs);
const listeners = new ListenerCheck();
const writer = new ReplyWriter();
const pendingMetrics = new Map<number, (reply: HttpReply | undefined) => void>();
let metricsId = 0;
const { identity, maxStallMs } = config;
const statusPage = config.statusPage
  ? new WorkerStatusFeed(
      { identity, maxStallMs, probes: config.probes, published, conditions },
      config.statusPage.maxStreams,
    )
  : undefined;

const send = (message: ToMainThread) => port.postMessage(message);

port.on('message', (message: ToProbeServer) => {
  switch (message.type) {
    case 'result':
      published.publish(message.result);
      return statusPage?.changed();
    case 'checks':
      published.select(message);
      return statusPage?.changed();
    case 'history':
      return statusPage?.historyChanged(message.history);
    case 'draining':
      return statusPage?.draining();
    case 'routes':
      routes = new RouteMatcher(message.routes, table);
      return;
    case 'listeners':
      return listeners.watch(message.listeners);
    case 'shutdown':
      listeners.stop();
      return published.shutdownBegan();
    case 'metrics': {
      const { id, body, contentType } = message;
      const reply =
        body === undefined
          ? undefined
          : { statusCode: 200, contentType: contentType ?? TEXT, body };
      pendingMetrics.get(id)?.(reply);
      pendingMetrics.delete(id);
    }
  }
});

/** What the moment of reading knows: the time, the heartbeat (read without a message), listeners. */
function conditions(): ReadConditions {
  const stalledMs = Number(process.hrtime.bigint() - Atomics.load(beats, 0)) / 1e6;
  return { now: Date.now(), stalledMs, listenerDown: listeners.down };
}

function internal(request: IncomingMessage): boolean {
  return policy.isInternalPeer(request.socket.remoteAddress, request.headers);
}

function denied(request: IncomingMessage): HttpReply {
  // A 404 must be exactly what the app answers for a route that does not exist.
  return config.deniedStatus === 404 ? notFoundReply(request.method, request.url) : FORBIDDEN;
}

function probeReply(request: IncomingMessage, probe: PublishedProbe): HttpReply {
  const access = decideAccess(probe.access, probe.access === 'public' || internal(request));
  if (access === 'denied') return denied(request);
  const reading =
    access === 'status' ? STATUS_ONLY : readingOf(request.url ?? '', request.headers.accept);
  return httpReply(published.result(probe, reading.exclude, conditions()), reading, probe.name);
}

function checkReply(request: IncomingMessage, probe: PublishedProbe, check: string): HttpReply {
  const access = checkAccess(probe.access);
  if (decideAccess(access, access === 'public' || internal(request)) !== 'whole')
    return denied(request);
  const result = published.checkResult(probe, check, conditions());
  // Like Nest's own 404, but uncacheable like every answer of a health route.
  if (!result) return { ...notFoundReply(request.method, request.url), bare: false };
  return httpReply(result, readingOf(request.url ?? '', request.headers.accept), check);
}

/** The status page and its stream, read as one check of `deep` is. */
function serveStatus(request: IncomingMessage, response: ServerResponse, part: StatusPart): void {
  const access = checkAccess(probes.get('deep')!.access);
  if (decideAccess(access, access === 'public' || internal(request)) !== 'whole') {
    return writer.write(request, response, denied(request));
  }
  statusPage?.serve(request, response, part);
}

function serveMetrics(request: IncomingMessage, response: ServerResponse): void {
  if (!internal(request)) return writer.write(request, response, denied(request));
  const id = ++metricsId;
  const timer = setTimeout(() => {
    pendingMetrics.delete(id);
    const body = 'metrics unavailable: the main thread has not answered\n';
    writer.write(request, response, { statusCode: 503, contentType: TEXT, body });
  }, METRICS_WAIT_MS);
  pendingMetrics.set(id, (reply) => {
    clearTimeout(timer);
    const failed = { statusCode: 500, contentType: TEXT, body: 'metrics unavailable\n' };
    writer.write(request, response, reply ?? failed);
  });
  send({ type: 'metrics', id });
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  try {
    const url = request.url ?? '';
    const match = routes.match(url);
    if (match.kind === 'refused') {
      return writer.write(request, response, { ...match, contentType: JSON_TYPE, bare: true });
    }
    if ((request.method !== 'GET' && request.method !== 'HEAD') || match.kind === 'not-found') {
      return writer.write(request, response, notFoundReply(request.method, url));
    }
    if (match.kind === 'metrics') return serveMetrics(request, response);
    if (match.kind === 'status') return serveStatus(request, response, match.part);
    const probe = probes.get(match.probe)!;
    const reply =
      match.kind === 'probe' ? probeReply(request, probe) : checkReply(request, probe, match.check);
    writer.write(request, response, reply);
  } catch {
    // A bug of ours still answers like a failed probe, never a stack.
    writer.write(request, response, UNEXPECTED);
  }
}

const server = createServer(handle);
// Probes are short and each kubelet probe opens its own connection.
server.keepAliveTimeout = 5000;
server.on('error', (error: NodeJS.ErrnoException) => {
  send({ type: 'error', code: error.code ?? 'UNKNOWN', message: error.message });
});
// grpc.health.v1 on a port of its own, from the same published results.
const grpc =
  config.grpc &&
  new GrpcHealthPort(
    { host: config.host, ...config.grpc },
    new PublishedHealth(config.probes, published, conditions),
  );
server.listen(config.port, config.host, () => {
  const listening = (server.address() as AddressInfo).port;
  Promise.resolve(grpc?.start()).then(
    (grpcPort) => send({ type: 'listening', port: listening, grpcPort }),
    ({ code, message }: GrpcListenError) => send({ type: 'error', code, message, grpc: true }),
  );
});
// After the message is applied: Watch streams follow what was published (or end, on close).
port.on('message', (message: ToProbeServer) => {
  if (message.type !== 'close') return grpc?.changed();
  listeners.stop();
  void Promise.resolve(grpc?.close()).then(() => send({ type: 'closed' }));
});
port.on('close', () => {
  listeners.stop();
  statusPage?.close();
  server.close();
});
