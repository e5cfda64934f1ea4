import type { InjectionToken } from '@nestjs/common';
import { rpcServerRegistry, SERVER_REGISTRY_RELEASE } from '../../lifecycle/nest.internals.js';
import { ModulesContainer } from '@nestjs/core';
import { messages } from '../../core/health.messages.js';
import type { HandleLookup } from './handle.registration.js';

// What the microservice indicators take from Nest: a client by its token, the registry of the
// application's transport servers, and their status events, typed structurally (the library
// never loads `@nestjs/microservices` or rxjs).

/** An rxjs-style observable, typed structurally: the library imports no rxjs type it exposes. */
export interface ObservableLike<T> {
  subscribe(observer: {
    next?: (value: T) => void;
    error?: (error: unknown) => void;
    complete?: () => void;
  }): { unsubscribe(): void };
}

/** @internal The latest value of an observable, kept from subscription until `stop()`. */
export class Latest<T> {
  value?: T;
  private subscription?: { unsubscribe(): void };

  constructor(source: ObservableLike<T> | undefined) {
    this.subscription = source?.subscribe({
      next: (value) => (this.value = value),
      error: () => undefined,
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}

/** @internal The name of a Nest `Transport` (`5` → `rmq`), or of a custom strategy's id. */
export function transportName(id: unknown): string {
  const names = ['tcp', 'redis', 'nats', 'mqtt', 'grpc', 'rmq', 'kafka'];
  if (typeof id === 'number') return names[id] ?? String(id);
  if (typeof id === 'symbol') return id.description ?? 'custom';
  return typeof id === 'string' ? id : 'custom';
}

/** @internal How `register()` finds a client by its token (`ClientsModule.register([{ name }])`). */
export function clientLookup(indicator: string, token: InjectionToken | undefined): HandleLookup {
  if (token === undefined) throw new Error(messages.clientTokenMissing(indicator));
  const named = typeof token === 'function' ? token.name : String(token);
  const name = typeof token === 'string' ? `'${named}'` : named;
  return {
    key: 'client',
    token,
    missing: (label) =>
      messages.handleMissing(
        label,
        'microservice client',
        token,
        `Register it with ClientsModule.register([{ name: ${name}, transport, options }]) in this module or in a module it imports.`,
      ),
  };
}

/**
 * @internal How `register()` finds the application's transport servers, as they are created:
 * the registry of `@nestjs/core` (`ModulesContainer.getRpcTargetRegistry()`). `label` names the
 * registration in start-up errors.
 */
export function serverRegistryLookup(label: string): HandleLookup {
  return {
    key: 'servers',
    token: ModulesContainer,
    // Always there: @nestjs/core provides it to every module.
    missing: () => `${label} found no ModulesContainer of @nestjs/core.`,
    settings: (modules) => {
      const servers = rpcServerRegistry(modules as ModulesContainer);
      if (servers === undefined) {
        throw new Error(
          `${label} needs the registry of transport servers of @nestjs/core ${SERVER_REGISTRY_RELEASE} or later (ModulesContainer.getRpcTargetRegistry()). Upgrade @nestjs/core.`,
        );
      }
      return { servers };
    },
  };
}

/** @internal Kafka and gRPC clients, which no server here could test: not supported yet. */
export function unsupportedTransport(client: unknown): string | undefined {
  const methods = client as Record<string, unknown>;
  if (typeof methods.subscribeToResponseOf === 'function') return 'Kafka';
  if (typeof methods.getService === 'function') return 'gRPC';
  return undefined;
}

/** @internal What `unwrap()` gives, or `undefined` while the client has no connection. */
export function unwrapped(client: { unwrap(): unknown }): unknown {
  try {
    return client.unwrap();
  } catch {
    return undefined;
  }
}

/** @internal A remote error (Nest sends `{ status, message }` objects, or strings) as an `Error`. */
export function errorOf(error: unknown): Error {
  if (error instanceof Error) return error;
  const message = (error as { message?: unknown } | null)?.message;
  return new Error(
    `the service answered with an error: ${typeof message === 'string' ? message : String(error)}`,
  );
}
