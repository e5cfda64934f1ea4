/**
 * One server of the benchmark, in a process of its own: `BENCH_SERVER` picks what it serves, all
 * on the Express adapter with logging off. `INDICATOR_MS` is how long each indicator takes.
 * Prints `LISTENING <port>` once it listens.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  HealthCheck as TerminusHealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';
import { HealthIndicator, HealthModule, type HealthCheck } from 'nestjs-probes';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const variant = process.env.BENCH_SERVER ?? 'bare';
const indicatorMs = Number(process.env.INDICATOR_MS ?? 0);
const NAMES = ['database', 'cache', 'queue'] as const;

/** What each indicator does, in every library: wait `indicatorMs`, or nothing. */
const work = (signal?: AbortSignal) =>
  indicatorMs > 0 ? sleep(indicatorMs, undefined, { signal }) : Promise.resolve();

@Controller()
class BareController {
  /** The ceiling: a plain Nest route returning a constant JSON body. */
  @Get('bare')
  bare() {
    return { status: 'pass' };
  }
}

function probesIndicators(): Provider[] {
  return NAMES.map((name) => {
    @HealthIndicator({ name, timeoutMs: 500 })
    @Injectable()
    class Indicator implements HealthCheck {
      check(signal: AbortSignal) {
        return work(signal);
      }
    }
    return Indicator;
  });
}

function terminusController(cacheMs: number | undefined) {
  /** Terminus' canonical controller, with the same three indicators. */
  @Controller('health')
  class TerminusController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly indicator: HealthIndicatorService,
    ) {}

    @Get()
    @TerminusHealthCheck()
    check() {
      return this.health.check(
        NAMES.map((name) => () => {
          const attempt = this.indicator.check(name).attempt(({ signal }) => work(signal));
          return cacheMs === undefined ? attempt : attempt.cacheFor(cacheMs);
        }),
      );
    }
  }
  return TerminusController;
}

function moduleFor(name: string) {
  const probes = HealthModule.forRoot({ cacheTtlMs: 1000, shutdown: false });
  const metadata =
    name === 'bare'
      ? { controllers: [BareController] }
      : name === 'live' || name === 'ready'
        ? { imports: [probes], providers: probesIndicators() }
        : {
            imports: [TerminusModule.forRoot({ logger: false })],
            controllers: [terminusController(name === 'terminus-cached' ? 1000 : undefined)],
          };
  @Module(metadata)
  class BenchModule {}
  return BenchModule;
}

const app = await NestFactory.create(moduleFor(variant), { logger: false });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as AddressInfo;
console.log(`LISTENING ${port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
