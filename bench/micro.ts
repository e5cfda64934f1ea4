/**
 * Scenarios 3-7 of the benchmark, one per process (`node --expose-gc micro.js <scenario>`), each
 * printing one JSON line: single flight, parallelism, timeouts, memory and start-up.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplication, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthIndicator, HealthModule, HealthService, type HealthCheck } from 'nestjs-probes';
import { Agent, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

type Behaviour = (signal: AbortSignal) => Promise<unknown>;

/** `count` indicators named `<prefix><i>`, each counting its runs. */
function indicators(count: number, behaviour: Behaviour, options: { timeoutMs?: number } = {}) {
  const runs = new Map<string, number>();
  const providers: Provider[] = Array.from({ length: count }, (_, i) => {
    const name = `indicator-${i}`;
    runs.set(name, 0);
    @HealthIndicator({ name, timeoutMs: options.timeoutMs ?? 1000 })
    @Injectable()
    class Indicator implements HealthCheck {
      check(signal: AbortSignal) {
        runs.set(name, runs.get(name)! + 1);
        return behaviour(signal).then(() => undefined);
      }
    }
    return Indicator;
  });
  return { providers, runs };
}

async function boot(providers: Provider[], withHealth = true): Promise<INestApplication> {
  @Module({
    imports: withHealth ? [HealthModule.forRoot({ cacheTtlMs: 10_000, shutdown: false })] : [],
    providers,
  })
  class MicroModule {}
  const app = await NestFactory.create(MicroModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

function request(app: INestApplication, path: string, agent: Agent): Promise<number> {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

/** Boots and closes an app with 200 indicators; how long the boot took. */
async function time(withHealth: boolean): Promise<number> {
  const { providers } = indicators(200, () => Promise.resolve());
  const started = performance.now();
  const app = await boot(providers, withHealth);
  const ms = performance.now() - started;
  await app.close();
  return ms;
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

const handles = () =>
  process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap');

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  /** 3. 1,000 simultaneous requests on a cold cache: how many runs per indicator. */
  async singleFlight() {
    const { providers, runs } = indicators(3, (signal) => sleep(50, undefined, { signal }));
    const app = await boot(providers);
    const agent = new Agent({ maxSockets: 1000 });
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, () => request(app, '/health/ready', agent)),
    );
    agent.destroy();
    await app.close();
    return {
      requests: statuses.length,
      ok: statuses.filter((s) => s === 200).length,
      runs: [...runs.values()],
    };
  },

  /** 4. One cold probe over 50 indicators of 100 ms each: its latency. */
  async parallelism() {
    const { providers } = indicators(50, (signal) => sleep(100, undefined, { signal }));
    const app = await boot(providers);
    const agent = new Agent({ keepAlive: true });
    await request(app, '/health/live', agent);
    const started = performance.now();
    const status = await request(app, '/health/ready', agent);
    const latencyMs = performance.now() - started;
    agent.destroy();
    await app.close();
    return { status, latencyMs };
  },

  /** 5. An indicator that never answers, timeoutMs 200: the probe's latency, and handles left. */
  async timeouts() {
    const before = handles();
    const { providers } = indicators(1, () => new Promise(() => undefined), { timeoutMs: 200 });
    const app = await boot(providers);
    const agent = new Agent({ keepAlive: false });
    await request(app, '/health/live', agent);
    const started = performance.now();
    const status = await request(app, '/health/ready', agent);
    const latencyMs = performance.now() - started;
    agent.destroy();
    await app.close();
    await sleep(50);
    // The handles open now that were not open before: by kind, counted.
    const remaining = new Map<string, number>();
    for (const kind of before) remaining.set(kind, (remaining.get(kind) ?? 0) + 1);
    const left = handles().filter((kind) => {
      const count = remaining.get(kind) ?? 0;
      remaining.set(kind, count - 1);
      return count <= 0;
    });
    return { status, latencyMs, handlesLeft: left.length, kinds: left };
  },

  /** 6. Heap growth over 200,000 HealthService.check() calls (three cached indicators). */
  async memory() {
    const { providers } = indicators(3, () => Promise.resolve());
    const app = await boot(providers);
    const health = app.get(HealthService);
    await health.check('ready');
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run with --expose-gc');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i++) await health.check('ready');
    gc();
    const after = process.memoryUsage().heapUsed;
    await app.close();
    return { calls: 200_000, heapGrowthBytes: after - before };
  },

  /** 7. Bootstrap time added by the health module to an app with 200 indicators. */
  async startup() {
    // Warm the module cache and the JIT, then alternate, and compare medians.
    await time(true);
    await time(false);
    const withHealth: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < 7; i++) {
      withHealth.push(await time(true));
      without.push(await time(false));
    }
    return {
      indicators: 200,
      withHealthMs: median(withHealth),
      withoutMs: median(without),
      addedMs: median(withHealth) - median(without),
    };
  },
};

const name = process.argv[2] ?? '';
const scenario = scenarios[name];
if (!scenario) throw new Error(`Unknown scenario "${name}": ${Object.keys(scenarios).join(', ')}`);
console.log(JSON.stringify(await scenario()));
process.exit(0);
