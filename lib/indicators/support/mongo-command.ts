import { messages } from '../../core/health.messages.js';
import type { CheckResult } from '../../interfaces/health-check.interface.js';
import { PendingCall } from './client-call.js';
import { hasEvents, TopologyWatch, Unreachable } from './mongo-topology.js';
import { hasMethod } from './setting.rules.js';

/*
 * The MongoDB driver's types are declared here, as far as the indicators use them: `mongodb` and
 * `mongoose` are optional peers, and mongoose may bring a copy of the driver of its own, so the
 * library imports nothing from them and recognises a client by its shape, never `instanceof`.
 */

/** A command document: its first key names the command (`{ ping: 1 }`). */
export type MongoCommand = Record<string, unknown>;

/** A `Db` of the MongoDB driver (`client.db(name)`). */
export interface MongoDbLike {
  readonly databaseName: string;
  /** `signal` (driver 6.13 and later) withdraws the command, wherever it stands. */
  command(command: MongoCommand, options?: { signal?: AbortSignal }): Promise<unknown>;
  /** The client it belongs to (drivers 5 and later). */
  readonly client?: unknown;
}

/** A `MongoClient` of the MongoDB driver, connected or not (its first command connects it). */
export interface MongoClientLike {
  db(name?: string): MongoDbLike;
}

/** @internal A `Db`, told from a client by its shape. */
export function isMongoDb(value: unknown): value is MongoDbLike {
  return (
    hasMethod(value, 'command') &&
    typeof (value as { databaseName?: unknown }).databaseName === 'string'
  );
}

/** @internal A `MongoClient`, told from a `Db` by its shape. */
export function isMongoClient(value: unknown): value is MongoClientLike {
  return hasMethod(value, 'db') && !isMongoDb(value);
}

/**
 * @internal Why a check would connect `client`: a MongoClient nothing has connected (its first
 * command would); undefined once it has connected, or was closed (it then fails saying so).
 */
export function mongoNotConnected(client: unknown): string | undefined {
  const { topology, s } = (client ?? {}) as { topology?: unknown; s?: { hasBeenClosed?: unknown } };
  if (topology !== undefined && topology !== null) return undefined;
  if (s?.hasBeenClosed === true) return undefined;
  return 'not connected: nothing has connected this MongoClient yet';
}

/** @internal The command a check runs when its settings name none. */
export const DEFAULT_COMMAND: MongoCommand = Object.freeze({ ping: 1 });

/** @internal Throws at start-up unless `command`, when given, is a command document. */
export function assertCommand(indicator: string, command: unknown): void {
  if (command === undefined) return;
  const document =
    typeof command === 'object' && command !== null && !Array.isArray(command)
      ? Object.keys(command)
      : [];
  if (document.length === 0) {
    const valid = 'a command document whose first key names the command, such as { ping: 1 }';
    throw new Error(messages.badSetting(indicator, 'command', command, valid));
  }
}

const messageOf = (error: unknown) => {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : String(error);
};

/**
 * @internal A command sent to a MongoDB deployment through the application's client, its answer
 * awaited: the round trip of a check, bounded by the check's signal.
 *
 * The signal goes to the driver (`{ signal }`), which withdraws the command wherever it stands:
 * waiting for a server to be selected, for a connection of the pool, or for the answer (the
 * connection is then closed, not returned to the pool). The driver's own client-side timeout
 * (`timeoutMS`) is no substitute: a no-op from mongodb 7.8. A driver that ignores the signal
 * leaves its command running: the next checks wait for it (`PendingCall`) rather than send more.
 */
export class MongoRoundTrip {
  private readonly call = new PendingCall<unknown>();
  private readonly name: string;
  private watch?: TopologyWatch;

  constructor(
    private readonly command: MongoCommand,
    /** The output when the client was closed by the application. */
    private readonly closed: string,
  ) {
    this.name = Object.keys(command)[0];
  }

  /** The command sent through `target` (to `admin` on a client), and awaited. */
  async run(target: MongoClientLike | MongoDbLike, signal: AbortSignal): Promise<CheckResult> {
    const db = isMongoDb(target) ? target : target.db('admin');
    const watch = this.follow(target);
    // Withdrawn once this check is decided without it (the monitor failed first).
    const own = new AbortController();
    const answer = this.call.join(
      () => db.command(this.command, { signal: AbortSignal.any([signal, own.signal]) }),
      signal,
    );
    // While the monitor reaches no server, the command waits for one to be found: the monitor's
    // verdict (which the waiting command asks for at once) decides instead, if it fails.
    const verdict = watch?.verdict();
    try {
      await (verdict ? Promise.race([answer, verdict.failed]) : answer);
    } catch (error) {
      throw this.failed(error, signal);
    } finally {
      verdict?.cancel();
      own.abort();
    }
    return { details: { command: this.name, database: db.databaseName } };
  }

  /**
   * Follows the topology of `target`'s client from now on (as early as it is known: what the
   * monitor says before is not heard). One client at a time: a Mongoose connection may change it.
   */
  follow(target: MongoClientLike | MongoDbLike): TopologyWatch | undefined {
    const client = isMongoDb(target) ? target.client : target;
    if (this.watch?.client === client) return this.watch;
    this.release();
    if (hasEvents(client)) this.watch = new TopologyWatch(client);
    return this.watch;
  }

  /** Lets go of the client's events. */
  release(): void {
    this.watch?.close();
    this.watch = undefined;
  }

  private failed(error: unknown, signal: AbortSignal): unknown {
    if (signal.aborted) return signal.reason;
    if (error instanceof Unreachable) return error;
    // Thrown by a client that was closed: a closed client never connects again.
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'MongoNotConnectedError') return new Error(this.closed);
    // The driver's errors carry their cause's message already: it is not repeated.
    return new Error(`${this.name} failed: ${messageOf(error)}`);
  }
}
