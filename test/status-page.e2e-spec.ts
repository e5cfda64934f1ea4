import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  HealthIndicator,
  HealthModule,
  HealthService,
  type HealthModuleOptions,
} from '../lib/index.js';
import { ADAPTERS, type AdapterName } from './support/app.js';
import { nextView, openEventStream, type EventStreamClient } from './support/event-stream.js';
import { rawGet } from './support/http.js';
import { sleep, until } from './support/wait.js';

/*
 * The status page (`statusPage`) on the app's port, end to end over real HTTP: the page, its
 * headers, who may read it, and its event stream. The probe server's page and the shutdown are
 * in status-page-probe-server.e2e-spec.ts; what a browser makes of it, in the browser suite.
 */

let app: INestApplication | undefined;
const opened: EventStreamClient[] = [];

afterEach(async () => {
  for (const stream of opened.splice(0)) stream.close();
  await app?.close();
  app = undefined;
});

/** A check whose behaviour the test switches, counting its runs. */
function indicator(name: string, options: object = {}) {
  const state = { runs: 0, fail: undefined as string | undefined };
  @HealthIndicator({ name, ...options })
  @Injectable()
  class Check {
    check() {
      state.runs++;
      if (state.fail !== undefined) throw new Error(state.fail);
    }
  }
  Object.defineProperty(Check, 'name', { value: `${name}Health` });
  return { provider: Check, state };
}

async function start(
  health: HealthModuleOptions,
  { adapter = 'express' as AdapterName, providers = [] as unknown[], async = false } = {},
) {
  const options = { logger: false as const, ...health };
  @Module({
    imports: [
      async
        ? HealthModule.forRootAsync({ useFactory: () => options })
        : HealthModule.forRoot(options),
    ],
    providers: providers as never[],
  })
  class AppModule {}
  const settings = { logger: false as const, abortOnError: false };
  app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), settings)
      : await NestFactory.create(AppModule, settings);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** A CSP source of `text` by its hash. */
const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

async function openStream(port: number, path = '/health/status/events', from?: string) {
  const stream = await openEventStream(port, path, { from });
  opened.push(stream);
  return stream;
}

describe.each(ADAPTERS)('the status page on the app port (%s)', (adapter) => {
  it('is off by default: its routes answer as routes that do not exist', async () => {
    const port = await start({}, { adapter });
    for (const path of ['/health/status', '/health/status/events']) {
      const [page, nothing] = await Promise.all([
        rawGet(port, { path }),
        rawGet(port, { path: '/health/nothing-here' }),
      ]);
      expect(page.status).toBe(404);
      expect(page.text).toBe(nothing.text.replace('/health/nothing-here', path));
    }
  });

  it('serves one self-contained page, allowed only its own script and style', async () => {
    const port = await start({ statusPage: true }, { adapter });
    const page = await rawGet(port, { path: '/health/status' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "connect-src 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    // The inline script and style are the ones the policy names, and nothing is loaded from elsewhere.
    const script = /<script>([\s\S]*)<\/script>/.exec(page.text)![1];
    const style = /<style>([\s\S]*)<\/style>/.exec(page.text)![1];
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining([`script-src ${sha(script)}`, `style-src ${sha(style)}`]),
    );
    expect(page.text).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(page.text.match(/<script/g)).toHaveLength(1);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it('streams what the probes say, and each change, live', async () => {
    const database = indicator('database', { critical: true });
    const port = await start(
      { statusPage: true, cacheTtlMs: 50 },
      {
        adapter,
        providers: [database.provider],
      },
    );
    const events = await openStream(port);
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.headers['cache-control']).toBe('no-store, no-transform');
    const first = await nextView(events, (view) =>
      view.probes.some((probe) => probe.name === 'ready' && probe.status === 'pass'),
    );
    expect(first).toMatchObject({
      source: 'app',
      checks: [{ name: 'database', status: 'pass', critical: true }],
    });
    expect(first.probes.map((probe) => [probe.name, probe.kind])).toEqual([
      ['live', 'probe'],
      ['ready', 'probe'],
      ['startup', 'probe'],
      ['deep', 'probe'],
    ]);
    expect(first.diagnostics.map((entry) => entry.name)).toContain('heapUsed');
    database.state.fail = 'connection refused';
    const failed = await nextView(events, (view) => view.checks[0]?.status === 'fail');
    const ready = await rawGet(port, { path: '/health/ready' });
    expect(failed.probes.find((probe) => probe.name === 'ready')).toEqual({
      name: 'ready',
      kind: 'probe',
      status: 'fail',
      output: (ready.body as { output: string }).output,
    });
    expect(failed.transitions[0]).toMatchObject({
      check: 'database',
      from: 'pass',
      to: 'fail',
      output: 'connection refused',
    });
    expect(failed.checks[0].changedAt).toBe(failed.transitions[0].at);
  });
});

describe('who may read the status page', () => {
  const EXTERNAL = '127.0.0.2';
  const health: HealthModuleOptions = { statusPage: true, internalNetworks: ['127.0.0.1/32'] };

  it.each([403, 404] as const)(
    'answers external callers deniedStatus (%s), as deep does',
    async (deniedStatus) => {
      const port = await start({ ...health, deniedStatus });
      for (const path of ['/health/status', '/health/status/events']) {
        const [page, deep] = await Promise.all([
          rawGet(port, { path, from: EXTERNAL }),
          rawGet(port, { path: '/health/deep', from: EXTERNAL }),
        ]);
        expect([page.status, page.text]).toEqual([
          deniedStatus,
          deep.text.replace('/health/deep', path),
        ]);
      }
      expect((await rawGet(port, { path: '/health/status' })).status).toBe(200);
    },
  );

  it('follows the access of deep, when it is made public', async () => {
    const port = await start({ ...health, access: { deep: 'public' } });
    expect((await rawGet(port, { path: '/health/status', from: EXTERNAL })).status).toBe(200);
  });
});

describe('the status stream', () => {
  it('caps the streams open at once: one more is answered 503, and may come back later', async () => {
    const port = await start({ statusPage: { maxStreams: 1 } });
    const first = await openStream(port);
    const second = await openStream(port);
    expect([first.status, second.status]).toEqual([200, 503]);
    expect(second.headers['retry-after']).toBe('5');
    expect(second.text()).toContain('statusPage.maxStreams: 1');
    first.close();
    await until(async () => (await openStream(port)).status === 200, 'a stream to open again');
  });

  it('runs no check while no stream is open, and follows them while one is', async () => {
    const database = indicator('database');
    const port = await start(
      { statusPage: true, cacheTtlMs: 20 },
      { providers: [database.provider] },
    );
    await sleep(100);
    const idle = database.state.runs;
    await sleep(200);
    expect(database.state.runs).toBe(idle);
    const events = await openStream(port);
    await until(() => database.state.runs > idle + 3, 'the checks to be followed');
    events.close();
    await sleep(100);
    const after = database.state.runs;
    await sleep(200);
    expect(database.state.runs).toBe(after);
  });

  it('sends every value of a check as text, and nothing a redactor would mask', async () => {
    const hostile = indicator('hostile', { critical: false });
    hostile.state.fail = '<img src=x onerror=alert(1)> password=hunter2';
    const port = await start({ statusPage: true }, { providers: [hostile.provider] });
    const events = await openStream(port);
    const view = await nextView(events, (candidate) => candidate.checks.length > 0);
    expect(view.checks[0].output).toBe('<img src=x onerror=alert(1)> password=***');
    expect(events.text()).not.toContain('hunter2');
  });
});

describe('the status stream when the application closes', () => {
  it.each(ADAPTERS)(
    'ends, so that app.close() (no shutdown delay, no drain) is not held (%s)',
    async (adapter) => {
      const port = await start({ statusPage: true }, { adapter });
      const events = await openStream(port);
      await nextView(events, () => true);
      const closing = app!.close();
      app = undefined;
      expect((await events.next((event) => event.event === 'end')).data).toBe(
        'the application is closing',
      );
      await closing;
      await until(() => events.ended(), 'the stream to end');
    },
  );
});

describe('the status page under forRootAsync()', () => {
  @Controller('health')
  class OwnStatusController {
    @Get('status')
    status() {
      return { own: true };
    }
  }

  it('serves it when the factory turns it on', async () => {
    const port = await start({ statusPage: true }, { async: true });
    expect((await rawGet(port, { path: '/health/status' })).status).toBe(200);
    expect((await openStream(port)).status).toBe(200);
  });

  it("hands its routes on to the app's own when the factory leaves it off", async () => {
    // Its routes come after the module's, as those of a module imported after it do.
    @Module({ controllers: [OwnStatusController] })
    class OwnModule {}
    @Module({
      imports: [HealthModule.forRootAsync({ useFactory: () => ({ logger: false }) }), OwnModule],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    expect((await rawGet(port, { path: '/health/status' })).body).toEqual({ own: true });
    expect((await rawGet(port, { path: '/health/status/events' })).status).toBe(404);
    expect(app.get(HealthService)).toBeDefined();
  });
});
