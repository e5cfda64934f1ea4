import { Inject, type InjectionToken } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { messages } from '../../health.messages.js';

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
