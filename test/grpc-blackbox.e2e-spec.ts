import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startBlackboxExporter, type BlackboxExporter } from './support/blackbox.js';
import { built, builtIndicator } from './support/dist.js';
import { startGrpcApp } from './support/grpc.js';
import { defineIndicator, type TestIndicator } from './support/indicators.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';
import { describeWithBinary } from './support/servers.js';
import { until } from './support/wait.js';

/**
 * Prometheus' blackbox exporter probing the gRPC health service with its `grpc` prober (a Go
 * gRPC client), on an app's own gRPC port and on the probe server's: `probe_success` follows
 * readiness, through a failure and a shutdown delay.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const Database = defineIndicator({ name: 'database' });

/** An app of the built package with the probe server's gRPC port, its database failing at will. */
async function startProbeServerApp(failing: { now: boolean }) {
  const { HealthModule, HealthService } = built;
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        cacheTtlMs: 50,
        refreshIntervalMs: 100,
        probeServer: { port: 0, grpcPort: 0, host: '127.0.0.1' },
      }),
    ],
    providers: [builtIndicator('database', {}, failing)],
  })
  class ProbeServerModule {}
  const app = await NestFactory.create(ProbeServerModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, address: `127.0.0.1:${app.get(HealthService).probeServerGrpcPort}` };
}

describeWithBinary('prometheus-blackbox-exporter', 'the blackbox exporter’s grpc prober', () => {
  let exporter: BlackboxExporter;
  let started: { app: INestApplicationContext; address: string } | undefined;
  let sample: Sample | undefined;

  beforeAll(async () => {
    exporter = await startBlackboxExporter();
  });

  afterAll(async () => {
    await started?.app.close();
    if (running(sample)) await stopSample(sample);
    await exporter?.stop();
  });

  it.each(["the app's gRPC port", "the probe server's gRPC port"])(
    'reports probe_success 1 while ready, 0 while a critical indicator fails, on %s',
    async (port) => {
      const failing = { now: false };
      let address: string;
      if (port.startsWith('the app')) {
        started = await startGrpcApp({ providers: [Database], health: { cacheTtlMs: 0 } });
        address = started.address;
        started.app.get<TestIndicator>(Database).behaviour = () => {
          if (failing.now) throw new Error('connection refused');
        };
      } else {
        started = await startProbeServerApp(failing);
        address = started.address;
      }
      await until(
        async () => (await exporter.probe('grpc_health', address)).success === 1,
        'the app to be ready',
        3000,
      );
      expect(await exporter.probe('grpc_health', address)).toEqual({
        success: 1,
        serving: 'SERVING',
      });
      failing.now = true;
      await until(
        async () => (await exporter.probe('grpc_health', address)).success === 0,
        '"" to fail',
        3000,
      );
      expect(await exporter.probe('grpc_health', address)).toEqual({
        success: 0,
        serving: 'NOT_SERVING',
      });
      expect(await exporter.probe('grpc_liveness', address)).toEqual({
        success: 1,
        serving: 'SERVING',
      });
      failing.now = false;
      await until(
        async () => (await exporter.probe('grpc_health', address)).success === 1,
        '"" to pass again',
        3000,
      );
      await started.app.close();
      started = undefined;
    },
  );

  it('reports probe_success 0 for "" and 1 for liveness during the shutdown delay, on the probe server', async () => {
    sample = await startSample({
      WARMUP_MS: '0',
      SHUTDOWN_DELAY_MS: '2000',
      PROBE_GRPC_PORT: '0',
    });
    const address = sample.probesGrpc!;
    for (let i = 0; (await exporter.probe('grpc_health', address)).success !== 1; i++) {
      if (i > 50) throw new Error('the sample never turned ready');
      await sleep(50);
    }
    sample.child.kill('SIGTERM');
    // Once the sample has handled the signal (waited for: a fixed sleep is too short on a loaded
    // machine), and well within its 2 s delay.
    let health: Awaited<ReturnType<BlackboxExporter['probe']>> | undefined;
    await until(
      async () => (health = await exporter.probe('grpc_health', address)).success === 0,
      () => `"" to fail (last: ${JSON.stringify(health)})`,
      1000,
    );
    expect(health).toEqual({ success: 0, serving: 'NOT_SERVING' });
    expect(await exporter.probe('grpc_liveness', address)).toEqual({
      success: 1,
      serving: 'SERVING',
    });
    expect(await sample.exited).toMatchObject({ code: 0 });
    expect((await exporter.probe('grpc_liveness', address)).success).toBe(0);
  });
});
