/**
 * Scenario 16 of the benchmark (`node auto-indicators.js`): the bootstrap time `autoIndicators`
 * adds to an app with 50 clients in its container (ioredis, pg, mysql2, MongoDB, memjs, ten of
 * each, none connected: nothing here needs a server), beside 200 providers of the app's own that
 * it looks at and leaves alone. Prints one JSON line.
 */
import 'reflect-metadata';
import { Injectable, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import memjs from 'memjs';
import { MongoClient } from 'mongodb';
import mysql from 'mysql2';
import { HealthModule, HealthService } from 'nestjs-probes';
import pg from 'pg';

const KINDS = 5;
const EACH = 10;
const UNREACHABLE = { host: '127.0.0.1', port: 1 };

/** The 50 clients, made once: each boot provides the same ones. */
const clients: Record<string, object> = {};
for (let i = 0; i < EACH; i++) {
  clients[`CACHE_${i}`] = new Redis({ ...UNREACHABLE, lazyConnect: true });
  clients[`PG_POOL_${i}`] = new pg.Pool(UNREACHABLE);
  clients[`MYSQL_POOL_${i}`] = mysql.createPool(UNREACHABLE);
  clients[`MONGO_${i}`] = new MongoClient(`mongodb://127.0.0.1:1/db${i}`);
  clients[`MEMCACHED_${i}`] = memjs.Client.create('127.0.0.1:1');
}

/** The application's own services, which auto-discovery looks at and leaves alone. */
const services: Provider[] = Array.from({ length: 200 }, (_, i) => {
  @Injectable()
  class Service {
    readonly id = i;
    handle() {
      return this.id;
    }
  }
  Object.defineProperty(Service, 'name', { value: `Service${i}` });
  return Service;
});

/** Boots and closes the app; how long the boot took, and (once) how many checks it made. */
async function boot(autoIndicators: boolean, counting = false) {
  @Module({
    imports: [HealthModule.forRoot({ autoIndicators, logger: false, shutdown: false })],
    providers: [
      ...Object.entries(clients).map(([provide, useValue]) => ({ provide, useValue })),
      ...services,
    ],
  })
  class AppModule {}
  const started = performance.now();
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const ms = performance.now() - started;
  let checks = 0;
  if (counting) {
    const report = await app.get(HealthService).check('deep');
    checks = Object.values(report.checks ?? {}).filter(([check]) => check.autoDiscovered).length;
  }
  await app.close();
  return { ms, checks };
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];

// Warm the module cache and the JIT, then alternate, and compare medians.
await boot(true);
await boot(false);
const withAuto: number[] = [];
const without: number[] = [];
for (let i = 0; i < 9; i++) {
  withAuto.push((await boot(true)).ms);
  without.push((await boot(false)).ms);
}
const { checks } = await boot(true, true);
console.log(
  JSON.stringify({
    clients: KINDS * EACH,
    autoChecks: checks,
    withAutoIndicatorsMs: median(withAuto),
    withoutMs: median(without),
    addedMs: median(withAuto) - median(without),
  }),
);
// The clients never connected: nothing of theirs keeps the process alive but their timers.
process.exit(0);
