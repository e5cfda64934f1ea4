import { Inject, type InjectionToken } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { messages } from '../../core/health.messages.js';
import { assertName } from './setting.rules.js';

/**
 * Where an indicator finds its client when `register()` is given no `client` token: the provider
 * of a Nest integration (`@nestjs/typeorm`'s DataSource...), injected once the application starts.
 */
export interface ClientLocation {
  /** The integration package the token comes from; start-up stops when it is not installed. */
  readonly package: string;
  /** The injection token, loaded from that package only now. */
  token(): Promise<InjectionToken>;
  /** What the application lacks, and what to change, when nothing is provided under the token. */
  readonly missing: string;
}

/**
 * @internal The application's provider under the location's token, injected as a constructor
 * parameter would be: Nest creates it first if it has not yet (an async factory, such as a
 * connection, is awaited), and only the providers the module can see are found.
 */
export async function locateClient(
  moduleRef: ModuleRef,
  location: ClientLocation,
  label: string,
): Promise<unknown> {
  const token = await location.token();
  class Located {
    constructor(readonly client: unknown) {}
  }
  Inject(token)(Located, undefined, 0);
  try {
    return (await moduleRef.create(Located)).client;
  } catch (error) {
    if ((error as object | null)?.constructor?.name !== 'UnknownDependenciesException') throw error;
    throw new Error(messages.clientNotFound(label, location.missing), { cause: error });
  }
}

/** @internal The Nest integration of an ORM, as far as an indicator finds its connection there. */
export interface OrmIntegration {
  /** The package the token comes from (`@nestjs/typeorm`); start-up stops when it is missing. */
  readonly package: string;
  /** The indicator's setting that names a connection (`dataSource`). */
  readonly setting: string;
  /** What a valid name is, said in the start-up error of a bad one. */
  readonly valid: string;
  /** What it provides, as the start-up error says it (`TypeORM DataSource`). */
  readonly provides: string;
  /** Its module, and the option of `forRoot()` that names a connection (`name`, `contextName`). */
  readonly module: string;
  readonly nameOption: string;
  /** The arguments of `forRoot()` before its options, when it has some (`uri`, for Mongoose). */
  readonly leading?: string;
  /** Where the module comes from, when it is not said by its name (`@mikro-orm/nestjs`). */
  readonly from?: string;
  /** What the application passes as `client` instead (`DataSource`). */
  readonly yours: string;
  /** The token of the connection named; of the default one when `name` is undefined. */
  token(name: string | undefined): Promise<InjectionToken>;
}

/** @internal Where an ORM indicator finds its connection: by the name its settings give, if any. */
export function ormLocation(
  indicator: string,
  orm: OrmIntegration,
  settings: Record<string, unknown>,
): ClientLocation {
  const name = settings[orm.setting];
  const named = typeof name === 'string';
  const which = orm.nameOption === 'name' ? 'named' : `with ${orm.nameOption}`;
  const leading = orm.leading === undefined ? [] : [orm.leading];
  const forRoot = [...leading, ...(named ? [`{ ${orm.nameOption}: '${name}', ... }`] : [])];
  return {
    package: orm.package,
    token: async () => {
      assertOrmName(indicator, orm, settings);
      return orm.token(name as string | undefined);
    },
    missing:
      `the application provides no ${orm.provides}${named ? ` ${which} "${name}"` : ''}. ` +
      `Import ${orm.module}.forRoot(${forRoot.join(', ')}) (or forRootAsync())${orm.from === undefined ? '' : ` from ${orm.from}`} in the application, ` +
      `${named ? `correct "${orm.setting}", ` : ''}or pass the injection token of your ${orm.yours} as "client".`,
  };
}

/** @internal Throws at start-up unless the settings' connection name, when given, is a name. */
export function assertOrmName(indicator: string, orm: OrmIntegration, settings: object): void {
  assertName(indicator, orm.setting, (settings as Record<string, unknown>)[orm.setting], orm.valid);
}
