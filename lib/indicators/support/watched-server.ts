import type { HealthStatus } from '../../interfaces/health-check.interface.js';
import { PendingCall } from './client-call.js';
import { Latest, transportName, type ObservableLike } from './nest-microservices.js';
import { TransportProbe, type TransportReading } from './transport.probe.js';

/** The part of a Nest transport server (`Server` of `@nestjs/microservices`) the indicator uses. */
export interface RpcServerLike {
  /** `Transport.RMQ`..., or a custom strategy's id. */
  readonly transportId?: unknown;
  /** Status changes: `connected`, `disconnected`, `reconnecting`... */
  readonly status?: ObservableLike<string>;
  /** The connection under it (a broker connection, or the TCP listener). */
  unwrap<T>(): T;
}

/** @internal One server's result. */
export interface ServerReading {
  status: HealthStatus;
  output?: string;
  details: Record<string, unknown>;
}

const UP = new Set(['connected', 'unblocked']);
const DEGRADED: Record<string, string> = {
  blocked: 'the broker blocked the connection (resource alarm)',
  rebalancing: 'the consumer group is rebalancing',
};

/**
 * @internal A transport server of the application, followed through its status events: down, it
 * fails at once, even while a round trip is still pending on its connection; up, a round trip on
 * that connection, one still unanswered (its check timed out) waited for, not repeated.
 */
export class WatchedServer {
  private readonly status: Latest<string>;
  private readonly probe: TransportProbe;
  private readonly roundTrip = new PendingCall<ServerReading>();

  constructor(
    readonly server: RpcServerLike,
    topic: string | undefined,
  ) {
    this.status = new Latest(server.status);
    const queue = (server as { queue?: unknown }).queue;
    this.probe = new TransportProbe(typeof queue === 'string' ? queue : undefined, topic);
  }

  /** The server's reading: at once when it is down, else after a round trip. */
  read(signal: AbortSignal): ServerReading | Promise<ServerReading> {
    const { server, status } = this;
    const details: Record<string, unknown> = {
      transport: transportName(server.transportId),
      status: status.value,
    };
    const fail = (output: string): ServerReading => ({ status: 'fail', output, details });
    if (status.value === undefined) {
      return fail('not started (app.startAllMicroservices() or listen() not called yet)');
    }
    if (!UP.has(status.value) && DEGRADED[status.value] === undefined) {
      return fail(`not connected (status: ${status.value})`);
    }
    let handle: unknown;
    try {
      handle = server.unwrap();
      this.probe.assertUp(handle);
    } catch (error) {
      return fail(messageOf(error));
    }
    return this.roundTrip.join(() => this.reading(handle, details), signal);
  }

  /** Lets go of the server's status, and closes the probe's own channel. */
  close(): void {
    this.status.stop();
    this.probe.close();
  }

  private async reading(handle: unknown, details: Record<string, unknown>): Promise<ServerReading> {
    let reading: TransportReading;
    try {
      reading = await this.probe.roundTrip(handle);
    } catch (error) {
      return { status: 'fail', output: messageOf(error), details };
    }
    Object.assign(details, reading.details);
    // Its own queue with no consumer: the server's consumer is gone (its channel closed).
    if (reading.warn !== undefined && reading.details.queue !== undefined) {
      return { status: 'fail', output: reading.warn, details };
    }
    const warn = DEGRADED[this.status.value!] ?? reading.warn;
    return warn === undefined
      ? { status: 'pass', details }
      : { status: 'warn', output: warn, details };
  }
}

function messageOf(error: unknown): string {
  const message = (error as Error | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
