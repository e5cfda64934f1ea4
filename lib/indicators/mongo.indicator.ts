import type { OnModuleDestroy } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import {
  assertCommand,
  DEFAULT_COMMAND,
  isMongoClient,
  isMongoDb,
  mongoNotConnected,
  MongoRoundTrip,
  type MongoClientLike,
  type MongoCommand,
  type MongoDbLike,
} from './support/mongo-command.js';
import type { Discovery } from './support/discovery.js';
import { hasMethod, settingKeysOf } from './support/setting.rules.js';

/** Settings of `MongoHealthIndicator`. */
export interface MongoIndicatorSettings {
  /**
   * The application's own `MongoClient` (the command goes to its `admin` database), or a `Db` of
   * it (the command goes there): the indicator never opens a connection of its own.
   */
  client: MongoClientLike | MongoDbLike;
  /** The command sent on every check. Default `{ ping: 1 }`. */
  command?: MongoCommand;
}

/**
 * Checks the application's MongoDB client: a round trip, `{ ping: 1 }` on the `admin` database
 * (or the command and database you give), never the driver's idea of its connection. It fails at
 * once while the driver's monitor reaches no server, with its reason; the check's timeout bounds
 * the rest: server selection, the wait for a pooled connection, and the answer.
 *
 * @example
 * MongoHealthIndicator.register({ client: MONGO_CLIENT, name: 'mongodb', timeoutMs: 500 })
 */
export class MongoHealthIndicator
  extends BuiltInIndicator<MongoIndicatorSettings>
  implements OnModuleDestroy
{
  static override readonly defaults = { name: 'mongodb', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<MongoIndicatorSettings>('client', 'command');
  static override readonly peer: string = 'mongodb';
  /** @internal A MongoClient (not a Db): one nothing has connected is not connected. */
  static override readonly discovery: Discovery<MongoClientLike> = {
    kind: 'MongoClient',
    words: ['mongo', 'mongodb'],
    recognises: (value): value is MongoClientLike =>
      isMongoClient(value) &&
      ['connect', 'close', 'startSession', 'watch'].every((method) => hasMethod(value, method)),
    notConnected: mongoNotConnected,
  };

  private readonly roundTrip: MongoRoundTrip;

  constructor(settings: MongoIndicatorSettings) {
    super(settings);
    this.roundTrip = new MongoRoundTrip(settings.command ?? DEFAULT_COMMAND, 'client closed');
    // Heard from now on: an outage that begins later is known as soon as the driver knows it.
    this.roundTrip.follow(settings.client);
  }

  protected override validate(settings: MongoIndicatorSettings): void {
    const name = this.constructor.name;
    const client = settings.client as unknown;
    if (!isMongoClient(client) && !isMongoDb(client)) {
      const expected = 'a MongoClient or a Db of the MongoDB driver ("mongodb")';
      throw new Error(messages.badClient(name, expected, ['db'], client));
    }
    assertCommand(name, settings.command);
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    return this.roundTrip.run(this.settings.client, signal);
  }

  /** @internal A Db's client is checked too. */
  override checkedClients(): readonly unknown[] {
    const { client } = this.settings;
    return isMongoDb(client) ? [client, client.client] : [client];
  }

  /** Lets go of the client's events. */
  onModuleDestroy(): void {
    this.roundTrip.release();
  }
}
