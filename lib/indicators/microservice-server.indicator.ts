import type { OnApplicationBootstrap, OnModuleDestroy, Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { messages } from '../core/health.messages.js';
import { rpcServerRegistry, SERVER_REGISTRY_RELEASE } from '../lifecycle/nest.internals.js';
import type { CheckResult, HealthStatus } from '../interfaces/health-check.interface.js';
import {
  abortable,
  BuiltInIndicator,
  elapsed,
  type BuiltInClass,
  type IndicatorOptions,
  type RegisterOptions,
} from './built-in.indicator.js';
import { registerWithHandle } from './handle.registration.js';
import {
  Latest,
  TransportProbe,
  transportName,
  type ObservableLike,
  type TransportReading,
} from './transport.probe.js';

/** The part of a Nest transport server (`Server` of `@nestjs/microservices`) the indicator uses. */
export interface RpcServerLike {
  /** `Transport.RMQ`..., or a custom strategy's id. */
  readonly transportId?: unknown;
  /** Status changes: `connected`, `disconnected`, `reconnecting`... */
  readonly status?: ObservableLike<string>;
  /** The connection under it (a broker connection, or the TCP listener). */
  unwrap<T>(): T;
}

/** Settings of `MicroserviceServerHealthIndicator`. */
export interface MicroserviceServerIndicatorSettings {
  /**
   * Which of the application's servers to check: a Nest `Transport` (`Transport.RMQ`) or a custom
   * strategy's `transportId`. Default: every one.
   */
  transport?: number | symbol;
  /**
   * The application's transport servers, as they are created. `register()` gives every one of
   * the application's (`ModulesContainer.getRpcTargetRegistry()` of `@nestjs/core`).
   */
  servers?: ObservableLike<unknown>;
  /** MQTT only: where the health message is published. Default `health/<clientId>`. */
  topic?: string;
}

/** One server's result. */
interface Reading {
  status: HealthStatus;
  output?: string;
  details: Record<string, unknown>;
}

/** One server's result. */
interface Reading {
  status: HealthStatus;
  output?: string;
  details: Record<string, unknown>;
}

/** A server whose connection is up: the round trip comes next. */
interface Up {
  watched: Watched;
  handle: unknown;
  details: Record<string, unknown>;
}

/** A server found, its latest status, and the probe of its connection. */
interface Watched {
  server: RpcServerLike;
  status: Latest<string>;
  probe: TransportProbe;
}

const UP = new Set(['connected', 'unblocked']);
/** `Transport.GRPC` and `Transport.KAFKA`: no server of either could be tested here. */
const UNSUPPORTED: Record<number, string> = { 4: 'gRPC', 6: 'Kafka' };
const DEGRADED: Record<string, string> = {
  blocked: 'the broker blocked the connection (resource alarm)',
  rebalancing: 'the consumer group is rebalancing',
};

/**
 * Checks the application's own microservice servers (`app.connectMicroservice()`,
 * `NestFactory.createMicroservice()`): found through Nest's registry of transport servers, each
 * followed through its status events, so a consumer whose broker connection dropped fails at once
 * (`not connected (status: reconnecting)`); while connected, a round trip on its own connection
 * (Redis PING, NATS PING, RabbitMQ passive declare of its queue, which must have a consumer,
 * MQTT publish QoS 1; TCP: listening). Without any server at start-up, start-up stops.
 *
 * @example
 * MicroserviceServerHealthIndicator.register({ name: 'orders-consumer', transport: Transport.RMQ })
 */
export class MicroserviceServerHealthIndicator
  extends BuiltInIndicator<MicroserviceServerIndicatorSettings>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  static override readonly defaults = { name: 'microservice-server', componentType: 'component' };
  static override readonly settingKeys = [
    'transport',
    'servers',
    'topic',
  ] satisfies readonly (keyof MicroserviceServerIndicatorSettings)[];
  static override readonly peer = '@nestjs/microservices';

  private readonly watched: Watched[] = [];
  private readonly subscription: { unsubscribe(): void };

  constructor(settings: MicroserviceServerIndicatorSettings) {
    super(settings);
    // A replaying registry: the servers created so far now, later ones as they come.
    this.subscription = settings.servers!.subscribe({
      next: (server) => this.watch(server),
      error: () => undefined,
    });
  }

  /** A provider in one line, watching the application's servers (all, or those of `transport`). */
  static override register<S>(this: BuiltInClass<S>, options: RegisterOptions<S>): Provider {
    // Servers given (an observable of your own): registered as they are.
    if ((options as { servers?: unknown } | undefined)?.servers !== undefined) {
      return BuiltInIndicator.register.call<BuiltInClass<S>, [RegisterOptions<S>], Provider>(
        this,
        options,
      );
    }
    const name = (options as IndicatorOptions | undefined)?.name ?? this.defaults.name;
    const indicator = `${this.name}(${String(name)})`;
    return registerWithHandle(this, (options ?? {}) as Record<string, unknown>, {
      key: 'servers',
      token: ModulesContainer,
      // Always there: @nestjs/core provides it to every module.
      missing: `${indicator} found no ModulesContainer of @nestjs/core.`,
      settings: (modules) => {
        const servers = rpcServerRegistry(modules as ModulesContainer);
        if (servers === undefined) {
          throw new Error(
            `${indicator} needs the registry of transport servers of @nestjs/core ${SERVER_REGISTRY_RELEASE} or later (ModulesContainer.getRpcTargetRegistry()). Upgrade @nestjs/core.`,
          );
        }
        return { servers };
      },
    });
  }

  protected override validate(settings: MicroserviceServerIndicatorSettings): void {
    const name = this.constructor.name;
    const { transport, servers } = settings;
    if (transport !== undefined && typeof transport !== 'number' && typeof transport !== 'symbol') {
      throw new Error(
        messages.badSetting(
          name,
          'transport',
          transport,
          "a Transport of @nestjs/microservices (Transport.RMQ...) or a custom strategy's transportId",
        ),
      );
    }
    if (typeof (servers as { subscribe?: unknown } | undefined)?.subscribe !== 'function') {
      throw new Error(
        messages.badSetting(
          name,
          'servers',
          servers,
          "an observable of the transport servers; register() gives the application's own",
        ),
      );
    }
  }

  /** No server to watch once the application has started: a server created too late, or none. */
  onApplicationBootstrap(): void {
    const unsupported = this.watched.find(({ server }) => UNSUPPORTED[Number(server.transportId)]);
    if (unsupported !== undefined) {
      const transport = UNSUPPORTED[Number(unsupported.server.transportId)];
      throw new Error(
        `${messages.transportUnsupported(this.constructor.name, transport)} With other servers in the application, choose theirs with "transport".`,
      );
    }
    if (this.watched.length > 0) return;
    const { transport } = this.settings;
    const which =
      transport === undefined
        ? 'microservice server'
        : `${transportName(transport).toUpperCase()} microservice server`;
    throw new Error(
      `${this.constructor.name} found no ${which} in this application. Create it before the application starts: app.connectMicroservice({ transport, options }) before app.init() or app.listen(), or NestFactory.createMicroservice(); or remove the indicator.`,
    );
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const started = performance.now();
    if (this.watched.length === 0) throw new Error('no microservice server in this application');
    // Down servers fail at once, even while a round trip is still pending on their connection;
    // the others' round trips run together, and one still unanswered (its check timed out) is
    // waited for, not repeated.
    const states = this.watched.map((watched) => this.state(watched));
    const up = states.filter((state): state is Up => 'handle' in state);
    const trips =
      up.length === 0
        ? []
        : await abortable(
            this.singleFlight(() => Promise.all(up.map((state) => this.roundTrip(state)))),
            signal,
          );
    const results = states.map((state) => ('handle' in state ? trips[up.indexOf(state)] : state));
    const worst = results.some((r) => r.status === 'fail')
      ? 'fail'
      : results.some((r) => r.status === 'warn')
        ? 'warn'
        : 'pass';
    const several = results.length > 1;
    const outputs = results
      .filter((r) => r.output !== undefined)
      .map((r) => (several ? `${String(r.details.transport)}: ${r.output}` : r.output));
    const result: CheckResult = {
      status: worst,
      details: several ? { servers: results.map((r) => r.details) } : results[0].details,
      observedValue: elapsed(started),
      observedUnit: 'ms',
    };
    if (outputs.length > 0) result.output = outputs.join('; ');
    return result;
  }

  /** Lets go of the registry and of every server's status, and closes its own channels. */
  onModuleDestroy(): void {
    this.subscription.unsubscribe();
    for (const { status, probe } of this.watched.splice(0)) {
      status.stop();
      probe.close();
    }
  }

  private watch(candidate: unknown): void {
    const server = candidate as RpcServerLike;
    if (typeof server?.unwrap !== 'function') return;
    const { transport, topic } = this.settings;
    if (transport !== undefined && server.transportId !== transport) return;
    const queue = (server as { queue?: unknown }).queue;
    this.watched.push({
      server,
      status: new Latest(server.status),
      probe: new TransportProbe(typeof queue === 'string' ? queue : undefined, topic),
    });
  }

  /** A server's state now, without a round trip: down (a failed reading), or up with its connection. */
  private state(watched: Watched): Reading | Up {
    const { server, status } = watched;
    const details: Record<string, unknown> = {
      transport: transportName(server.transportId),
      status: status.value,
    };
    const fail = (output: string): Reading => ({ status: 'fail', output, details });
    if (status.value === undefined) {
      return fail('not started (app.startAllMicroservices() or listen() not called yet)');
    }
    if (!UP.has(status.value) && DEGRADED[status.value] === undefined) {
      return fail(`not connected (status: ${status.value})`);
    }
    try {
      const handle = server.unwrap();
      watched.probe.assertUp(handle);
      return { watched, handle, details };
    } catch (error) {
      return fail(messageOf(error));
    }
  }

  private async roundTrip({ watched, handle, details }: Up): Promise<Reading> {
    let reading: TransportReading;
    try {
      reading = await watched.probe.roundTrip(handle);
    } catch (error) {
      return { status: 'fail', output: messageOf(error), details };
    }
    Object.assign(details, reading.details);
    // Its own queue with no consumer: the server's consumer is gone (its channel closed).
    if (reading.warn !== undefined && reading.details.queue !== undefined) {
      return { status: 'fail', output: reading.warn, details };
    }
    const warn = DEGRADED[watched.status.value!] ?? reading.warn;
    return warn === undefined
      ? { status: 'pass', details }
      : { status: 'warn', output: warn, details };
  }
}

function messageOf(error: unknown): string {
  const message = (error as Error | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
