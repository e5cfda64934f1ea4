import type { OnApplicationBootstrap, OnModuleDestroy, Provider } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  labelOf,
  type BuiltInClass,
  type IndicatorOptions,
  type RegisterOptions,
} from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';
import { registerWithHandle } from './support/handle.registration.js';
import {
  serverRegistryLookup,
  transportName,
  type ObservableLike,
} from './support/nest-microservices.js';
import { WatchedServer, type RpcServerLike } from './support/watched-server.js';

export type { RpcServerLike } from './support/watched-server.js';

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

/** `Transport.GRPC` and `Transport.KAFKA`: no server of either could be tested here. */
const UNSUPPORTED: Record<number, string> = { 4: 'gRPC', 6: 'Kafka' };

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
  static override readonly settingKeys = settingKeysOf<MicroserviceServerIndicatorSettings>(
    'transport',
    'servers',
    'topic',
  );
  static override readonly peer = '@nestjs/microservices';

  private readonly watched: WatchedServer[] = [];
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
    const lookup = serverRegistryLookup(labelOf(this, (options ?? {}) as IndicatorOptions));
    return registerWithHandle(this, (options ?? {}) as Record<string, unknown>, lookup);
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
    if (this.watched.length === 0) throw new Error('no microservice server in this application');
    // Down servers fail at once; the others' round trips run together.
    const results = await Promise.all(this.watched.map((server) => server.read(signal)));
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
    };
    if (outputs.length > 0) result.output = outputs.join('; ');
    return result;
  }

  /** Lets go of the registry and of every server's status, and closes its own channels. */
  onModuleDestroy(): void {
    this.subscription.unsubscribe();
    for (const server of this.watched.splice(0)) server.close();
  }

  private watch(candidate: unknown): void {
    const server = candidate as RpcServerLike;
    if (typeof server?.unwrap !== 'function') return;
    const { transport, topic } = this.settings;
    if (transport !== undefined && server.transportId !== transport) return;
    this.watched.push(new WatchedServer(server, topic));
  }
}
