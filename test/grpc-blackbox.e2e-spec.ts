import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startBlackboxExporter, type BlackboxExporter } from './support/blackbox.js';
import { startGrpcApp, type GrpcApp } from './support/grpc.js';
import { defineIndicator, type TestIndicator } from './support/indicators.js';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';
import { describeWithBinary, freePort } from './support/servers.js';
import { until } from './support/wait.js';

/**
 * Prometheus' blackbox exporter probing the gRPC health service with its `grpc` prober (a Go
 * gRPC client): `probe_success` follows readiness, through a failure and a shutdown delay.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const Database = defineIndicator({ name: 'database' });

describeWithBinary('prometheus-blackbox-exporter', 'the blackbox exporter’s grpc prober', () => {
  let exporter: BlackboxExporter;
  let started: GrpcApp | undefined;
  let sample: Sample | undefined;

  beforeAll(async () => {
    exporter = await startBlackboxExporter();
  });

  afterAll(async () => {
    await started?.app.close();
    if (running(sample)) await stopSample(sample);
    await exporter?.stop();
  });

  it('reports probe_success 1 while ready, 0 while a critical indicator fails', async () => {
    started = await startGrpcApp({ providers: [Database], health: { cacheTtlMs: 0 } });
    const { address } = started;
    expect(await exporter.probe('grpc_health', address)).toEqual({
      success: 1,
      serving: 'SERVING',
    });
    started.app.get<TestIndicator>(Database).behaviour = () => {
      throw new Error('connection refused');
    };
    expect(await exporter.probe('grpc_health', address)).toEqual({
      success: 0,
      serving: 'NOT_SERVING',
    });
    expect(await exporter.probe('grpc_liveness', address)).toEqual({
      success: 1,
      serving: 'SERVING',
    });
    started.app.get<TestIndicator>(Database).behaviour = () => undefined;
    expect(await exporter.probe('grpc_health', address)).toEqual({
      success: 1,
      serving: 'SERVING',
    });
  });

  it('reports probe_success 0 for "" and 1 for liveness during the shutdown delay', async () => {
    sample = await startSample({
      WARMUP_MS: '0',
      SHUTDOWN_DELAY_MS: '2000',
      GRPC_PORT: String(await freePort()),
    });
    const address = sample.grpc!;
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
