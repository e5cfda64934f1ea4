import type { NestInternals } from './nest.internals.js';

/** @internal A microservice transport server, as far as the shutdown uses it. */
interface TransportServer {
  close(): unknown;
}

function isServer(value: unknown): value is TransportServer {
  return typeof (value as Partial<TransportServer> | null)?.close === 'function';
}

/**
 * @internal The application's microservice transport servers (`app.connectMicroservice()`,
 * `NestFactory.createMicroservice()`), from Nest's registry of them. The shutdown closes them
 * after its delay, before any hook; their `close()` is made to run once until the application
 * has closed, so that Nest closing them again later shares that close.
 */
export class TransportServers {
  private readonly servers = new Set<TransportServer>();
  private readonly subscription?: { unsubscribe(): void };

  constructor(private readonly internals: NestInternals) {
    this.subscription = internals.servers?.subscribe((server) => {
      if (isServer(server) && !this.servers.has(server)) this.hold(server);
    });
  }

  /** Whether Nest's registry of servers could be read (`@nestjs/core` 11.1.6 and later). */
  get known(): boolean {
    return this.subscription !== undefined;
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
    let closing: Promise<unknown> | undefined;
    this.internals.replace(server, 'close', (close) => () => {
      closing ??= Promise.resolve().then(() => close.call(server));
      return closing;
    });
  }
}
