import {
  Inject,
  Injectable,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../../core/health.constants.js';
import { EventLoopStalls } from '../../observability/event-loop.stalls.js';
import { HealthMetrics } from '../../observability/health.metrics.js';
import { messages } from '../../core/health.messages.js';
import type { ResolvedHealthOptions } from '../../options/health.options.js';
import { IndicatorRegistry } from '../../core/indicator.registry.js';
import type { ProbeResult } from '../../core/probe-result.js';
import type { ProbeServerConfig, ToProbeServer, WatchedListener } from './probe-server.protocol.js';
import { prefixSegments, routeSettingsOf } from '../http/route-settings.js';
import { InternalNetworkGuard } from '../http/internal-network.guard.js';
import { WorkerHost } from './worker.host.js';
import { publishedProbe } from '../../core/published-probes.js';
import { ProbeWatcher } from '../../core/probe.watcher.js';
import { ReadinessState } from '../../core/readiness.state.js';
import { StatusRecorder } from '../../core/status.history.js';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo, Server } from 'node:net';

/** How often the main event loop beats: a stall is seen within this of `maxStallMs`. */
const BEAT_MS = 100;

/**
 * @internal The main thread's side of the probe server: it starts the worker (and starts it
 * again if it dies), beats the event loop's heartbeat into memory the worker reads, and publishes
 * every probe's latest result as it changes. It never answers a probe itself.
 *
 * It never keeps the process alive on its own (its worker is unref'd once it listens): a start-up
 * that fails ends the process as it would without it. And when the application's HTTP server
 * cannot listen, it closes, so that the kubelet finds its port refused as it finds the app's.
 */
@Injectable()
export class ProbeServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private host?: WorkerHost;
  private beats?: BigInt64Array;
  private beating?: NodeJS.Timeout;
  private readonly published = new Map<string, ProbeResult>();
  private readonly subscriptions: Subscription[] = [];
  private closing = false;
  /** Results are posted from the end of the turn in which the application bootstrapped. */
  private publishing = false;
  private checks?: Extract<ToProbeServer, { type: 'checks' }>;
  /** Whether the worker watches the app's HTTP listener. */
  private watching = false;
  private shutdownPosted = false;
  private drainPosted = false;
  /** The port it listens on (the option's, or the free one it was given for `0`). */
  port?: number;
  /** Its gRPC port (`grpcPort`), likewise; `undefined` without one. */
  grpcPort?: number;

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly watcher: ProbeWatcher,
    private readonly registry: IndicatorRegistry,
    private readonly metrics: HealthMetrics,
    private readonly state: ReadinessState,
    private readonly adapterHost: HttpAdapterHost,
    private readonly stalls: EventLoopStalls,
    private readonly recorder: StatusRecorder,
  ) {}

  /**
   * Starts beating and the worker, and waits until it listens: called while the application's
   * providers are created, before any module's `onModuleInit`, so a slow start-up answers
   * `starting` instead of refusing connections. Throws what to change when it cannot listen.
   */
  async start(): Promise<void> {
    if (!this.options.probeServer) return;
    const beats = (this.beats = new BigInt64Array(new SharedArrayBuffer(8)));
    const maxStallNs = BigInt(this.options.probeServer.maxStallMs) * 1_000_000n;
    let last = process.hrtime.bigint();
    const beat = () => {
      // The time since the last beat is the heartbeat's age the worker read meanwhile: past
      // maxStallMs, it answered any probe that the loop had stalled. Told now, the first moment
      // the main thread can tell anything.
      const now = process.hrtime.bigint();
      if (now - last > maxStallNs) this.stalls.stalled(Number(now - last) / 1e6);
      Atomics.store(beats, 0, (last = now));
    };
    beat();
    this.beating = setInterval(beat, BEAT_MS);
    this.beating.unref();
    this.host = new WorkerHost(this.options.probeServer, this.logger, {
      config: (port, grpcPort) => this.config(port, grpcPort),
      restarted: () => this.restarted(),
      metrics: (id) => void this.answerMetrics(id),
    });
    try {
      this.port = await this.host.start();
    } catch (error) {
      this.stop();
      await this.host.stop();
      throw error;
    }
    this.grpcPort = this.host.grpcPort;
    const { host } = this.options.probeServer;
    this.logger.log(messages.probeServerListening(host, this.port, this.grpcPort));
    if (this.options.guard !== InternalNetworkGuard) {
      this.logger.warn(messages.probeServerGuard(this.options.guard.name));
    }
    const followed = this.state.changed.subscribe(() => {
      if (this.state.listenError !== undefined) this.release(this.state.listenError);
      this.followListeners();
    });
    this.subscriptions.push(followed);
  }

  /** Publishes every probe's results from now on, and the checks each selects. */
  onApplicationBootstrap(): void {
    if (!this.host) return;
    const selections: Record<string, string[]> = {};
    for (const probe of this.registry.probes) {
      selections[probe.name] = this.registry.runnersOf(probe).map((runner) => runner.name);
    }
    const staleAfterMs: Record<string, number> = {};
    for (const runner of this.registry.all) {
      if (runner.options.refreshIntervalMs !== undefined) {
        staleAfterMs[runner.name] = runner.staleAfterMs();
      }
    }
    this.checks = { type: 'checks', selections, staleAfterMs };
    this.post(this.checks);
    // The adapter's settings as the application left them before listening.
    this.post({ type: 'routes', routes: this.routes() });
    // The status page's history is the main thread's: published as it changes, never asked for.
    if (this.options.statusPage) {
      this.postHistory();
      this.subscriptions.push(this.recorder.changed.subscribe(() => this.postHistory()));
    }
    for (const probe of this.registry.probes) {
      this.subscriptions.push(
        this.watcher.results(probe).subscribe((result) => {
          this.published.set(result.probe, result);
          if (this.publishing) this.post({ type: 'result', result });
        }),
      );
    }
    // app.listen() reaches the adapter's listen() in this same turn, after the last bootstrap
    // hook: a ready published before the turn is over would pass before the app's port listens.
    setImmediate(() => {
      this.publishing = true;
      for (const result of this.published.values()) this.post({ type: 'result', result });
    });
  }

  /**
   * Tells the worker which of the app's listeners to watch (its HTTP server, once Nest made it
   * listen), and when a shutdown begins: from then on a listener that closes is the drain.
   */
  private followListeners(): void {
    if (this.state.shuttingDown) {
      if (!this.shutdownPosted) this.post({ type: 'shutdown' });
      this.shutdownPosted = true;
      if (this.state.draining && !this.drainPosted) this.post({ type: 'draining' });
      this.drainPosted = this.state.draining;
      return;
    }
    const listening = this.state.listener === 'listening';
    if (listening === this.watching) return;
    this.watching = listening;
    const listeners: WatchedListener[] = [];
    const address = listening
      ? (this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined)?.address()
      : undefined;
    if (typeof address === 'string') listeners.push({ kind: 'HTTP', path: address });
    else if (address) {
      const { address: host, port } = address as AddressInfo;
      listeners.push({ kind: 'HTTP', host, port });
    }
    this.post({ type: 'listeners', listeners });
  }

  /** How the app's adapter matches the probe routes, under the `path` option. */
  private routes() {
    return routeSettingsOf(this.adapterHost.httpAdapter, prefixSegments(this.options.path));
  }

  /** Last of all: the probe server answers through the shutdown delay and the drain. */
  async onApplicationShutdown(): Promise<void> {
    this.stop();
    await this.host?.stop();
  }

  /** The app's HTTP server could not listen: nothing may answer for a pod that serves nothing. */
  private release(reason: string): void {
    if (this.closing) return;
    this.logger.warn(messages.probeServerReleased(reason));
    this.stop();
    void this.host?.stop();
  }

  private stop(): void {
    this.closing = true;
    clearInterval(this.beating);
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  private post(message: ToProbeServer): void {
    this.host?.post(message);
  }

  /** Everything a (new) worker starts with. */
  private config(port: number, grpcPort?: number): ProbeServerConfig {
    const server = this.options.probeServer as Exclude<ResolvedHealthOptions['probeServer'], false>;
    return {
      port,
      host: server.host,
      routes: this.routes(),
      maxStallMs: server.maxStallMs,
      identity: this.options.identity,
      probes: this.registry.probes.map(publishedProbe),
      internalNetworks: this.options.internalNetworks,
      trustProxy: this.options.trustProxy,
      deniedStatus: this.options.deniedStatus,
      metrics: this.metrics.enabled,
      statusPage: this.options.statusPage,
      beats: this.beats!.buffer as SharedArrayBuffer,
      grpc: grpcPort === undefined ? undefined : { port: grpcPort, ...server.grpc },
    };
  }

  /** A worker started again after dying is told what its predecessor had been told. */
  private restarted(): void {
    if (this.checks) this.post(this.checks);
    this.post({ type: 'routes', routes: this.routes() });
    for (const result of this.published.values()) this.post({ type: 'result', result });
    if (this.options.statusPage) this.postHistory();
    this.watching = false;
    this.followListeners();
  }

  private postHistory(): void {
    this.post({ type: 'history', history: this.recorder.history });
  }

  private async answerMetrics(id: number): Promise<void> {
    try {
      const { contentType, body } = await this.metrics.render();
      this.post({ type: 'metrics', id, contentType, body });
    } catch (error) {
      this.logger.error(`The metrics could not be rendered: ${String(error)}`);
      this.post({ type: 'metrics', id });
    }
  }
}
