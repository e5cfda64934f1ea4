import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication, type Provider } from '@nestjs/common';
import { NestFactory, type AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { ADAPTERS, type AdapterName } from './support/app.js';
import { built } from './support/dist.js';
import { openEventStream, type EventStreamClient } from './support/event-stream.js';
import { rawGet, type RawResponse } from './support/http.js';
import { until } from './support/wait.js';

const { HealthIndicator, HealthModule, HealthService } = built;

/*
 * The probe server and the app's own port serve the same routes: every path below answers alike
 * on both, on each adapter with its default settings, and with settings of its own.
 */

function database(): Provider {
  @HealthIndicator({ name: 'db' })
  @Injectable()
  class DatabaseHealth {
    check() {
      return undefined;
    }
  }
  return DatabaseHealth;
}

interface Started {
  app: INestApplication;
  appPort: number;
  probePort: number;
}

/** An app on an adapter by name (its default settings), or on the adapter given. */
async function start(adapter: AdapterName | AbstractHttpAdapter) {
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        probeServer: { port: 0, host: '127.0.0.1' },
        groups: { payments: { include: ['db'], access: 'public' } },
        statusPage: true,
      }),
    ],
    providers: [database()],
  })
  class AppModule {}
  const options = { logger: false as const, abortOnError: false };
  const httpAdapter =
    adapter === 'fastify' ? new FastifyAdapter() : adapter === 'express' ? undefined : adapter;
  const app = httpAdapter
    ? await NestFactory.create(AppModule, httpAdapter, options)
    : await NestFactory.create(AppModule, options);
  await app.listen(0, '127.0.0.1');
  const appPort = (app.getHttpServer().address() as AddressInfo).port;
  const probePort = app.get(HealthService).probeServerPort!;
  return { app, appPort, probePort } satisfies Started;
}

/** Waits until the probe server serves what the main thread published (`starting` before). */
const published = (port: number) =>
  until(
    async () => (await rawGet(port, { path: '/health/ready' })).status === 200,
    'the probe server to answer ready',
    5000,
  );

/** Each path asked of both ports: the same answer on each. */
async function expectAgreement({ appPort, probePort }: Started, paths: readonly string[]) {
  for (const path of paths) {
    const [own, probe] = await Promise.all([
      rawGet(appPort, { path }),
      rawGet(probePort, { path }),
    ]);
    expect({ path, ...seen(probe) }).toEqual({ path, ...seen(own) });
  }
}

/** What is compared: the status, the body, and whether it may be cached. */
const seen = (response: RawResponse) => ({
  status: response.status,
  body: response.text,
  cache: response.headers['cache-control'],
  type: response.headers['content-type'],
});

const PATHS = [
  '/health/ready',
  '/health/ready/',
  '/HEALTH/READY',
  '/Health/Ready/db',
  '/health/%72eady',
  '/heal%74h/ready',
  '/health/ready/%ZZ',
  '/health/%ZZ',
  'http://probe.example/health/ready',
  '/health//ready',
  '/health/ready?verbose',
  '/health/ready/db',
  '/health/ready/d%62',
  '/health/ready/db/',
  '/health/ready/nothing',
  '/health/ready/db/x',
  '/health/ready%2F',
  '/health/payments',
  '/health/PAYMENTS/db',
  '/health/live/db',
  '/health/nothing',
  '/health',
  `/health/ready/${'x'.repeat(101)}`,
  '/health/status',
  '/health/status/',
  '/HEALTH/Status',
  '/health/st%61tus',
  '/health/status/x',
  '/health/status/%ZZ',
  '/health/status/events/x',
];

/** What is compared of an event stream: its head. */
const head = (stream: EventStreamClient) => ({
  status: stream.status,
  type: stream.headers['content-type'],
  cache: stream.headers['cache-control'],
});

/** Paths of the status page's event stream on one adapter or the other: read as streams. */
const STREAM_PATHS = [
  '/health/status/events',
  '/health/status/events/',
  '/health/status/EVENTS',
  '/health/status/%65vents',
];

describe.each(ADAPTERS)('the probe server and the app port agree (%s)', (adapter) => {
  let started: Started;

  beforeAll(async () => {
    started = await start(adapter);
    // Once published: the probe server answers `starting` before.
    await published(started.probePort);
  });

  afterAll(async () => {
    await started?.app.close();
  });

  it.each(PATHS)('%s', (path) => expectAgreement(started, [path]));

  it.each(STREAM_PATHS)('%s', async (path) => {
    const [own, probe] = await Promise.all(
      [started.appPort, started.probePort].map((port) => openEventStream(port, path)),
    );
    own.close();
    probe.close();
    expect(head(probe)).toEqual(head(own));
  });
});

describe("with the Express app's own routing settings", () => {
  let started: Started | undefined;

  afterAll(async () => {
    await started?.app.close();
  });

  it('follows them on the probe server too', async () => {
    const server = express();
    server.set('case sensitive routing', true);
    server.set('strict routing', true);
    started = await start(new ExpressAdapter(server));
    await published(started.probePort);
    await expectAgreement(started, [
      '/health/ready/',
      '/HEALTH/READY',
      '/health/ready',
      '/health/ready/db/',
    ]);
    expect((await rawGet(started.probePort, { path: '/HEALTH/READY' })).status).toBe(404);
  });
});

describe('with the ignoreTrailingSlash and caseSensitive options of Fastify', () => {
  let started: Started | undefined;

  afterAll(async () => {
    await started?.app.close();
  });

  it('follows them on the probe server too', async () => {
    const fastify = new FastifyAdapter({
      routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
    });
    started = await start(fastify);
    await published(started.probePort);
    await expectAgreement(started, ['/health/ready/', '/HEALTH/Ready', '/health/ready/db/']);
  });
});
