import type { InjectionToken, OptionalFactoryDependency, Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicator } from '../../decorators/health-indicator.decorator.js';
import { messages } from '../../core/health.messages.js';
import { INDICATOR_OPTION_KEYS } from '../../options/health.options.js';
import type { CheckResult, HealthCheck } from '../../interfaces/health-check.interface.js';
import type { HealthIndicatorOptions } from '../../interfaces/health-indicator-options.interface.js';
import { locateClient, type ClientLocation } from './client-location.js';
import { isInstalled } from '../../core/peers.js';
import type { Discovery } from './discovery.js';

export type { ClientLocation } from './client-location.js';

/** The `@HealthIndicator()` options of a built-in indicator: all optional, `name` has a default. */
export type IndicatorOptions = Partial<HealthIndicatorOptions>;

/**
 * What `register()` takes: the indicator's settings and its decorator options in one object. For
 * an indicator of a client, `client` is the DI token of the application's own client (optional
 * where the indicator finds the client of a Nest integration itself).
 */
export type RegisterOptions<S> = IndicatorOptions &
  ('client' extends keyof S
    ? Omit<S, 'client'> &
        (undefined extends S['client'] ? { client?: InjectionToken } : { client: InjectionToken })
    : S);

/** What `registerAsync()` takes: decorator options, and a factory of the settings. */
export interface RegisterAsyncOptions<S> extends IndicatorOptions {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...dependencies: never[]) => S | Promise<S>;
}

/** A concrete built-in indicator class, as its static methods see it. */
export interface BuiltInClass<S> {
  new (settings: S): BuiltInIndicator<S>;
  readonly name: string;
  readonly defaults: IndicatorOptions;
  readonly settingKeys?: readonly string[];
  readonly peer?: string;
  /** @internal */
  readonly discovery?: Discovery;
  locate?(settings: Record<string, unknown>): ClientLocation | undefined;
}

/**
 * The base of every built-in indicator. Extend it to customise one (decorate your subclass with
 * `@HealthIndicator()` as usual), or register one in a line with `register()`/`registerAsync()`.
 */
export abstract class BuiltInIndicator<S> implements HealthCheck {
  /** Decorator defaults of the indicator (`name`, `componentType`...). */
  static readonly defaults: IndicatorOptions = {};
  /** The npm package its client comes from, required at start-up; none for in-process ones. */
  static readonly peer?: string;
  /**
   * Every key its settings may have: any other (a typo such as `timeout`) stops start-up. A
   * subclass that adds settings extends the list; left undefined, settings are not checked.
   */
  static readonly settingKeys?: readonly string[];
  /** @internal How `autoIndicators` finds its clients; none: it finds none. */
  static readonly discovery?: Discovery;

  constructor(protected readonly settings: S) {
    const cls = this.constructor as typeof BuiltInIndicator;
    if (cls.peer && !isInstalled(cls.peer)) {
      throw new Error(messages.peerMissing(cls.name, cls.peer));
    }
    // A registerAsync() factory can return anything: every validate() may assume an object.
    if (typeof settings !== 'object' || settings === null) {
      throw new Error(messages.badSetting(cls.name, 'settings', settings, 'an object'));
    }
    assertKnownKeys(cls, settings);
    this.validate(settings);
  }

  /**
   * Where `register()` finds the client when given no `client` token; undefined (the default):
   * `client` is required. An indicator of a Nest integration's client returns its token here.
   */
  static locate?(settings: Record<string, unknown>): ClientLocation | undefined;

  /** Throws, at start-up, what to change when the settings cannot work. */
  protected validate(_settings: S): void {}

  abstract check(signal: AbortSignal): Promise<CheckResult | void>;

  /**
   * @internal The application's clients this indicator checks (its `client`, or its `queue`), so
   * that auto-discovery adds no second check of them.
   */
  checkedClients(): readonly unknown[] {
    const { client, queue } = this.settings as { client?: unknown; queue?: unknown };
    return [client, queue].filter((held) => typeof held === 'object' && held !== null);
  }

  /**
   * A provider of this indicator, in one line:
   * `PostgresHealthIndicator.register({ client: PG_POOL, name: 'database' })`.
   */
  static register<S>(this: BuiltInClass<S>, options: RegisterOptions<S>): Provider {
    const { decorator, settings } = splitOptions(options as Record<string, unknown>);
    const client = settings.client as InjectionToken | undefined;
    if ('client' in settings && client === undefined) {
      throw new Error(messages.clientTokenMissing(this.name));
    }
    const location = client === undefined ? this.locate?.(settings) : undefined;
    if (location) {
      const label = labelOf(this, decorator);
      return bind(this, decorator, [ModuleRef], async (moduleRef: unknown) => {
        // A typo in a setting must not send the search elsewhere (to the default client).
        assertKnownKeys({ name: label, settingKeys: this.settingKeys }, settings);
        for (const pkg of [this.peer, location.package]) {
          if (pkg && !isInstalled(pkg)) throw new Error(messages.peerMissing(label, pkg));
        }
        const found = await locateClient(moduleRef as ModuleRef, location, label);
        return { ...settings, client: found } as S;
      });
    }
    const inject = client === undefined ? [] : [client];
    return bind(
      this,
      decorator,
      inject,
      (...deps: unknown[]) =>
        (client === undefined ? settings : { ...settings, client: deps[0] }) as S,
    );
  }

  /** A provider whose settings come from a factory (configuration, other providers). */
  static registerAsync<S>(this: BuiltInClass<S>, options: RegisterAsyncOptions<S>): Provider {
    const { inject = [], useFactory, ...rest } = options;
    const { decorator } = splitOptions(rest as Record<string, unknown>);
    return bind(this, decorator, inject, useFactory as (...deps: unknown[]) => S | Promise<S>);
  }
}

const isOption = ([key]: [string, unknown]) =>
  INDICATOR_OPTION_KEYS.includes(key as keyof HealthIndicatorOptions);

/**
 * @internal What `register()` is given, as decorator options and settings (less `skip`). Each key
 * stays an own key: assigned one by one, a `__proto__` from JSON would become a prototype instead,
 * and no check of unknown keys would see it.
 */
export function splitOptions(options: Record<string, unknown>, skip?: string) {
  const entries = Object.entries(options).filter(([key]) => key !== skip);
  return {
    decorator: Object.fromEntries(entries.filter(isOption)) as IndicatorOptions,
    settings: Object.fromEntries(entries.filter((entry) => !isOption(entry))),
  };
}

/**
 * A subclass of `cls` decorated with the options given, provided through a factory: each
 * registration is an indicator of its own, found by discovery like any other.
 */
function bind<S>(
  cls: BuiltInClass<S>,
  decorator: IndicatorOptions,
  inject: (InjectionToken | OptionalFactoryDependency)[],
  toSettings: (...deps: unknown[]) => S | Promise<S>,
): Provider {
  const options = { ...cls.defaults, ...decorator } as HealthIndicatorOptions;
  const Bound = class extends (cls as unknown as new (settings: S) => HealthCheck) {};
  Object.defineProperty(Bound, 'name', { value: labelOf(cls, decorator) });
  HealthIndicator(options)(Bound);
  return {
    provide: Bound,
    inject,
    useFactory: async (...deps: unknown[]) => new Bound(await toSettings(...deps)),
  };
}

/** Throws, at start-up, on a key that is not one of the indicator's settings (a typo). */
function assertKnownKeys(cls: { name: string; settingKeys?: readonly string[] }, settings: object) {
  const known = cls.settingKeys;
  const unknown = known && Object.keys(settings).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new Error(messages.unknownSetting(cls.name, unknown, known!, INDICATOR_OPTION_KEYS));
  }
}

/** @internal The name of a registration: `PostgresHealthIndicator(database)`. */
export function labelOf(
  cls: { name: string; defaults: IndicatorOptions },
  decorator: IndicatorOptions,
): string {
  return `${cls.name}(${String(decorator.name ?? cls.defaults.name)})`;
}
