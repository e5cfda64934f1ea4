import { describe, expect, it, jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { MongooseHealthIndicator, type MongooseConnectionLike } from './mongoose.indicator.js';
import type { MongoClientLike, MongoDbLike } from './support/mongo-command.js';

/** A MongoClient as the driver (any copy of it) makes one: `db()`, and its events. */
function fakeClient(command: () => Promise<unknown> = async () => ({ ok: 1 })) {
  const client = new EventEmitter() as EventEmitter & MongoClientLike;
  const calls = jest.fn(command);
  client.db = (name = 'test') => ({ databaseName: name, command: calls, client }) as MongoDbLike;
  return Object.assign(client, { calls });
}

function connection(readyState: number, client?: MongoClientLike) {
  return { readyState, getClient: () => client } as MongooseConnectionLike & { readyState: number };
}

const signal = () => new AbortController().signal;

describe('MongooseHealthIndicator', () => {
  it('has its defaults and its peer, and finds @nestjs/mongoose’s connection', () => {
    expect(MongooseHealthIndicator.defaults).toEqual({
      name: 'mongoose',
      componentType: 'datastore',
    });
    expect(MongooseHealthIndicator.peer).toBe('mongoose');
    expect(MongooseHealthIndicator.locate({}).package).toBe('@nestjs/mongoose');
  });

  it('pings through the connection’s client while connected', async () => {
    const client = fakeClient();
    const health = new MongooseHealthIndicator({ client: connection(1, client) });
    await expect(health.check(signal())).resolves.toEqual({
      details: { command: 'ping', database: 'admin' },
    });
  });

  it.each([
    [2, 'not connected yet (readyState: connecting)'],
    [3, 'closing (readyState: disconnecting)'],
    [99, 'not connected (readyState: uninitialized)'],
  ])('fails at once with readyState %i, sending nothing', async (state, output) => {
    const client = fakeClient();
    const health = new MongooseHealthIndicator({ client: connection(state, client) });
    await expect(health.check(signal())).rejects.toThrow(output);
    expect(client.calls).not.toHaveBeenCalled();
  });

  it('pings while disconnected, which is also what a connection that lost its server says', async () => {
    const client = fakeClient();
    const health = new MongooseHealthIndicator({ client: connection(0, client) });
    await expect(health.check(signal())).resolves.toMatchObject({ details: { command: 'ping' } });
    await expect(
      new MongooseHealthIndicator({ client: connection(0) }).check(signal()),
    ).rejects.toThrow('not connected (no client)');
  });

  it('says so of a connection whose client was closed', async () => {
    const client = fakeClient(() =>
      Promise.reject(
        Object.assign(new Error('Client must be connected'), { name: 'MongoNotConnectedError' }),
      ),
    );
    const health = new MongooseHealthIndicator({ client: connection(0, client) });
    await expect(health.check(signal())).rejects.toThrow(/^connection closed$/);
  });

  it('follows the client the connection has now, and lets go of the one before', async () => {
    const before = fakeClient();
    const after = fakeClient();
    const conn = { readyState: 1, getClient: () => before as MongoClientLike };
    const health = new MongooseHealthIndicator({ client: conn });
    expect(before.listenerCount('topologyDescriptionChanged')).toBe(1);
    conn.getClient = () => after;
    await health.check(signal());
    expect(after.calls).toHaveBeenCalledTimes(1);
    expect(before.eventNames()).toEqual([]);
    health.onModuleDestroy();
    expect(after.eventNames()).toEqual([]);
  });

  it('rejects what is no Mongoose connection, and a bad setting, at start-up', () => {
    expect(() => new MongooseHealthIndicator({ client: fakeClient() as never })).toThrow(
      /^MongooseHealthIndicator needs a Mongoose Connection \(with readyState\) \(an object with getClient\(\)\)/,
    );
    expect(() => new MongooseHealthIndicator({ client: connection(1), command: {} })).toThrow(
      /"command" is an object; it must be a command document/,
    );
    expect(
      () => new MongooseHealthIndicator({ client: connection(1), connectionName: '' }),
    ).toThrow(/"connectionName" is ""; it must be the connectionName of a connection/);
  });
});
