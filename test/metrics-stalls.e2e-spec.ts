import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { built } from './support/dist.js';
import { parseExposition, valueOf } from './support/exposition.js';
import { histogramAt, InMemoryMetrics } from './support/otel.js';
import { sleep, until } from './support/wait.js';

/**
 * Stalls of the event loop in the metrics: the probe server (a worker thread, so from `dist/`)
 * answers liveness 503 while the main loop has not turned for `maxStallMs`; once it turns again,
 * the stall is recorded with its length, in Prometheus and in OpenTelemetry.
 */

const { HealthIndicator, HealthModule, HealthService } = built;
const MAX_STALL_MS = 1000;
const STALL = 'health_event_loop_stall_duration_seconds';

let app: INestApplication | undefined;
let sdk: InMemoryMetrics | undefined;
let kubelet: ChildProcess | undefined;

afterEach(async () => {
  kubelet?.kill();
  await app?.close();
  await sdk?.shutdown();
  app = sdk = kubelet = undefined;
});

async function start() {
  @HealthIndicator({ name: 'db' })
  @Injectable()
  class Db {
    check() {}
  }
  sdk = new InMemoryMetrics();
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        probeServer: { port: 0, host: '127.0.0.1', maxStallMs: MAX_STALL_MS },
        metrics: { registry: new Registry() },
        openTelemetry: { meterProvider: sdk.provider },
      }),
    ],
    providers: [Db],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const appPort = (app.getHttpServer().address() as AddressInfo).port;
  const stalls = async () => {
    const text = await (await fetch(`http://127.0.0.1:${appPort}/health/metrics`)).text();
    const metrics = parseExposition(text);
    return { count: valueOf(metrics, `${STALL}_count`), sum: valueOf(metrics, `${STALL}_sum`) };
  };
  return { probePort: app.get(HealthService).probeServerPort!, stalls };
}

/** Keeps the main thread busy, as a synchronous hot loop in an application does. */
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

/** Probes `live` on the probe server every 50 ms from another process, recording its answers. */
function startKubelet(port: number): { answers: () => number[] } {
  const script = `for (;;) {
    const status = await fetch('http://127.0.0.1:${port}/health/live').then((r) => r.status, () => 0);
    console.log(status);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }`;
  kubelet = spawn(process.execPath, ['--input-type=module', '-e', script]);
  let output = '';
  kubelet.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { answers: () => output.split('\n').filter(Boolean).map(Number) };
}

describe('stalls of the event loop, as the probe server reports them', () => {
  it('are recorded once each has ended, with its length', async () => {
    const { probePort, stalls } = await start();
    expect(await stalls()).toEqual({ count: 0, sum: 0 });
    const { answers } = startKubelet(probePort);
    await until(() => answers().includes(200), 'the probe server to answer 200', 5000);

    block(MAX_STALL_MS + 800);
    await until(() => answers().includes(503), 'the probe server to have answered 503', 5000);
    await until(async () => (await stalls()).count === 1, 'the stall to be recorded', 5000);
    const { sum } = await stalls();
    expect(sum).toBeGreaterThan(MAX_STALL_MS / 1000);
    expect(sum).toBeLessThan(10);
    const otel = histogramAt((await sdk!.collect()).get('health.event_loop.stall.duration'));
    expect([otel?.count, otel?.sum]).toEqual([1, sum]);
  });

  it('leave out a turn that took less than maxStallMs', async () => {
    const { stalls } = await start();
    block(MAX_STALL_MS / 4);
    // Several beats later (one every 100 ms), still none.
    await sleep(500);
    expect(await stalls()).toEqual({ count: 0, sum: 0 });
  });
});
