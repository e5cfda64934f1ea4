import { NestApplicationContext, type ModulesContainer } from '@nestjs/core';

/** @internal A microservice transport server, as far as the shutdown uses it. */
interface TransportServer {
  close(): unknown;
}

interface Subscribable {
  subscribe(next: (value: unknown) => void): { unsubscribe(): void };
}

function isServer(value: unknown): value is TransportServer {
  return typeof (value as Partial<TransportServer> | null)?.close === 'function';
}

/**
 * @internal The application's microservice transport servers (`app.connectMicroservice()`,
 * `NestFactory.createMicroservice()`), from Nest's registry of them (`@nestjs/core` 11.1.6 and
 * later). The shutdown closes them after its delay, before any hook; their `close()` is made to
 * run once, so that Nest closing them again later shares that close.
 */
export class TransportServers {
  private readonly servers = new Set<TransportServer>();
  private readonly subscription?: { unsubscribe(): void };

  constructor(modules: ModulesContainer) {
    const registry = (modules as { getRpcTargetRegistry?: () => Subscribable })
      .getRpcTargetRegistry;
    this.subscription = registry?.call(modules).subscribe((server) => {
      if (isServer(server) && !this.servers.has(server)) this.hold(server);
    });
  }

  /** How many the application has. */
  get size(): number {
    return this.servers.size;
  }

  /** Stops every server taking messages, once. */
  async close(): Promise<void> {
    await Promise.all([...this.servers].map((server) => server.close()));
  }

  dispose(): void {
    this.subscription?.unsubscribe();
  }

  private hold(server: TransportServer): void {
    this.servers.add(server);
    const original = server.close.bind(server);
    let closing: Promise<unknown> | undefined;
    server.close = () => (closing ??= Promise.resolve().then(original));
  }
}

/** The holds of the applications in this process, by their modules (one container each). */
const holds = new WeakMap<object, () => Promise<void>>();
let patched = false;

/**
 * @internal Makes the close of an application with no HTTP server (a microservice, a standalone
 * context) wait for `hold` before any hook runs, as the HTTP adapter's `beforeClose()` does for
 * the others: Nest awaits `prepareClose()` first when it closes, on a signal included. NestJS 11
 * has no `prepareClose()`; there, this does nothing.
 */
export function holdContextClose(modules: ModulesContainer, hold: () => Promise<void>): void {
  holds.set(modules, hold);
  if (patched) return;
  const proto = NestApplicationContext.prototype as unknown as {
    prepareClose?: (this: { container?: { getModules(): object } }) => Promise<void>;
  };
  const original = proto.prepareClose;
  if (typeof original !== 'function') return;
  patched = true;
  proto.prepareClose = async function prepareClose() {
    await holds.get(this.container?.getModules() ?? holds)?.();
    return original.call(this);
  };
}
