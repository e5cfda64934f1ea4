import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startHaproxy, type Haproxy, type HaproxyOptions } from './haproxy.js';
import { LoadGenerator } from './load.js';
import { freePort } from './servers.js';
import { TcpProxy } from './tcp-proxy.js';
import { sleep, until } from './wait.js';

/**
 * Three instances of a small app (test/fixtures/haproxy-app.mjs, on the built package) behind
 * HAProxy, each with its own two dependencies (a proxy of the test's own to cut), and every change
 * of HAProxy's view of them recorded as it polls its runtime API.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/haproxy-app.mjs', import.meta.url));
export const NAMES = ['a', 'b', 'c'];

/** One instance: its process and the lines it printed, with when they arrived. */
export interface Instance {
  child: ChildProcess;
  lines: { at: number; text: string }[];
  /** Once it has exited and its output has been read. */
  closed: Promise<unknown>;
}

/** What a test started, stopped last first: a test that fails midway leaves nothing behind. */
export class Started {
  private readonly stops: (() => Promise<unknown>)[] = [];

  add(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).toReversed()) await stop();
  }
}

export interface ClusterOptions {
  /** The module's graceful shutdown, or a plain close on SIGTERM (`haproxy-app.mjs`). */
  graceful: boolean;
  delayMs: number;
  check: Pick<HaproxyOptions, 'interMs' | 'fall' | 'rise'>;
}

export class HaproxyCluster {
  /** Every change of a server's state in HAProxy, as polled every 20 ms. */
  readonly changes: { at: number; server: string; status: string }[] = [];
  readonly instances: Instance[] = [];
  haproxy!: Haproxy;

  private constructor(
    private readonly options: ClusterOptions,
    private readonly started: Started,
    readonly ports: number[],
    readonly db: TcpProxy[],
    readonly cache: TcpProxy[],
  ) {}

  /** Starts the dependencies, the instances, then HAProxy; resolves once every server is UP. */
  static async start(options: ClusterOptions, started: Started): Promise<HaproxyCluster> {
    const target = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    started.add(() => new Promise((resolve) => target.close(resolve)));
    const upstream = { host: '127.0.0.1', port: (target.address() as { port: number }).port };
    const proxies = () =>
      Promise.all(
        NAMES.map(async () => {
          const proxy = await new TcpProxy(upstream).start();
          started.add(() => proxy.stop());
          return proxy;
        }),
      );
    const ports = await Promise.all(NAMES.map(() => freePort()));
    const cluster = new HaproxyCluster(options, started, ports, await proxies(), await proxies());
    await Promise.all(NAMES.map((_, i) => cluster.startInstance(i)));
    const servers = NAMES.map((name, i) => ({ name, port: ports[i]! }));
    cluster.haproxy = await startHaproxy({ servers, check: '/health/ready', ...options.check });
    started.add(() => cluster.haproxy.stop());
    cluster.watch();
    await until(() => NAMES.every((name) => cluster.stateOf(name) === 'UP'), 'all UP', 20_000);
    return cluster;
  }

  /** Starts instance `i` (again) on its port; resolves once it listens. */
  async startInstance(i: number): Promise<Instance> {
    const env = {
      ...process.env,
      PORT: String(this.ports[i]),
      NAME: NAMES[i],
      DB_PORT: String(this.db[i]!.port),
      CACHE_PORT: String(this.cache[i]!.port),
      GRACEFUL: String(this.options.graceful),
      DELAY_MS: String(this.options.delayMs),
    };
    const child = spawn(process.execPath, [FIXTURE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const instance: Instance = { child, lines: [], closed: once(child, 'close') };
    this.started.add(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await instance.closed;
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        instance.lines.push({ at: Date.now(), text });
      }
    });
    const listening = () => instance.lines.some(({ text }) => text.startsWith('READY '));
    // A bound on start-up, which this suite does not measure: generous for a loaded machine.
    await until(() => listening() || child.exitCode !== null, `${NAMES[i]} to listen`, 30_000);
    if (!listening()) throw new Error(`${NAMES[i]} exited at start:\n${stderr}`);
    this.instances[i] = instance;
    return instance;
  }

  /** Traffic through HAProxy, as clients send it: 4 keep-alive loops. */
  load(): LoadGenerator {
    const load = new LoadGenerator(`http://127.0.0.1:${this.haproxy.port}/work`, 4).start();
    this.started.add(() => load.stop());
    return load;
  }

  /** A server's state in HAProxy, as last polled: `UP`, `DOWN`, `UP 1/2` (one check from DOWN). */
  stateOf(server: string): string | undefined {
    return this.changes.findLast((change) => change.server === server)?.status;
  }

  /** When HAProxy was first seen to have taken `server` out of rotation after `since`. */
  downAt(server: string, since: number): number | undefined {
    const down = (c: (typeof this.changes)[number]) =>
      c.server === server && c.status === 'DOWN' && c.at >= since;
    return this.changes.find(down)?.at;
  }

  /** When instance `i` said its readiness turned to `status`, after `since` (waiting for it). */
  async readinessAt(instance: Instance, status: string, since: number): Promise<number> {
    const at = () =>
      instance.lines
        .map(({ text }) => text.split(' '))
        .find(([word, said, time]) => word === 'READINESS' && said === status && +time! >= since);
    await until(() => at() !== undefined, `readiness to turn ${status}`, 5000);
    return Number(at()![2]);
  }

  private watch(): void {
    const watching = new AbortController();
    const polled = (async () => {
      const last: Record<string, string> = {};
      while (!watching.signal.aborted) {
        const states = await this.haproxy.states().catch(() => ({}));
        for (const [server, status] of Object.entries(states)) {
          if (last[server] !== status) this.changes.push({ at: Date.now(), server, status });
          last[server] = status;
        }
        await sleep(20);
      }
    })();
    this.started.add(async () => {
      watching.abort();
      await polled;
    });
  }
}
