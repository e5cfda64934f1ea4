import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { INestApplication, Provider } from '@nestjs/common';
import memjs from 'memjs';
import { HealthService, MemcachedHealthIndicator, type CheckReport } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { describeWithBinary, startMemcached, type OwnServer } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * MemcachedHealthIndicator against a real memcached the suite starts on a free port (and stops),
 * through the application's own memjs client, connected through TCP proxies the test owns.
 */

const MEMCACHED = Symbol('MEMCACHED');
const TIMEOUT_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = { log: () => undefined };

async function until(condition: () => boolean, what: string, withinMs = 3000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting, after ${withinMs} ms, for ${what}`);
    await sleep(10);
  }
}

/**
 * Probes until `accept` holds. memjs does not fail the requests pending on a connection that
 * closes (they wait for its request timeout), so the first run after a fault may time out.
 */
async function entryUntil(
  app: INestApplication,
  accept: (entry: CheckReport) => boolean,
  withinMs = 3000,
): Promise<CheckReport> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const current = await entry(app);
    if (accept(current)) return current;
    if (Date.now() > deadline) throw new Error(`the check is still ${JSON.stringify(current)}`);
    await sleep(20);
  }
}

async function entry(app: INestApplication): Promise<CheckReport> {
  const report = await app.get(HealthService).check('ready');
  const found = report.checks?.['memcached:responseTime']?.[0];
  if (!found) throw new Error(`no memcached check in ${JSON.stringify(report)}`);
  return found;
}

describeWithBinary('memcached', 'MemcachedHealthIndicator', () => {
  let server: OwnServer;
  const proxies: TcpProxy[] = [];
  let running: INestApplication | undefined;
  let client: memjs.Client | undefined;

  beforeAll(async () => {
    server = await startMemcached();
    for (let i = 0; i < 2; i++) {
      proxies.push(await new TcpProxy({ host: '127.0.0.1', port: server.port }).start());
    }
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    client?.close();
    client = undefined;
    for (const proxy of proxies) {
      await proxy.heal();
      await until(() => proxy.openSockets === 0, 'every socket to close');
    }
  });

  afterAll(async () => {
    for (const proxy of proxies) await proxy.stop();
    await server?.stop();
  });

  async function start(servers: TcpProxy[], providers: Provider[] = []) {
    const list = servers.map((proxy) => `127.0.0.1:${proxy.port}`).join(',');
    client = memjs.Client.create(list, { retries: 1, logger: silent });
    running = await createTestApp({
      providers: [
        { provide: MEMCACHED, useValue: client },
        MemcachedHealthIndicator.register({
          client: MEMCACHED,
          timeoutMs: TIMEOUT_MS,
          cacheTtlMs: 0,
        }),
        ...providers,
      ],
    });
    return running;
  }

  it('passes against the real server, on the application’s one connection', async () => {
    const [proxy] = proxies;
    const app = await start([proxy]);
    const first = await entry(app);
    expect(first).toMatchObject({
      componentId: 'memcached',
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
      details: {
        servers: [
          {
            server: `127.0.0.1:${proxy.port}`,
            up: true,
            version: expect.stringMatching(/^\d+\.\d+/),
          },
        ],
      },
    });
    expect(first.observedValue).toBeLessThan(TIMEOUT_MS);
    const accepted = proxy.accepted;
    for (let i = 0; i < 3; i++) expect((await entry(app)).status).toBe('pass');
    expect(proxy.accepted).toBe(accepted);
  });

  it('fails fast when refused, at its timeout in a black hole, passes once healed, and leaves nothing open', async () => {
    const [proxy] = proxies;
    const app = await start([proxy]);
    expect((await entry(app)).status).toBe('pass');

    await proxy.refuse();
    const refused = await entryUntil(app, (e) => (e.output ?? '').includes('ECONNREFUSED'));
    expect(refused).toMatchObject({
      status: 'fail',
      output: expect.stringMatching(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/),
    });
    expect(refused.observedValue).toBeLessThan(100);

    await proxy.heal();
    await entryUntil(app, (e) => e.status === 'pass');

    proxy.blackhole();
    const hung = await entry(app);
    expect(hung).toMatchObject({ status: 'fail', output: `timed out after ${TIMEOUT_MS} ms` });
    // Bounded by the timeout, with room for a loaded machine's scheduling.
    expect(hung.observedValue).toBeLessThan(TIMEOUT_MS + 1000);

    await proxy.refuse();
    await proxy.heal();
    await entryUntil(app, (e) => e.status === 'pass');
    await app.close();
    running = undefined;
    client!.close();
    client = undefined;
    await until(() => proxy.openSockets === 0, 'the client’s sockets to close');
  });

  it('warns while some servers are down, and fails once all are', async () => {
    const [one, two] = proxies;
    const app = await start([one, two]);
    expect((await entry(app)).status).toBe('pass');
    await two.refuse();
    const partial = await entryUntil(app, (e) => e.status === 'warn');
    expect(partial).toMatchObject({
      status: 'warn',
      output: expect.stringMatching(
        new RegExp(`^1 of 2 servers down \\(127\\.0\\.0\\.1:${two.port}: connect ECONNREFUSED`),
      ),
      details: {
        servers: expect.arrayContaining([
          expect.objectContaining({ server: `127.0.0.1:${one.port}`, up: true }),
          { server: `127.0.0.1:${two.port}`, up: false },
        ]),
      },
    });
    await one.refuse();
    const all = await entryUntil(app, (e) => (e.output ?? '').startsWith('every server'));
    expect(all.status).toBe('fail');
    expect(all.output).toMatch(/^every server is down \(/);
  });

  it('stops start-up without a memjs client, or without the memjs package', async () => {
    const failed = await createTestApp({
      providers: [
        { provide: MEMCACHED, useValue: { get: () => undefined } },
        MemcachedHealthIndicator.register({ client: MEMCACHED }),
      ],
    }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(failed).toBe(
      'MemcachedHealthIndicator(memcached) needs a memjs client (Client.create() from "memjs") (an object with stats()), got an object. Check the "client" token you registered it with.',
    );
    class NoMemjsIndicator extends MemcachedHealthIndicator {
      static override readonly peer = 'not-an-installed-package-nestjs-probes' as never;
    }
    expect(() => new NoMemjsIndicator({ client: memjs.Client.create('127.0.0.1:1') })).toThrow(
      'NoMemjsIndicator needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
    );
  });
});
