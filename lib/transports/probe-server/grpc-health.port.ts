/**
 * @internal The probe server's gRPC port (`probeServer.grpcPort`), in its worker thread:
 * `grpc.health.v1` served from the results the main thread publishes, with the same stall-aware
 * reading as its HTTP routes (`PublishedProbes`), so that it answers whatever the main event loop
 * is doing. The handlers and the bytes are those of the app's gRPC servers (`transports/grpc/`);
 * grpc-js is loaded only when the port is on. Nothing here loads Nest.
 */
import type {
  PublishedProbe,
  PublishedProbes,
  ReadConditions,
} from '../../core/published-probes.js';
import { HealthHandlers, type HealthSource } from '../grpc/health.handlers.js';
import { servingStatus, type ServingStatus } from '../grpc/health.grpc.js';
import { HEALTH_SERVICE_DEFINITION, MAX_SERVICE_BYTES } from '../grpc/health.wire.js';

/**
 * How often Watch streams are brought up to date from what the worker knows alone (the heartbeat,
 * results growing stale, a listener found down): a stall turns `liveness` NOT_SERVING within this
 * of `maxStallMs`, without the main thread.
 */
const WATCH_EVERY_MS = 100;
/** A health request is a few bytes (a service name, of 64 characters at most): taken with room. */
const MAX_RECEIVE_BYTES = MAX_SERVICE_BYTES + 64;
/** How long a graceful shutdown may take once the Watch streams have ended. */
const SHUTDOWN_MS = 1000;
const NO_EXCLUSION: readonly string[] = [];

/** The part of grpc-js used here, typed locally: the worker loads it only when the port is on. */
interface GrpcJs {
  Server: new (options: Record<string, number>) => GrpcJsServer;
  ServerCredentials: { createInsecure(): unknown };
}
interface GrpcJsServer {
  addService(service: object, implementation: object): void;
  bindAsync(
    address: string,
    credentials: unknown,
    callback: (error: Error | null, port: number) => void,
  ): void;
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
}

/** @internal Why the port could not listen: a system error's code when grpc-js names one. */
export class GrpcListenError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * @internal The published probes as the health service reads them: each status decided by
 * `PublishedProbes` at the moment of reading, mapped by `servingStatus()`. Watchers are brought up
 * to date when something is published and on a timer of their own, which runs while any watch.
 */
export class PublishedHealth implements HealthSource<PublishedProbe> {
  private readonly watchers = new Set<{
    probe: PublishedProbe;
    next: (status: ServingStatus) => void;
    last: ServingStatus;
  }>();
  private timer?: NodeJS.Timeout;

  constructor(
    readonly probes: readonly PublishedProbe[],
    private readonly published: PublishedProbes,
    private readonly conditions: () => ReadConditions,
  ) {}

  status(probe: PublishedProbe, at = this.conditions()): ServingStatus {
    return servingStatus(this.published.result(probe, NO_EXCLUSION, at).status);
  }

  watch(probe: PublishedProbe, next: (status: ServingStatus) => void): () => void {
    const watcher = { probe, next, last: this.status(probe) };
    this.watchers.add(watcher);
    this.timer ??= setInterval(() => this.refresh(), WATCH_EVERY_MS);
    next(watcher.last);
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Sends each watcher its probe's status, if it changed: each probe read once. */
  refresh(): void {
    if (this.watchers.size === 0) return;
    const at = this.conditions();
    const statuses = new Map<string, ServingStatus>();
    for (const watcher of this.watchers) {
      let status = statuses.get(watcher.probe.name);
      if (status === undefined) {
        status = this.status(watcher.probe, at);
        statuses.set(watcher.probe.name, status);
      }
      if (status !== watcher.last) {
        watcher.last = status;
        watcher.next(status);
      }
    }
  }
}

/** @internal Where the port listens, and how many Watch streams it takes at once. */
export interface GrpcHealthSettings {
  host: string;
  port: number;
  maxWatchStreams: number;
}

/** @internal The gRPC server of the probe server's worker. */
export class GrpcHealthPort {
  private server?: GrpcJsServer;
  private readonly handlers: HealthHandlers<PublishedProbe>;

  constructor(
    private readonly settings: GrpcHealthSettings,
    private readonly source: PublishedHealth,
    private readonly load: () => Promise<unknown> = () => import('@grpc/grpc-js'),
  ) {
    this.handlers = new HealthHandlers(source, settings.maxWatchStreams);
  }

  get openWatches(): number {
    return this.handlers.openWatches;
  }

  /** Listens; resolves with the port (the free one it was given for `0`). */
  async start(): Promise<number> {
    const grpc = (await this.load()) as GrpcJs;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      // Each kubelet probe opens a channel of its own: a connection idle for long is let go.
      'grpc.max_connection_idle_ms': 60_000,
    });
    server.addService(HEALTH_SERVICE_DEFINITION, this.handlers);
    const { host, port } = this.settings;
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, given) => {
        if (error === null) return resolve(given);
        const code = /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1] ?? 'UNKNOWN';
        reject(new GrpcListenError(code, error.message));
      }),
    );
    this.server = server;
    return bound;
  }

  /** Something was published: Watch streams learn of it at once. */
  changed(): void {
    this.source.refresh();
  }

  /** Ends the Watch streams with `OK`, then shuts the server down. */
  async close(): Promise<void> {
    await this.handlers.endWatches();
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
