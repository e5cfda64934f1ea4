import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep, until } from '../../test/support/wait.js';
import { HttpHealthIndicator, type HttpIndicatorSettings } from './http.indicator.js';

/** What a check that fails on a threshold resolves with: its figures, a status and why. */
const failed = (output: RegExp | string) => ({
  status: 'fail',
  output: typeof output === 'string' ? output : expect.stringMatching(output),
});

let server: Server;
let base: string;
let seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];

/** The dependency: one route per behaviour. */
function handle(path: string, respond: (status: number, body?: string) => void) {
  if (path.startsWith('/ok')) return respond(200, 'x'.repeat(100_000));
  if (path.startsWith('/down')) return respond(503, 'down');
  if (path.startsWith('/redirect')) return respond(302);
  if (path.startsWith('/slow')) return void setTimeout(() => respond(200), 150);
  // '/hang': accepts, and never answers
}

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ method: request.method, url: request.url, headers: request.headers });
    handle(request.url ?? '/', (status, body) => {
      if (status === 302) response.setHeader('location', '/login');
      response.writeHead(status).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
});

const connections = () =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

/** Waits for the server to see every connection closed; fails the test if one stays open. */
async function noConnectionLeft() {
  await until(async () => (await connections()) === 0, 'the server to see every connection closed');
}

/** Sockets open in this process, client and server sides. */
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

const check = (settings: HttpIndicatorSettings, signal = new AbortController().signal) =>
  new HttpHealthIndicator(settings).check(signal);

describe('HttpHealthIndicator', () => {
  it('passes on a 2xx with the latency, on a connection of its own, closed at once', async () => {
    const result = await check({ url: `${base}/ok` });
    expect(result).toEqual({
      observedValue: expect.any(Number),
      observedUnit: 'ms',
      details: { method: 'GET', url: `${base}/ok`, status: 200 },
    });
    expect(seen[0].headers.connection).toBe('close');
    await noConnectionLeft();
  });

  it('fails on a status out of range, without the query string (it may hold a token)', async () => {
    expect(await check({ url: `${base}/down?token=s3cret` })).toMatchObject({
      ...failed(`GET ${base}/down answered 503, expected 200-399`),
      observedValue: expect.any(Number),
      observedUnit: 'ms',
      details: { method: 'GET', url: `${base}/down`, status: 503 },
    });
    await noConnectionLeft();
  });

  it('takes a redirect as the answer, and expectStatus narrows what passes', async () => {
    const url = new URL(`${base}/redirect`);
    await expect(check({ url })).resolves.toMatchObject({ details: { status: 302 } });
    expect(await check({ url, expectStatus: [200, 299] })).toMatchObject(
      failed(`GET ${base}/redirect answered 302, expected 200-299`),
    );
    expect(seen.map((request) => request.url)).toEqual(['/redirect', '/redirect']);
  });

  it('sends the method and headers given, and credentials of the URL as basic auth', async () => {
    await check({ url: `${base}/ok`, method: 'HEAD', headers: { Authorization: 'Bearer t' } });
    expect(seen[0]).toMatchObject({ method: 'HEAD', headers: { authorization: 'Bearer t' } });
    const withUser = new URL(`${base}/down`);
    withUser.username = 'probe';
    withUser.password = 's3cret';
    // Failure outputs never show the credentials.
    expect(await check({ url: withUser })).toMatchObject(
      failed(`GET ${base}/down answered 503, expected 200-399`),
    );
    expect(seen[1].headers.authorization).toBe(
      `Basic ${Buffer.from('probe:s3cret').toString('base64')}`,
    );
  });

  it('warns when slower than maxLatencyMs', async () => {
    const result = await check({ url: `${base}/slow`, maxLatencyMs: 50 });
    expect(result).toMatchObject({ status: 'warn', details: { status: 200 } });
    expect(result.output).toMatch(
      new RegExp(`^GET ${base}/slow answered 200 in [\\d.]+ ms, above maxLatencyMs 50$`),
    );
    expect(result.observedValue).toBeGreaterThanOrEqual(140);
  });

  it('fails with the network error, when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(check({ url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('gives up when the signal aborts, and closes the connection', async () => {
    const before = sockets();
    const controller = new AbortController();
    const checking = check({ url: `${base}/hang` }, controller.signal);
    // Aborted once the server holds the request, not after a fixed time it may not reach it in.
    await until(() => seen.length === 1, 'the server to receive the request');
    const abortedAt = performance.now();
    controller.abort(new DOMException('timed out after 100 ms', 'TimeoutError'));
    await expect(checking).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(seen).toHaveLength(1);
    await noConnectionLeft();
    await until(() => sockets() <= before, 'the socket handles to close');
  });

  it('sends nothing with a signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(check({ url: `${base}/ok` }, controller.signal)).rejects.toThrow('timed out');
    await sleep(20);
    expect(seen).toHaveLength(0);
  });

  it.each<[unknown, string]>([
    [{ url: 'not a url' }, '"url" is "not a url"; it must be an absolute http: or https: URL.'],
    [{ url: 'ftp://example.com/' }, '"url" is "ftp://example.com/"'],
    [{}, '"url" is undefined'],
    [{ url: 'http://x/', method: 'POST' }, '"method" is "POST"; it must be "GET" or "HEAD".'],
    [{ url: 'http://x/', headers: { 'bad name': 'x' } }, '"headers" is an object'],
    [{ url: 'http://x/', headers: { a: 1 } }, '"headers" is an object'],
    [{ url: 'http://x/', expectStatus: [400, 200] }, '"expectStatus" is an array of 2'],
    [{ url: 'http://x/', expectStatus: [200, 700] }, '"expectStatus" is an array of 2'],
    [{ url: 'http://x/', maxLatencyMs: 0 }, '"maxLatencyMs" is number 0'],
  ])('refuses bad settings at start-up: %j', (settings, message) => {
    expect(() => new HttpHealthIndicator(settings as HttpIndicatorSettings)).toThrow(
      `HttpHealthIndicator: ${message}`,
    );
  });

  it('is not affected by later changes to the URL object it was given', async () => {
    const url = new URL(`${base}/ok`);
    const subject = new HttpHealthIndicator({ url });
    url.pathname = '/down';
    await expect(subject.check(new AbortController().signal)).resolves.toMatchObject({
      details: { status: 200 },
    });
  });
});
