import type { InjectionToken, OnModuleDestroy } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import {
  assertOrmName,
  ormLocation,
  type ClientLocation,
  type OrmIntegration,
} from './support/client-location.js';
import {
  assertCommand,
  DEFAULT_COMMAND,
  isMongoClient,
  mongoNotConnected,
  MongoRoundTrip,
  type MongoClientLike,
  type MongoCommand,
} from './support/mongo-command.js';
import type { Discovery } from './support/discovery.js';
import { hasMethod, settingKeysOf } from './support/setting.rules.js';

/** A Mongoose `Connection` (`mongoose.connection`, `createConnection()`, `@InjectConnection()`). */
export interface MongooseConnectionLike {
  /** 0 disconnected, 1 connected, 2 connecting, 3 disconnecting, 99 uninitialized. */
  readonly readyState: number;
  /** Its MongoClient, once it has one. */
  getClient(): MongoClientLike | undefined | null;
}

/** Settings of `MongooseHealthIndicator`. */
export interface MongooseIndicatorSettings {
  /**
   * The application's Mongoose `Connection`: with `register()`, the token it is provided under.
   * Left out, the one `@nestjs/mongoose` provides (`MongooseModule.forRoot()`) is injected.
   */
  client?: MongooseConnectionLike;
  /** The `connectionName` of the `@nestjs/mongoose` connection. Default: the default one. */
  connectionName?: string;
  /** The command sent on every check (to the `admin` database). Default `{ ping: 1 }`. */
  command?: MongoCommand;
}

const INTEGRATION = '@nestjs/mongoose';

/** Where `register()` finds the connection when given no `client` token. */
const NEST_MONGOOSE: OrmIntegration = {
  package: INTEGRATION,
  setting: 'connectionName',
  valid: `the connectionName of a connection of ${INTEGRATION} (MongooseModule.forRoot(uri, { connectionName }))`,
  provides: 'Mongoose connection',
  module: 'MongooseModule',
  nameOption: 'connectionName',
  leading: 'uri',
  yours: 'Mongoose Connection',
  token: async (name) => {
    const nest = (await import(INTEGRATION)) as {
      getConnectionToken(name?: string): InjectionToken;
    };
    return nest.getConnectionToken(name);
  },
};

/** What `validate()` asks of a connection. */
const isConnection = (value: unknown): value is MongooseConnectionLike =>
  hasMethod(value, 'getClient') &&
  typeof (value as Partial<MongooseConnectionLike>).readyState === 'number';

/** Why a connection that is not connected, or has no client, is not checked. */
const NOT_CHECKED: Record<number, string> = {
  2: 'not connected yet (readyState: connecting)',
  3: 'closing (readyState: disconnecting)',
  99: 'not connected (readyState: uninitialized)',
};

/**
 * A Mongoose connection, by default the one `@nestjs/mongoose` provides: its MongoClient
 * (`connection.getClient()`) is checked as `MongoHealthIndicator` checks a client, with a round
 * trip, whatever `readyState` says (it stays 1 through a replica-set election). A connection still
 * opening, closing or closed fails at once, saying so.
 */
export class MongooseHealthIndicator
  extends BuiltInIndicator<MongooseIndicatorSettings>
  implements OnModuleDestroy
{
  static override readonly defaults = { name: 'mongoose', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<MongooseIndicatorSettings>(
    'client',
    'connectionName',
    'command',
  );
  static override readonly peer: string = 'mongoose';
  /** @internal Its MongoClient, in DI too, is checked through it. */
  static override readonly discovery: Discovery<MongooseConnectionLike> = {
    kind: 'Mongoose connection',
    words: ['mongoose', 'mongo', 'mongodb'],
    recognises: (value): value is MongooseConnectionLike =>
      isConnection(value) &&
      ['openUri', 'model', 'startSession'].every((method) => hasMethod(value, method)),
    notConnected: (connection) => {
      const client = connection.getClient();
      return isMongoClient(client) ? mongoNotConnected(client) : undefined;
    },
    wraps: (connection) => [connection.getClient()],
  };

  static override locate(settings: Record<string, unknown>): ClientLocation {
    return ormLocation(this.name, NEST_MONGOOSE, settings);
  }

  private readonly roundTrip: MongoRoundTrip;

  constructor(settings: MongooseIndicatorSettings) {
    super(settings);
    this.roundTrip = new MongoRoundTrip(settings.command ?? DEFAULT_COMMAND, 'connection closed');
    const client = settings.client!.getClient();
    // Heard from now on: an outage that begins later is known as soon as the driver knows it.
    if (isMongoClient(client)) this.roundTrip.follow(client);
  }

  protected override validate(settings: MongooseIndicatorSettings): void {
    const name = this.constructor.name;
    const connection = settings.client;
    if (!isConnection(connection)) {
      const expected = 'a Mongoose Connection (with readyState)';
      throw new Error(messages.badClient(name, expected, ['getClient'], connection));
    }
    assertOrmName(name, NEST_MONGOOSE, settings);
    assertCommand(name, settings.command);
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    const connection = this.settings.client!;
    const state = connection.readyState;
    const client = connection.getClient();
    // Disconnected (0) is also what a connection that lost its server says: the round trip tells.
    const why =
      NOT_CHECKED[state] ?? (isMongoClient(client) ? undefined : 'not connected (no client)');
    if (why !== undefined) return Promise.reject(new Error(why));
    return this.roundTrip.run(client!, signal);
  }

  /** Lets go of the client's events. */
  onModuleDestroy(): void {
    this.roundTrip.release();
  }
}
