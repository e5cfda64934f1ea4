import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { HealthReport } from 'nestjs-probes';
import { running, startSample, stopSample, type Sample } from './support/sample-process.js';

/**
 * The sample as a user runs it: the built files in a child process of their own, over real HTTP.
 * It catches what in-process tests cannot: the package self-reference, the printed URLs, PORT=0,
 * the env variables and a clean exit on SIGTERM.
 */

const WARMUP_MS = 1500;

interface Answer {
  status: number;
  contentType: string | null;
  body: HealthReport;
}

async function probe(url: string): Promise<Answer> {
  const response = await fetch(url);
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as HealthReport,
  };
}

/**
 * Polls until the probe answers as expected: results are cached for 1 s, so a change shows up
 * within about that long. Fails with the last answer rather than a bare timeout.
 */
async function until(
  url: string,
  expected: (answer: Answer) => boolean,
  timeoutMs = 4000,
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await probe(url);
    if (expected(answer)) return answer;
    if (Date.now() > deadline) {
      throw new Error(`${url} still answers ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function request(method: string, url: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** The one entry of a check in a report. */
function check(answer: Answer, name: string) {
  return answer.body.checks?.[`${name}:responseTime`]?.[0];
}

const passes = (answer: Answer) => answer.status === 200 && answer.body.status === 'pass';

describe('the sample app (built, in a child process)', () => {
  let sample: Sample | undefined;

  beforeAll(async () => {
    sample = await startSample({ WARMUP_MS: String(WARMUP_MS) });
  });

  afterEach(async () => {
    // A failed test must not leave a fault behind to fail the next ones too.
    if (!running(sample)) return;
    await request('DELETE', `${sample.urls.faults}/database`);
    await request('DELETE', `${sample.urls.faults}/cache`);
  });

  afterAll(async () => {
    await stopSample(sample);
  });

  const urls = () => sample!.urls;

  it('answers live at once, while startup and ready wait for the warm-up', async () => {
    const live = await probe(urls().live);
    expect(live.status).toBe(200);
    expect(live.contentType).toMatch(/^application\/health\+json/);
    expect(live.body).toMatchObject({ status: 'pass', serviceId: 'orders-sample' });

    const startup = await probe(urls().startup);
    expect(startup.status).toBe(503);
    expect(check(startup, 'warmup')?.output).toMatch(/^warming up \(\d+%\)$/);

    const ready = await probe(urls().ready);
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('fail');
  });

  it('passes startup, then ready, once the warm-up is done', async () => {
    await until(urls().startup, passes, WARMUP_MS + 3000);
    const ready = await until(urls().ready, passes);
    expect(check(ready, 'database')?.status).toBe('pass');
    expect(check(ready, 'cache')?.status).toBe('pass');
    // A startup-only indicator stays out of ready, but the deep probe runs every one.
    expect(check(ready, 'warmup')).toBeUndefined();
    const deep = await probe(urls().deep);
    expect(deep.status).toBe(200);
    expect(check(deep, 'warmup')?.status).toBe('pass');
    expect(deep.body.checks).toHaveProperty(['process:uptime']);
  });

  it('serves orders from its in-memory database', async () => {
    const list = await fetch(urls().orders);
    expect(list.status).toBe(200);
    const orders = (await list.json()) as { id: string }[];
    expect(orders.length).toBeGreaterThan(0);
    const one = await fetch(`${urls().orders}/${orders[0].id}`);
    expect(await one.json()).toMatchObject({ id: orders[0].id });
    expect((await fetch(`${urls().orders}/no-such-order`)).status).toBe(404);
  });

  it('fails ready when the database goes down, and passes again once it is healed', async () => {
    const broken = await request('POST', `${urls().faults}/database`);
    expect(broken).toEqual({ status: 200, body: { database: 'down', cache: 'up' } });

    const ready = await until(urls().ready, (answer) => answer.status === 503);
    expect(ready.body.status).toBe('fail');
    expect(check(ready, 'database')?.output).toBe('connection refused');
    expect(ready.body.output).toContain('database: connection refused');
    // Start-up has completed once and for all; the process is alive: neither probe may flap.
    expect((await probe(urls().startup)).status).toBe(200);
    expect((await probe(urls().live)).status).toBe(200);
    // Reads the cache cannot answer need the database (earlier reads may still be cached).
    expect((await fetch(`${urls().orders}/not-cached`)).status).toBe(503);

    expect((await request('DELETE', `${urls().faults}/database`)).status).toBe(200);
    await until(urls().ready, passes);
  });

  it('fails ready at the timeout when the database hangs (mode in the body)', async () => {
    await request('POST', `${urls().faults}/database`, { mode: 'slow' });
    const ready = await until(urls().ready, (answer) => answer.status === 503);
    expect(check(ready, 'database')?.output).toBe('timed out after 300 ms');

    await request('DELETE', `${urls().faults}/database`);
    await until(urls().ready, passes);
  });

  it('only degrades ready to warn when the cache goes down', async () => {
    await request('POST', `${urls().faults}/cache?mode=down`);
    const ready = await until(urls().ready, (answer) => answer.body.status === 'warn');
    expect(ready.status).toBe(200);
    expect(check(ready, 'cache')).toMatchObject({ status: 'warn' });
    expect(check(ready, 'cache')?.output).toContain('connection refused');
    // The service still works without its cache.
    expect((await fetch(urls().orders)).status).toBe(200);

    await request('DELETE', `${urls().faults}/cache`);
    await until(urls().ready, passes);
  });

  it('lists the faults and rejects unknown dependencies and modes', async () => {
    expect(await request('GET', urls().faults)).toEqual({
      status: 200,
      body: { database: 'up', cache: 'up' },
    });
    expect((await request('POST', `${urls().faults}/queue`)).status).toBe(404);
    expect((await request('POST', `${urls().faults}/database?mode=sideways`)).status).toBe(400);
  });

  it('shuts down on SIGTERM with exit code 0', async () => {
    // Outside Kubernetes the delay is 0: the health module drains, Nest closes, the process exits 0.
    expect(await stopSample(sample)).toBe('code 0');
  });
});

describe('the sample app started with FAIL and HEALTH_PATH', () => {
  let sample: Sample | undefined;

  beforeAll(async () => {
    sample = await startSample({
      WARMUP_MS: String(WARMUP_MS),
      FAIL: 'database:slow,cache',
      HEALTH_PATH: 'internal/health',
    });
  });

  afterAll(async () => {
    await stopSample(sample);
  });

  it('prints the probe URLs under HEALTH_PATH', () => {
    expect(sample!.urls.ready).toMatch(/^http:\/\/localhost:\d+\/internal\/health\/ready$/);
  });

  it('starts up, then fails ready on the faults it was started with', async () => {
    await until(sample!.urls.startup, passes, WARMUP_MS + 3000);
    const ready = await until(sample!.urls.ready, (answer) => answer.status === 503);
    expect(check(ready, 'database')?.output).toBe('timed out after 300 ms');
    expect(check(ready, 'cache')?.status).toBe('warn');
    expect(await request('GET', sample!.urls.faults)).toEqual({
      status: 200,
      body: { database: 'slow', cache: 'down' },
    });
  });
});
