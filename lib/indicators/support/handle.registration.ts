import type { InjectionToken, Provider } from '@nestjs/common';
import {
  BuiltInIndicator,
  labelOf,
  splitOptions,
  type BuiltInClass,
  type RegisterAsyncOptions,
} from './built-in.indicator.js';

/** @internal How `register()` finds an indicator's handle in DI. */
export interface HandleLookup {
  /** The settings key the handle fills (`queue`, `client`). */
  key: string;
  /** The DI token the application provides the handle under. */
  token: InjectionToken;
  /**
   * The start-up error when nothing is provided under `token`, given the registration's name
   * (`BullMqHealthIndicator(bullmq)`): what to register, and where.
   */
  missing: (indicator: string) => string;
  /** More tokens, handed to `settings` after the handle. */
  inject?: InjectionToken[];
  /** The settings from what was injected; default: the handle under `key`. */
  settings?: (handle: unknown, ...more: unknown[]) => Record<string, unknown>;
}

/**
 * @internal `register()` for an indicator whose handle the application provides under a token it
 * does not name itself (a queue registered by name, a microservice client): the handle is injected
 * as optional, so a missing one stops start-up with `missing` (what to register) instead of Nest's
 * generic "can't resolve dependencies".
 */
export function registerWithHandle<S>(
  cls: BuiltInClass<S>,
  options: Record<string, unknown>,
  lookup: HandleLookup,
): Provider {
  const { decorator, settings } = splitOptions(options, lookup.key);
  const missing = lookup.missing(labelOf(cls, decorator));
  return BuiltInIndicator.registerAsync.call<BuiltInClass<S>, [RegisterAsyncOptions<S>], Provider>(
    cls,
    {
      ...decorator,
      inject: [{ token: lookup.token, optional: true }, ...(lookup.inject ?? [])],
      useFactory: ((handle: unknown, ...more: unknown[]) => {
        if (handle === undefined || handle === null) throw new Error(missing);
        const found = lookup.settings?.(handle, ...more) ?? { [lookup.key]: handle };
        return { ...settings, ...found } as S;
      }) as RegisterAsyncOptions<S>['useFactory'],
    },
  );
}
