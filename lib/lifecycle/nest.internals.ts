import {
  Injectable,
  type INestApplicationContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { MODULE_PATH } from '@nestjs/common/constants.js';
import { ModulesContainer, NestApplication } from '@nestjs/core';
import { messages } from '../core/health.messages.js';

/**
 * @internal The parts of Nest the library uses that its public API does not offer, in one place,
 * each checked before use with a message naming the Nest release it needs, each scoped to one
 * application: nothing here patches a class of Nest, and what it replaces on an instance is put
 * back when that application closes.
 */

/** The first `@nestjs/core` with the registry of microservice servers (the peer range's floor). */
export const SERVER_REGISTRY_RELEASE = '11.1.6';

/** A replay subject of Nest's, as far as it is used here. */
export interface Subscribable {
  subscribe(next: (value: unknown) => void): { unsubscribe(): void };
}

/**
 * Mounts a module's routes under `path` in one application only, as `RouterModule` does for
 * several applications in one process: the routes of a module definition shared by applications
 * (an `AppModule` imported by each test of a suite) stay each application's own. Composes with a
 * path `RouterModule` gave the module before.
 */
export function mountModule(modules: ModulesContainer, module: object, path: string): void {
  const key = modulePathKey(modules);
  const outer = Reflect.getMetadata(key, module) as string | undefined;
  const mounted = [outer, path].filter(Boolean).join('/');
  if (mounted) Reflect.defineMetadata(key, mounted, module);
}

/** Forgets the path `mountModule()` set, when the application closes. */
export function unmountModule(modules: ModulesContainer, module: object): void {
  Reflect.deleteMetadata(modulePathKey(modules), module);
}

/** The metadata key of a module's path in one application. */
function modulePathKey(modules: ModulesContainer): string {
  const id = (modules as { applicationId?: unknown }).applicationId;
  if (typeof id !== 'string') {
    const feature = 'a route path per application (ModulesContainer.applicationId)';
    throw new Error(messages.nestTooOld(feature, '11.0.0'));
  }
  return MODULE_PATH + id;
}

/**
 * Whether `app.close()` awaits the HTTP adapter's `beforeClose()` before any hook (NestJS 12:
 * `prepareClose()`). NestJS 11 runs `onModuleDestroy` first: there, only the library's own
 * close (`HealthService.handleShutdown(app)`) can hold the hooks back for the delay.
 */
export function closeAwaitsAdapter(): boolean {
  const proto = NestApplication.prototype as unknown as { prepareClose?: unknown };
  return typeof proto.prepareClose === 'function';
}

/**
 * Nest's own close of an application, whose hooks receive the signal as they do from Nest's own
 * signal handler: `close()` takes it on NestJS 11 and 12 (not a microservice's), though its
 * typings do not say so.
 */
export function closeApplication(app: INestApplicationContext, signal?: string): Promise<void> {
  return (app.close as (signal?: string) => Promise<void>).call(app, signal);
}

/**
 * The application's microservice servers (`app.connectMicroservice()`,
 * `NestFactory.createMicroservice()`), those created so far at once and later ones as they come:
 * `ModulesContainer.getRpcTargetRegistry()`, the one read of it. `undefined` before
 * `@nestjs/core` 11.1.6.
 */
export function rpcServerRegistry(modules: ModulesContainer): Subscribable | undefined {
  const registry = (modules as { getRpcTargetRegistry?: () => Subscribable }).getRpcTargetRegistry;
  return typeof registry === 'function' ? registry.call(modules) : undefined;
}

/** The options of a Nest gRPC transport server (`ServerGrpc`), as far as they are read here. */
export interface GrpcServerOptions {
  url?: string;
  package?: string | readonly string[];
  onLoadPackageDefinition?: (definition: unknown, server: unknown) => void;
}

/** A Nest gRPC transport server, as far as it is used here. */
interface GrpcTransportServer {
  transportId: unknown;
  options: GrpcServerOptions;
  loadProto: unknown;
}

/**
 * The options of a Nest gRPC transport server; `undefined` for another transport.
 * `grpcTransport`: `Transport.GRPC` of `@nestjs/microservices`.
 */
export function grpcServerOptions(
  server: unknown,
  grpcTransport: unknown,
): GrpcServerOptions | undefined {
  const grpc = server as Partial<GrpcTransportServer> | null;
  if (grpc?.transportId !== grpcTransport) return undefined;
  if (typeof grpc?.options !== 'object' || typeof grpc.loadProto !== 'function') {
    const feature = "the gRPC health service on the application's gRPC servers";
    throw new Error(messages.nestTooOld(feature, SERVER_REGISTRY_RELEASE));
  }
  return grpc.options;
}

/**
 * @internal What the library replaces on instances of one application (its HTTP adapter, its
 * transport servers), put back when that application closes. Replacements compose: each wraps
 * what was there, and is undone only if nothing replaced it since.
 */
@Injectable()
export class NestInternals implements OnApplicationShutdown {
  private readonly undo: (() => void)[] = [];

  constructor(private readonly modules: ModulesContainer) {}

  /** {@link rpcServerRegistry} of this application. */
  get servers(): Subscribable | undefined {
    return rpcServerRegistry(this.modules);
  }

  /** Replaces `target[key]` with what `wrap` makes of it, until the application closes. */
  replace<T extends object, K extends keyof T>(
    target: T,
    key: K,
    wrap: (original: T[K]) => T[K],
  ): void {
    const own = Object.prototype.hasOwnProperty.call(target, key);
    const original = target[key];
    const replacement = wrap(original);
    target[key] = replacement;
    this.undo.push(() => {
      if (target[key] !== replacement) return;
      if (own) target[key] = original;
      else delete target[key];
    });
  }

  /**
   * Runs `load` with the grpc-js server of a Nest gRPC transport server (one `grpcServerOptions()`
   * knows) each time it starts: `ServerGrpc` hands it to its `onLoadPackageDefinition` option once
   * bound, before it adds the services of its protos (NestJS 11 and 12). The server's options are
   * replaced by a copy whose option runs the application's own first, then `load`, until the
   * application closes: the object the application gave is left as it was.
   */
  onGrpcServerLoad(server: object, load: (grpcServer: object) => void): void {
    const target = server as { options: GrpcServerOptions };
    this.replace(target, 'options', (options) => ({
      ...options,
      onLoadPackageDefinition: (definition: unknown, grpcServer: unknown) => {
        options.onLoadPackageDefinition?.(definition, grpcServer);
        load(grpcServer as object);
      },
    }));
  }

  /** Puts back everything replaced, latest first. */
  restore(): void {
    for (const undo of this.undo.splice(0).toReversed()) undo();
  }

  onApplicationShutdown(): void {
    this.restore();
  }
}
