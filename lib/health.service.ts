import {
  Injectable,
  type INestApplicationContext,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { distinctUntilChanged, map, type Observable, throwError } from 'rxjs';
import { messages } from './core/health.messages.js';
import type { HealthReport, HealthStatus, ProbeName } from './interfaces/health-check.interface.js';
import { IndicatorRegistry } from './core/indicator.registry.js';
import { HealthEvents, type StatusChange } from './core/health.events.js';
import type { MaybePromise } from './core/maybe-promise.js';
import type { ProbeDefinition } from './core/probe.definitions.js';
import { ProbeEvaluator } from './core/probe.evaluator.js';
import type { ProbeResult } from './core/probe-result.js';
import { ProbeWatcher } from './core/probe.watcher.js';
import { ProbeServer } from './transports/probe-server/probe-server.js';
import { ReadinessState } from './core/readiness.state.js';
import { ShutdownCoordinator } from './lifecycle/shutdown.coordinator.js';

/**
 * Runs the probes and health groups: each indicator in parallel under its timeout, results cached
 * and shared by concurrent callers, aggregated into the reports the routes serve. Inject it
 * anywhere: it is the one entry point to the module's state.
 */
@Injectable()
export class HealthService implements OnApplicationBootstrap {
  /** @internal */
  constructor(
    private readonly registry: IndicatorRegistry,
    private readonly evaluator: ProbeEvaluator,
    private readonly watcher: ProbeWatcher,
    private readonly readiness: ReadinessState,
    private readonly shutdown: ShutdownCoordinator,
    private readonly events: HealthEvents,
    private readonly probeServer: ProbeServer,
  ) {}

  onApplicationBootstrap(): void {
    this.readiness.bootstrapped = true;
    // With no startup indicator there is nothing to wait for: `started` is true from here on.
    const startup = this.registry.probes.find((probe) => probe.latches);
    if (startup && this.registry.runnersOf(startup).length === 0) {
      void this.evaluator.evaluate(startup);
    }
  }

  /**
   * Whether start-up has completed: the app has bootstrapped and every startup indicator has
   * passed once (observed by the startup or ready probe; at once when there is none).
   */
  get started(): boolean {
    return this.evaluator.started;
  }

  /** Every change of a check's status (`{ check, from, to, output, at }`), for alerts and webhooks. */
  get changes$(): Observable<StatusChange> {
    return this.events.changes.asObservable();
  }

  /**
   * The port the probe server listens on: the `probeServer.port` option, or the free port it was
   * given for `0`. `undefined` when the probe server is off.
   */
  get probeServerPort(): number | undefined {
    return this.probeServer.port;
  }

  /**
   * The probe server's gRPC port: the `probeServer.grpcPort` option, or the free port it was given
   * for `0`. `undefined` when it serves no gRPC.
   */
  get probeServerGrpcPort(): number | undefined {
    return this.probeServer.grpcPort;
  }

  /** Whether a shutdown has begun (a signal, or `beginShutdown()`). */
  get shuttingDown(): boolean {
    return this.readiness.shuttingDown;
  }

  /**
   * Takes the instance out of rotation: readiness fails with `reason` as its output until
   * `markReady()`, whatever the indicators say. Liveness is untouched.
   */
  markNotReady(reason: string): void {
    this.readiness.notReadyReason = reason.trim() || 'not ready';
  }

  /** Puts the instance back into rotation after `markNotReady()`. */
  markReady(): void {
    this.readiness.notReadyReason = undefined;
  }

  /**
   * Hands the application's shutdown over to the health module, in one line of `main.ts`, right
   * after creating it: `app.get(HealthService).handleShutdown(app)`. On a signal (or
   * `beginShutdown()`) readiness fails at once, the application keeps serving for
   * `shutdown.delayMs`, drains, then Nest's own `app.close()` runs every hook, and the process
   * exits 0 once no other application in it is still closing. Use it instead of
   * `app.enableShutdownHooks()`, which holds nothing back on NestJS 11 or without an HTTP server.
   */
  handleShutdown(app: INestApplicationContext): void {
    let own: unknown;
    try {
      own = app.get(HealthService, { strict: false });
    } catch {
      // Not an application with this module: said below.
    }
    if (own !== this) throw new Error(messages.handleShutdownOtherApp);
    this.shutdown.handle(app);
  }

  /**
   * Begins the graceful shutdown a SIGTERM begins: readiness fails at once, the server keeps
   * serving for `shutdown.delayMs`, then the application closes (`handleShutdown()`) and the
   * process exits 0.
   */
  beginShutdown(): void {
    this.shutdown.begin();
  }

  /**
   * The report of a probe or health group, exactly as its route serves it; `exclude` leaves
   * checks out of it (as `?exclude=` does: they are not run), reporting names that match none in
   * `notes`.
   */
  async check(
    probe: ProbeName | (string & {}),
    options: { exclude?: readonly string[] } = {},
  ): Promise<HealthReport> {
    const definition = this.registry.probe(probe);
    if (definition === undefined) throw new Error(this.unknown(probe));
    return (await this.answer(definition, options.exclude)).report;
  }

  /** The report of one check of a probe or group; `undefined` when it has no such check. */
  async checkOne(
    probe: ProbeName | (string & {}),
    name: string,
  ): Promise<HealthReport | undefined> {
    const definition = this.registry.probe(probe);
    if (definition === undefined) return undefined;
    return (await this.answerCheck(definition, name))?.report;
  }

  /**
   * The status of a probe or health group: the current one at once, then every change. While
   * anyone watches, its checks run again as their results expire (at most once a second each;
   * background checks as scheduled), with no probe traffic needed; however many watch, they run no
   * more often than that. Completes when the application closes.
   */
  watch(probe: ProbeName | (string & {})): Observable<HealthStatus> {
    const definition = this.registry.probe(probe);
    if (definition === undefined) return throwError(() => new Error(this.unknown(probe)));
    return this.watcher.results(definition).pipe(
      map((result) => result.status),
      distinctUntilChanged(),
    );
  }

  /** @internal The probes and groups, as transports list them. */
  get probes(): readonly ProbeDefinition[] {
    return this.registry.probes;
  }

  /** @internal A probe or group by its name; `undefined` when there is none. */
  probe(name: string): ProbeDefinition | undefined {
    return this.registry.probe(name);
  }

  /** @internal A probe's result, synchronous when the cache answers. */
  answer(definition: ProbeDefinition, exclude?: readonly string[]): MaybePromise<ProbeResult> {
    return this.evaluator.evaluate(definition, exclude);
  }

  /** @internal One check's result; `undefined` when the probe answers for no check of that name. */
  answerCheck(definition: ProbeDefinition, name: string): MaybePromise<ProbeResult> | undefined {
    if (!definition.answersPerCheck) return undefined;
    return this.evaluator.evaluateCheck(definition, name);
  }

  private unknown(probe: string): string {
    return messages.unknownProbe(
      String(probe),
      this.registry.probes.map((definition) => definition.name),
    );
  }
}
