import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { built, builtIndicator } from './support/dist.js';
import { parseExposition, statusIn, type Exposition } from './support/exposition.js';
import { rawGet } from './support/http.js';
import { until } from './support/wait.js';

/**
 * `health_probe_status` against the probe server, which answers from a worker thread (so from
 * `dist/`): the gauge says what the probe server answers, whether or not the app's own port was
 * ever asked, and a shutdown shows in it for as long as the app still serves.
 */

const { HealthModule, HealthService } = built;
const FIXTURE = fileURLToPath(new URL('./fixtures/probe-server-app.mjs', import.meta.url));

let app: INestApplication | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

const probeStatus = (metrics: Exposition, probe: string) =>
  statusIn(metrics, 'health_probe_status', { probe });

async function scrape(port: number): Promise<Exposition> {
  const response = await rawGet(port, { path: '/health/metrics' });
  expect(response.status).toBe(200);
  return parseExposition(response.text);
}

const answers = (port: number, path: string, status: number) => async () =>
  (await rawGet(port, { path })).status === status;

describe('health_probe_status with the probe server on', () => {
  it('follows what the probe server answers, with only the probe server asked', async () => {
    const failing = { now: true };
    @Module({
      imports: [
        HealthModule.forRoot({
          logger: false,
          probeServer: { port: 0 },
          refreshIntervalMs: 100,
          metrics: { registry: new Registry() },
        }),
      ],
      providers: [builtIndicator('db', {}, failing)],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    const appPort = (app.getHttpServer().address() as AddressInfo).port;
    const probePort = app.get(HealthService).probeServerPort!;

    await until(answers(probePort, '/health/ready', 503), 'the probe server to answer 503', 5000);
    expect(probeStatus(await scrape(appPort), 'ready')).toBe('fail');
    expect(probeStatus(await scrape(probePort), 'ready')).toBe('fail');

    failing.now = false;
    await until(answers(probePort, '/health/ready', 200), 'the probe server to answer 200', 5000);
    expect(probeStatus(await scrape(appPort), 'ready')).toBe('pass');
    expect(probeStatus(await scrape(probePort), 'ready')).toBe('pass');
  });

  it('shows a shutdown at once, for as long as the app serves through its delay', async () => {
    child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, KIND: 'http', METRICS: 'true', DELAY_MS: '3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    await until(
      () => /READY \{.*\}/.test(printed),
      () => `READY, in: ${printed}`,
      10_000,
    );
    const { appPort, probePort } = JSON.parse(/READY (\{.*\})/.exec(printed)![1]!) as {
      appPort: number;
      probePort: number;
    };
    await until(answers(probePort, '/health/ready', 200), 'ready to pass', 5000);
    expect(probeStatus(await scrape(appPort), 'ready')).toBe('pass');

    child.kill('SIGTERM');
    let metrics: Exposition | undefined;
    // Well within the delay: the signal reaches the app a moment after it is sent.
    await until(
      async () => probeStatus((metrics = await scrape(appPort)), 'ready') === 'fail',
      'the gauge to show ready failing',
      2500,
    );
    expect(probeStatus(metrics!, 'live')).toBe('pass');
    expect((await rawGet(probePort, { path: '/health/ready' })).status).toBe(503);
    await exited;
  });
});
