import { describe, expect, it, jest } from '@jest/globals';
import { EventEmitter, getEventListeners } from 'node:events';
import {
  RabbitMqHealthIndicator,
  type AmqpChannelLike,
  type AmqpConnectionLike,
} from './rabbitmq.indicator.js';

const signal = () => new AbortController().signal;

class FakeChannel extends EventEmitter {
  answer: () => Promise<unknown> = () => Promise.resolve({});
  checkExchange = jest.fn((_exchange: string) => this.answer());
  close = jest.fn(() => {
    this.emit('close');
    return Promise.resolve();
  });
}

class FakeConnection extends EventEmitter {
  channels: FakeChannel[] = [];
  createChannel = jest.fn(() => {
    const channel = new FakeChannel();
    this.channels.push(channel);
    return Promise.resolve(channel);
  });
}

/** amqplib's recovering connection has waitForConnect(). */
class FakeRecovering extends FakeConnection {
  waitForConnect() {
    return Promise.resolve(this);
  }
}

/** The error a check failed with; fails the test if it passed. */
async function failure(check: Promise<unknown>): Promise<Error> {
  try {
    await check;
  } catch (error) {
    return error as Error;
  }
  throw new Error('the check passed');
}

const indicator = (client: unknown, exchange?: string) =>
  new RabbitMqHealthIndicator({
    client: client as AmqpConnectionLike | AmqpChannelLike,
    ...(exchange === undefined ? {} : { exchange }),
  });

describe('RabbitMqHealthIndicator', () => {
  it('has its defaults and peer', () => {
    expect(RabbitMqHealthIndicator.defaults).toEqual({
      name: 'rabbitmq',
      componentType: 'component',
    });
    expect(RabbitMqHealthIndicator.peer).toBe('amqplib');
  });

  it('rejects settings that cannot work, at start-up', () => {
    expect(() => indicator({})).toThrow(
      /RabbitMqHealthIndicator needs an amqplib connection .* \(an object with createChannel\(\)\), got an object/,
    );
    expect(() => indicator(new FakeConnection(), '')).toThrow(
      /RabbitMqHealthIndicator: "exchange" is ""; it must be the name of an existing exchange/,
    );
  });

  it('declares amq.direct passively on one channel of its own, reused', async () => {
    const connection = new FakeConnection();
    const health = indicator(connection);
    await expect(health.check(signal())).resolves.toEqual({
      details: { exchange: 'amq.direct' },
    });
    await health.check(signal());
    expect(connection.createChannel).toHaveBeenCalledTimes(1);
    expect(connection.channels[0].checkExchange.mock.calls).toEqual([
      ['amq.direct'],
      ['amq.direct'],
    ]);
    // It listens to its own channel's errors: unheard, one would crash the process.
    expect(connection.channels[0].listenerCount('error')).toBe(1);
  });

  it('opens another channel once its own has closed', async () => {
    const connection = new FakeConnection();
    const health = indicator(connection, 'orders');
    await health.check(signal());
    connection.channels[0].emit('close');
    await health.check(signal());
    expect(connection.createChannel).toHaveBeenCalledTimes(2);
    expect(connection.channels[1].checkExchange).toHaveBeenCalledWith('orders');
  });

  it('fails at once, with the reason, once a plain connection has closed', async () => {
    const connection = new FakeConnection();
    const health = indicator(connection);
    connection.emit('close', new Error('Unexpected close'));
    const error = await failure(health.check(signal()));
    expect(error.message).toBe('connection closed');
    expect((error.cause as Error).message).toBe('Unexpected close');
    expect(connection.createChannel).not.toHaveBeenCalled();
  });

  it('fails at once while a recovering connection is down, and passes once it is back', async () => {
    const connection = new FakeRecovering();
    const health = indicator(connection);
    connection.emit('disconnect', new Error('read ECONNRESET'));
    const error = await failure(health.check(signal()));
    expect(error.message).toBe('not connected (reconnecting)');
    expect((error.cause as Error).message).toBe('read ECONNRESET');
    connection.emit('connect-failed', new Error('ACCESS_REFUSED'));
    await expect(health.check(signal())).rejects.toThrow('not connected (reconnecting)');
    connection.emit('connect', {});
    await expect(health.check(signal())).resolves.toBeDefined();
    connection.emit('reconnect-failed', new Error('gave up'));
    await expect(health.check(signal())).rejects.toThrow('connection closed (recovery gave up)');
  });

  it('waits for the declare still unanswered instead of queueing another', async () => {
    const connection = new FakeConnection();
    const health = indicator(connection);
    await health.check(signal());
    const channel = connection.channels[0];
    let answer!: () => void;
    channel.answer = () => new Promise((resolve) => (answer = () => resolve({})));
    const first = new AbortController();
    const hung = health.check(first.signal);
    await new Promise((resolve) => setImmediate(resolve));
    first.abort(new Error('timed out'));
    await expect(hung).rejects.toThrow('timed out');
    const second = health.check(signal());
    await new Promise((resolve) => setImmediate(resolve));
    expect(channel.checkExchange).toHaveBeenCalledTimes(2);
    answer();
    await expect(second).resolves.toBeDefined();
    expect(getEventListeners(first.signal, 'abort')).toHaveLength(0);
  });

  it('uses the channel it is given, and fails at once once it has closed', async () => {
    const channel = new FakeChannel();
    const health = indicator(channel);
    await health.check(signal());
    expect(channel.checkExchange).toHaveBeenCalledWith('amq.direct');
    expect(channel.listenerCount('error')).toBe(0);
    channel.emit('close');
    await expect(health.check(signal())).rejects.toThrow('channel closed');
    expect(channel.checkExchange).toHaveBeenCalledTimes(1);
  });

  it('lets go of the connection’s events and closes its channel on shutdown', async () => {
    const connection = new FakeRecovering();
    const health = indicator(connection);
    expect(connection.eventNames().toSorted()).toEqual([
      'connect',
      'connect-failed',
      'disconnect',
      'reconnect-failed',
    ]);
    await health.check(signal());
    health.onModuleDestroy();
    expect(connection.eventNames()).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.channels[0].close).toHaveBeenCalledTimes(1);
  });

  it('closes a channel that opens only after shutdown began', async () => {
    const channel = new FakeChannel();
    let open!: (c: FakeChannel) => void;
    const connection = { createChannel: () => new Promise<FakeChannel>((r) => (open = r)) };
    const health = indicator(connection);
    const controller = new AbortController();
    const running = health.check(controller.signal);
    controller.abort(new Error('timed out'));
    await expect(running).rejects.toThrow('timed out');
    health.onModuleDestroy();
    open(channel);
    await new Promise((resolve) => setImmediate(resolve));
    expect(channel.close).toHaveBeenCalledTimes(1);
    await expect(health.check(signal())).rejects.toThrow('shutting down');
  });

  it('works with a client that is no event emitter, without telling failures early', async () => {
    const channel = new FakeChannel();
    const client = { createChannel: () => Promise.resolve(channel) };
    const health = indicator(client);
    await health.check(signal());
    expect(channel.checkExchange).toHaveBeenCalledTimes(1);
    health.onModuleDestroy();
  });
});
