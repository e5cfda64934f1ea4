import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { sleep, until } from '../../test/support/wait.js';
import { TcpHealthIndicator, type TcpIndicatorSettings } from './tcp.indicator.js';

let server: Server;
let port: number;
let accepted = 0;

/** A port nothing listens on: bound, then released. */
async function refusingPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

const connections = () =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

async function noConnectionLeft() {
  await until(async () => (await connections()) === 0, 'the server to see every connection closed');
}

beforeAll(async () => {
  server = createServer(() => accepted++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Sockets open in this process, client and server sides. */
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

const check = (settings: TcpIndicatorSettings, signal = new AbortController().signal) =>
  new TcpHealthIndicator(settings).check(signal);

describe('TcpHealthIndicator', () => {
  it('passes when a connection opens, and closes it at once', async () => {
    const result = await check({ host: '127.0.0.1', port });
    expect(result).toEqual({
      details: { host: '127.0.0.1', port, address: '127.0.0.1' },
    });
    // The client's end opens before the server's accept is handled: waited for, not read at once.
    await until(() => accepted > 0, 'the server to accept the connection');
    await noConnectionLeft();
  });

  it('fails with the reason when the port refuses', async () => {
    const closed = await refusingPort();
    await expect(check({ host: '127.0.0.1', port: closed })).rejects.toThrow(
      new Error(`connect ECONNREFUSED 127.0.0.1:${closed}`),
    );
  });

  it('gives up on abort, and leaves no socket behind', async () => {
    const before = sockets();
    const controller = new AbortController();
    // Aborted before the connection (asynchronous even on loopback) could open.
    const pending = check({ host: '127.0.0.1', port }, controller.signal);
    controller.abort(new DOMException('timed out after 5 ms', 'TimeoutError'));
    await expect(pending).rejects.toThrow('timed out after 5 ms');
    await noConnectionLeft();
    await until(() => sockets() <= before, 'the socket handles to close');
  });

  it('does not connect with a signal already aborted', async () => {
    const count = accepted;
    await expect(check({ host: '127.0.0.1', port }, AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
    await sleep(20);
    expect(accepted).toBe(count);
  });

  it.each<[unknown, string]>([
    [{ host: '', port: 80 }, '"host" is ""; it must be a host name or an IP address'],
    [{ host: 'http://db', port: 80 }, '"host" is "http://db"'],
    [{ host: 'db:5432', port: 5432 }, '"host" is "db:5432"'],
    [{ host: 'db', port: 0 }, '"port" is number 0; it must be an integer from 1 to 65535.'],
    [{ host: 'db', port: 65536 }, '"port" is number 65536'],
    [{ host: 'db', port: '5432' }, '"port" is "5432"'],
    [{ host: '::1', port: 1 }, ''],
  ])('checks its settings at start-up: %j', (settings, message) => {
    const create = () => new TcpHealthIndicator(settings as TcpIndicatorSettings);
    if (message) expect(create).toThrow(`TcpHealthIndicator: ${message}`);
    else expect(create).not.toThrow();
  });
});
