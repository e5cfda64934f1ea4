import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { HealthModuleOptions } from '../lib/index.js';
import { built } from './support/dist.js';
import {
  nextView,
  openEventStream,
  views,
  type EventStreamClient,
} from './support/event-stream.js';
import { rawGet } from './support/http.js';
import { startSample, stopSample, type Sample } from './support/sample-process.js';
import { until } from './support/wait.js';

const { HealthIndicator, HealthModule, HealthService } = built;

/*
 * The status page on the probe server: it answers from what the main thread published and from
 * the heartbeat, so it keeps answering, and says the event loop has stalled, while the main
 * thread is stuck. And on both ports, the streams end when the shutdown's drain begins.
 */

let app: INestApplication | undefined;
let sample: Sample | undefined;
const opened: EventStreamClient[] = [];

afterEach(async () => {
  for (const stream of opened.splice(0)) stream.close();
  await app?.close();
  app = undefined;
  await stopSample(sample);
  sample = undefined;
});

const failing = { now: undefined as string | undefined };

@HealthIndicator({ name: 'database', critical: true })
@Injectable()
class DatabaseHealth {
  check() {
    if (failing.now !== undefined) throw new Error(failing.now);
  }
}

async function start(health: HealthModuleOptions = {}) {
  failing.now = undefined;
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        statusPage: true,
        cacheTtlMs: 100,
        probeServer: { port: 0, host: '127.0.0.1', maxStallMs: 500 },
        ...health,
      }),
    ],
    providers: [DatabaseHealth],
  })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const probes = app.get(HealthService).probeServerPort!;
  await until(
    async () => (await rawGet(probes, { path: '/health/ready' })).status === 200,
    'the probe server to answer ready',
    5000,
  );
  return { port: (app.getHttpServer().address() as AddressInfo).port, probes };
}

async function openStream(port: number, path = '/health/status/events') {
  const stream = await openEventStream(port, path);
  opened.push(stream);
  return stream;
}

describe('the status page on the probe server', () => {
  it("serves the app port's page, and denies external callers as deep does", async () => {
    const { port, probes } = await start({ internalNetworks: ['127.0.0.1/32'], deniedStatus: 404 });
    const [own, served] = await Promise.all([
      rawGet(port, { path: '/health/status' }),
      rawGet(probes, { path: '/health/status' }),
    ]);
    expect(served.status).toBe(200);
    expect(served.text).toBe(own.text);
    for (const header of ['content-security-policy', 'cache-control', 'x-content-type-options']) {
      expect(served.headers[header]).toBe(own.headers[header]);
    }
    for (const path of ['/health/status', '/health/status/events']) {
      const [deniedHere, deniedThere] = await Promise.all([
        rawGet(port, { path, from: '127.0.0.2' }),
        rawGet(probes, { path, from: '127.0.0.2' }),
      ]);
      expect([deniedThere.status, deniedThere.text]).toEqual([404, deniedHere.text]);
    }
  });

  it('streams the published results and the history of the main thread, as they change', async () => {
    const { probes } = await start();
    const events = await openStream(probes);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const first = await nextView(events, (view) => view.checks.length === 1);
    expect(first).toMatchObject({
      source: 'probe-server',
      eventLoop: { stalled: false, lateMs: 0, maxStallMs: 500 },
      checks: [{ name: 'database', status: 'pass', critical: true }],
      transitions: [{ check: 'database', from: 'unknown', to: 'pass' }],
    });
    failing.now = 'connection refused';
    // The probe server runs the checks in the background, every second here.
    const failed = await nextView(events, (view) => view.transitions[0]?.to === 'fail', 5000);
    expect(failed.transitions[0]).toMatchObject({ check: 'database', from: 'pass', to: 'fail' });
    expect(failed.checks[0]).toMatchObject({ status: 'fail', output: 'connection refused' });
    expect(failed.checks[0].changedAt).toBe(failed.transitions[0].at);
    const ready = await rawGet(probes, { path: '/health/ready' });
    expect(failed.probes.find((probe) => probe.name === 'ready')).toMatchObject({
      status: 'fail',
      output: (ready.body as { output: string }).output,
    });
  });

  it('reports the stall while the main thread is blocked, from the heartbeat alone', async () => {
    const { probes } = await start();
    const events = await openStream(probes);
    await nextView(events, (view) => view.checks.length === 1);
    // Blocks this thread (the application's) for longer than maxStallMs; the worker goes on, and
    // what it sends meanwhile waits in the socket until the loop turns again.
    const blockedUntil = Date.now() + 2000;
    while (Date.now() < blockedUntil);
    const stalled = await nextView(events, (view) => view.eventLoop?.stalled === true);
    expect(stalled.eventLoop!.output).toMatch(
      /^the event loop has not turned for \d+\.\d s \(maxStallMs 500\)$/,
    );
    expect(stalled.eventLoop!.lateMs).toBeGreaterThanOrEqual(500);
    expect(new Set(stalled.probes.map((probe) => probe.output))).toEqual(
      new Set([stalled.eventLoop!.output]),
    );
    // The checks are the last published: the stall fails the probes, not what the checks said.
    expect(stalled.checks[0].status).toBe('pass');
    await nextView(events, (view) => view.eventLoop?.stalled === false && views(events).length > 0);
  });
});

describe('the status streams during a shutdown (the sample)', () => {
  it('end when the drain begins, on both ports: the process exits right after', async () => {
    const DELAY_MS = 300;
    sample = await startSample({ WARMUP_MS: '0', SHUTDOWN_DELAY_MS: String(DELAY_MS) });
    const port = Number(new URL(sample.urls.live).port);
    const probes = Number(new URL(sample.probes.live).port);
    const [own, served] = await Promise.all([openStream(port), openStream(probes)]);
    await Promise.all([own, served].map((events) => nextView(events, () => true)));
    const requestedAt = Date.now();
    await fetch(`http://127.0.0.1:${port}/admin/shutdown`, { method: 'POST' });
    const reason = 'the application is shutting down';
    for (const events of [own, served]) {
      expect((await events.next((event) => event.event === 'end', 8000)).data).toBe(reason);
      await until(() => events.ended(), 'the stream to end');
    }
    const exit = await sample.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Well before the grace period's watchdog (29 s in the sample): the drain was not held.
    expect(exit.at - requestedAt).toBeLessThan(DELAY_MS + 8000);
    expect(sample.output()).toMatch(/HTTP server drained in \d+ ms/);
  });
});
