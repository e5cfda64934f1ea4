import { afterEach, expect, it } from '@jest/globals';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { built } from './support/dist.js';
import { rawGet, type RawResponse } from './support/http.js';
import { until } from './support/wait.js';

/**
 * The probe server reads which checks each probe runs once, at bootstrap, in a worker of its own:
 * the auto-found ones are there by then, promoted or not, and marked in its text too.
 */

const { HealthModule, HealthService } = built;
let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An ioredis client by its shape (no server), whose PING fails while `state.up` is false. */
const redis = (state: { up: boolean }) => ({
  status: 'ready',
  connect() {},
  duplicate() {},
  ping: async () => {
    if (!state.up) throw new Error('connection lost');
    return 'PONG';
  },
});

it('serves the auto-found checks on the probe server, gating ready on the promoted one', async () => {
  const cache = { up: true };
  const sessions = { up: true };
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        probeServer: { port: 0, host: '127.0.0.1' },
        autoIndicators: { probes: { ready: ['redis.sessions'] } },
      }),
    ],
    providers: [
      { provide: 'CACHE_REDIS', useValue: redis(cache) },
      { provide: 'SESSIONS_REDIS', useValue: redis(sessions) },
    ],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const port = app.get(HealthService).probeServerPort!;
  let last: RawResponse | undefined;
  const read = async (path: string, accept: (response: RawResponse) => boolean) => {
    await until(
      async () => accept((last = await rawGet(port, { path }))),
      () => `${path} as expected; last: ${last?.status} ${last?.text}`,
      5000,
    );
    return last!;
  };

  const deep = await read('/health/deep?verbose', (r) => r.text.includes('[+]redis.cache ok'));
  expect(deep.text).toContain('[+]redis.cache ok (auto-discovered)\n');
  expect(deep.text).toContain('[+]redis.sessions ok (auto-discovered)\n');
  const ready = await read('/health/ready', (r) => r.status === 200);
  expect(Object.keys((ready.body as { checks: object }).checks)).toEqual([
    'redis.sessions:responseTime',
  ]);

  cache.up = false;
  await read('/health/deep?verbose', (r) => r.text.includes('[-]redis.cache failed'));
  expect((await rawGet(port, { path: '/health/ready' })).status).toBe(200);
  sessions.up = false;
  await read('/health/ready', (r) => r.status === 503);
});
