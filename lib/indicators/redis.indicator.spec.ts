import { describe, expect, it, jest } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { RedisHealthIndicator, type RedisClientLike } from './redis.indicator.js';

const never = () => new Promise<never>(() => undefined);
const pong = () => Promise.resolve('PONG');

function ioredis(status: string, ping: () => Promise<unknown> = pong) {
  return { status, ping: jest.fn(ping) };
}

function nodeRedis(state: { isReady: boolean; isOpen?: boolean }, ping = pong) {
  return { ...state, ping: jest.fn(ping) };
}

const check = (client: unknown, signal = new AbortController().signal) =>
  new RedisHealthIndicator({ client: client as RedisClientLike }).check(signal);

describe('RedisHealthIndicator', () => {
  it('has its defaults, and checks the client’s own package at start-up', () => {
    expect(RedisHealthIndicator.defaults).toEqual({ name: 'redis', componentType: 'datastore' });
    // Which package depends on the client: ioredis or redis (node-redis).
    expect(RedisHealthIndicator.peer).toBeUndefined();
  });

  it('rejects what is not an ioredis or node-redis client, at start-up', () => {
    expect(() => new RedisHealthIndicator({ client: undefined as never })).toThrow(
      /RedisHealthIndicator needs an ioredis client \(Redis or Cluster\) or a node-redis client .* got undefined/,
    );
    expect(() => new RedisHealthIndicator({ client: { ping: pong } as never })).toThrow(
      /needs an ioredis client/,
    );
  });

  describe('with ioredis', () => {
    it('pings when ready, and says the status', async () => {
      const client = ioredis('ready');
      await expect(check(client)).resolves.toEqual({
        details: { status: 'ready' },
      });
      expect(client.ping).toHaveBeenCalledTimes(1);
    });

    it.each(['reconnecting', 'connecting', 'connect', 'close', 'end'])(
      'fails at once while %s, without a command',
      async (status) => {
        const client = ioredis(status);
        await expect(check(client)).rejects.toThrow(`not connected (status: ${status})`);
        expect(client.ping).not.toHaveBeenCalled();
      },
    );

    it('pings a lazy client that has not connected yet: its first command connects it', async () => {
      const client = ioredis('wait', () => Promise.reject(new Error('WRONGPASS invalid password')));
      await expect(check(client)).rejects.toThrow('WRONGPASS invalid password');
      expect(client.ping).toHaveBeenCalledTimes(1);
    });

    it('gives up when the signal aborts, leaving no listener on it', async () => {
      const controller = new AbortController();
      const running = check(ioredis('ready', never), controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort(new Error('timed out after 5 ms'));
      await expect(running).rejects.toThrow('timed out after 5 ms');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('waits for a PING still unanswered instead of sending another', async () => {
      let reply!: (value: string) => void;
      const client = ioredis('ready', () => new Promise((resolve) => (reply = resolve)));
      const health = new RedisHealthIndicator({ client });
      const first = new AbortController();
      const timedOut = health.check(first.signal);
      first.abort(new Error('timed out after 5 ms'));
      await expect(timedOut).rejects.toThrow('timed out after 5 ms');
      const next = health.check(new AbortController().signal);
      reply('PONG');
      await expect(next).resolves.toMatchObject({ details: { status: 'ready' } });
      expect(client.ping).toHaveBeenCalledTimes(1);
    });

    it('lets go of the signal when the reply comes first', async () => {
      const controller = new AbortController();
      await check(ioredis('ready'), controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('with node-redis', () => {
    it('pings when ready', async () => {
      const client = nodeRedis({ isReady: true, isOpen: true });
      await expect(check(client)).resolves.toMatchObject({ details: { status: 'ready' } });
    });

    it('fails at once while not ready: connecting, reconnecting once it was ready, or closed', async () => {
      const client = nodeRedis({ isReady: false, isOpen: true });
      const indicator = new RedisHealthIndicator({ client });
      const signal = new AbortController().signal;
      await expect(indicator.check(signal)).rejects.toThrow('not connected (status: connecting)');
      client.isReady = true;
      await indicator.check(signal);
      client.isReady = false;
      await expect(indicator.check(signal)).rejects.toThrow('not connected (status: reconnecting)');
      client.isOpen = false;
      await expect(indicator.check(signal)).rejects.toThrow('not connected (status: closed)');
      expect(client.ping).toHaveBeenCalledTimes(1);
    });

    it('pings an open pool, which says no more than that, and fails at once once closed', async () => {
      const pool = { isOpen: true, ping: jest.fn(pong) };
      await expect(check(pool)).resolves.toMatchObject({ details: { status: 'open' } });
      pool.isOpen = false;
      await expect(check(pool)).rejects.toThrow('not connected (status: closed)');
      expect(pool.ping).toHaveBeenCalledTimes(1);
    });

    it('uses the promise API of a v4 client in legacy mode', async () => {
      const legacy = { isReady: true, ping: jest.fn(), v4: { ping: jest.fn(pong) } };
      await check(legacy);
      expect(legacy.v4.ping).toHaveBeenCalledTimes(1);
      expect(legacy.ping).not.toHaveBeenCalled();
    });
  });
});
