import {
  Inject,
  Injectable,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../../core/health.constants.js';
import { HealthMetrics } from '../../observability/health.metrics.js';
import { messages } from '../../core/health.messages.js';
import type { ResolvedHealthOptions } from '../../options/health.options.js';
import { IndicatorRegistry } from '../../core/indicator.registry.js';
import type { ProbeResult } from '../../core/probe.evaluator.js';
import type { ProbeServerConfig, ToMainThread, ToProbeServer } from './probe-server.protocol.js';
import { ProbeWatcher } from '../../core/probe.watcher.js';
import { ReadinessState } from '../../core/readiness.state.js';

/** How often the main event loop beats: a stall is seen within this of `maxStallMs`. */
const BEAT_MS = 100;
/** A worker that dies is started again after this, doubling while it keeps dying, up to 5 s. */
const RESTART_MS = { first: 100, max: 5000 };
const WORKER = fileURLToPath(new URL('./probe-server.worker.js', import.meta.url));

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
  private worker?: Worker;
  private beats?: BigInt64Array;
  private beating?: NodeJS.Timeout;
  private readonly published = new Map<string, ProbeResult>();
  private readonly subscriptions: Subscription[] = [];
  private closing = false;
  /** Results are posted from the end of the turn in which the application bootstrapped. */
  private publishing = false;
  private restartDelay = RESTART_MS.first;
  private checks?: Extract<ToProbeServer, { type: 'checks' }>;
  /** The port it listens on (the option's, or the free one it was given for `0`). */
  port?: number;

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly watcher: ProbeWatcher,
    private readonly registry: IndicatorRegistry,
    private readonly metrics: HealthMetrics,
    private readonly state: ReadinessState,
  ) {}

  /**
   * Starts beating and the worker, and waits until it listens: called while the application's
   * providers are created, before any module's `onModuleInit`, so a slow start-up answers
   * `starting` instead of refusing connections. Throws what to change when it cannot listen.
   */
  async start(): Promise<void> {
    if (!this.options.probeServer) return;
    const beats = (this.beats = new BigInt64Array(new SharedArrayBuffer(8)));
    const beat = () => Atomics.store(beats, 0, process.hrtime.bigint());
    beat();
    this.beating = setInterval(beat, BEAT_MS);
    this.beating.unref();
    try {
      this.port = await this.spawn();
    } catch (error) {
      this.stop();
      throw error;
    }
    this.logger.log(messages.probeServerListening(this.options.probeServer.host, this.port));
    const released = this.state.changed.subscribe(() => {
      if (this.state.listenError !== undefined) this.release(this.state.listenError);
    });
    this.subscriptions.push(released);
  }

  /** Publishes every probe's results from now on, and the checks each selects. */
  onApplicationBootstrap(): void {
    if (!this.worker) return;
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

  /** Last of all: the probe server answers through the shutdown delay and the drain. */
  async onApplicationShutdown(): Promise<void> {
    this.stop();
    await this.worker?.terminate();
    this.worker = undefined;
  }

  /** The app's HTTP server could not listen: nothing may answer for a pod that serves nothing. */
  private release(reason: string): void {
    if (this.closing) return;
    this.logger.warn(messages.probeServerReleased(reason));
    this.stop();
    void this.worker?.terminate();
  }

  private stop(): void {
    this.closing = true;
    clearInterval(this.beating);
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  private post(message: ToProbeServer): void {
    this.worker?.postMessage(message);
  }

  /** Starts a worker and resolves with its port once it listens; rejects with what to change. */
  private spawn(): Promise<number> {
    const server = this.options.probeServer as Exclude<ResolvedHealthOptions['probeServer'], false>;
    if (!existsSync(WORKER))
      return Promise.reject(new Error(messages.probeServerScriptMissing(WORKER)));
    const config: ProbeServerConfig = {
      port: this.port ?? server.port,
      host: server.host,
      path: this.options.path,
      maxStallMs: server.maxStallMs,
      identity: this.options.identity,
      probes: this.registry.probes.map(
        ({ name, access, checkRoutes, runsChecks, diagnostics, gates }) => ({
          name,
          access,
          checkRoutes,
          runsChecks,
          diagnostics,
          gates,
        }),
      ),
      internalNetworks: this.options.internalNetworks,
      trustProxy: this.options.trustProxy,
      deniedStatus: this.options.deniedStatus,
      metrics: this.metrics.enabled,
      beats: this.beats!.buffer as SharedArrayBuffer,
    };
    const worker = new Worker(WORKER, { workerData: config });
    this.worker = worker;
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (message: ToMainThread) => {
        if (message.type === 'listening') {
          this.restartDelay = RESTART_MS.first;
          // Held while it starts (start-up awaits it); from then on, the app's own handles decide.
          worker.unref();
          resolve(message.port);
        } else if (message.type === 'error') {
          const error = new Error(
            messages.probeServerCannotListen(server, message.code, message.message),
          );
          reject(error);
          void worker.terminate();
        } else if (message.type === 'metrics') {
          void this.answerMetrics(message.id);
        }
      });
      worker.on('error', (error) => reject(error));
      worker.on('exit', (code) => {
        reject(new Error(messages.probeServerExited(code)));
        if (this.worker === worker) this.worker = undefined;
        if (!this.closing) this.restart(code);
      });
    });
  }

  /** A worker that died is started again, with what was published so far. */
  private restart(code: number): void {
    this.logger.error(messages.probeServerDied(code, this.restartDelay));
    const timer = setTimeout(() => {
      if (this.closing) return;
      this.spawn().then(
        () => {
          if (this.checks) this.post(this.checks);
          for (const result of this.published.values()) this.post({ type: 'result', result });
        },
        (error: unknown) => this.logger.error(String((error as Error)?.message ?? error)),
      );
    }, this.restartDelay);
    timer.unref();
    this.restartDelay = Math.min(this.restartDelay * 2, RESTART_MS.max);
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
