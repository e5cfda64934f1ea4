import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { spawn } from 'node:child_process';
import type { AddressInfo, Server } from 'node:net';
import { built } from './support/dist.js';
import { rawGet } from './support/http.js';
import { until } from './support/wait.js';

const { HealthIndicator, HealthModule, HealthService } = built;

/*
 * The probe server is honest about the app's own port: `ready` fails once the app's HTTP listener
 * stops while the process lives on, and a busy loop is never taken for a broken listener.
 */

@HealthIndicator({ name: 'db' })
@Injectable()
class DatabaseHealth {
  check() {
    return undefined;
  }
}

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close().catch(() => undefined);
  app = undefined;
});

async function start() {
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        probeServer: { port: 0, host: '127.0.0.1', maxStallMs: 10_000 },
      }),
    ],
    providers: [DatabaseHealth],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const appPort = (server.address() as AddressInfo).port;
  const probePort = app.get(HealthService).probeServerPort!;
  const ready = () => rawGet(probePort, { path: '/health/ready' });
  await until(async () => (await ready()).status === 200, 'ready to pass', 5000);
  return { server, appPort, probePort, ready };
}

describe('the probe server and the listeners of the app', () => {
  it("fails ready, saying why, once the app's HTTP listener stops outside a shutdown", async () => {
    const { server, appPort, probePort, ready } = await start();
    server.close();
    await until(async () => (await ready()).status === 503, 'ready to fail', 5000);
    const { body } = await rawGet(probePort, { path: '/health/ready' });
    expect(body).toMatchObject({
      status: 'fail',
      output: `the application's HTTP server (127.0.0.1:${appPort}) refuses connections`,
    });
    // Liveness is not its business: the process is alive.
    expect((await rawGet(probePort, { path: '/health/live' })).status).toBe(200);
    // Listening again, it is ready again.
    await new Promise<void>((resolve) => server.listen(appPort, '127.0.0.1', resolve));
    await until(async () => (await ready()).status === 200, 'ready to pass again', 5000);
  });

  it('takes a busy event loop for busy, not for a broken listener', async () => {
    const { probePort } = await start();
    // A client of another process polls the probe server while this loop is stuck for 3 s,
    // under maxStallMs: the kernel still accepts connections to the app's port meanwhile.
    const script = `
      const seen = []; const started = Date.now();
      const tick = async () => {
        try {
          const r = await fetch('http://127.0.0.1:${probePort}/health/ready', { signal: AbortSignal.timeout(1000) });
          seen.push(r.status);
        } catch (e) { seen.push(0); }
        if (Date.now() - started < 3500) setTimeout(tick, 100); else console.log(JSON.stringify(seen));
      };
      setTimeout(tick, 300);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const done = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const blockedUntil = Date.now() + 3000;
    while (Date.now() < blockedUntil);
    await done;
    const statuses = JSON.parse(out) as number[];
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.every((status) => status === 200)).toBe(true);
  });

  it('leaves an app that only calls init() alone (supertest listens it itself)', async () => {
    @Module({
      imports: [
        HealthModule.forRoot({ logger: false, probeServer: { port: 0, host: '127.0.0.1' } }),
      ],
      providers: [DatabaseHealth],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
    const probePort = app.get(HealthService).probeServerPort!;
    await until(
      async () => (await rawGet(probePort, { path: '/health/ready' })).status === 200,
      'ready to pass without a listener',
      5000,
    );
  });
});
