import { describe, expect, it, jest } from '@jest/globals';
import { EventEmitter, getEventListeners } from 'node:events';
import { MongoHealthIndicator } from './mongo.indicator.js';
import type { MongoClientLike, MongoCommand, MongoDbLike } from './support/mongo-command.js';

type Command = (command: MongoCommand, options?: { signal?: AbortSignal }) => Promise<unknown>;

const never: Command = () => new Promise(() => undefined);
const ok: Command = async () => ({ ok: 1 });

/** A driver's client, as far as the indicator sees it: `db()`, and its events. */
function fakeClient(command: Command = ok) {
  const client = new EventEmitter() as EventEmitter &
    MongoClientLike & { calls: jest.Mock<Command> };
  const calls = jest.fn(command);
  client.calls = calls;
  client.db = (name = 'test') => ({ databaseName: name, command: calls, client }) as MongoDbLike;
  return client;
}

const signal = () => new AbortController().signal;

/** What the driver's monitor says of its one server. */
function describeServer(client: EventEmitter, type: string, error?: string) {
  const server = { type, error: error === undefined ? null : { message: error } };
  client.emit('topologyDescriptionChanged', {
    newDescription: { servers: new Map([['127.0.0.1:27017', server]]) },
  });
}

describe('MongoHealthIndicator', () => {
  it('has its defaults and its peer', () => {
    expect(MongoHealthIndicator.defaults).toEqual({ name: 'mongodb', componentType: 'datastore' });
    expect(MongoHealthIndicator.peer).toBe('mongodb');
  });

  it('pings the admin database of a client, giving the driver the check’s signal', async () => {
    const client = fakeClient();
    const check = new MongoHealthIndicator({ client }).check(signal());
    await expect(check).resolves.toEqual({ details: { command: 'ping', database: 'admin' } });
    expect(client.calls).toHaveBeenCalledWith({ ping: 1 }, { signal: expect.any(AbortSignal) });
  });

  it('runs the command it is given on the Db it is given', async () => {
    const client = fakeClient();
    const shop = client.db('shop');
    const health = new MongoHealthIndicator({ client: shop, command: { dbStats: 1, scale: 1 } });
    await expect(health.check(signal())).resolves.toEqual({
      details: { command: 'dbStats', database: 'shop' },
    });
    expect(client.calls).toHaveBeenCalledWith({ dbStats: 1, scale: 1 }, expect.anything());
  });

  it('withdraws the command when the check gives up, leaving no listener on its signal', async () => {
    const client = fakeClient(never);
    const controller = new AbortController();
    const running = new MongoHealthIndicator({ client }).check(controller.signal);
    const given = client.calls.mock.calls[0][1]!.signal!;
    controller.abort(new Error('timed out after 5 ms'));
    await expect(running).rejects.toThrow('timed out after 5 ms');
    expect(given.aborted).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('waits for a command its driver did not withdraw instead of sending another', async () => {
    let answer!: (value: unknown) => void;
    const client = fakeClient(() => new Promise((resolve) => (answer = resolve)));
    const health = new MongoHealthIndicator({ client });
    const first = new AbortController();
    const timedOut = health.check(first.signal);
    first.abort(new Error('timed out after 5 ms'));
    await expect(timedOut).rejects.toThrow('timed out after 5 ms');
    const next = health.check(signal());
    answer({ ok: 1 });
    await expect(next).resolves.toMatchObject({ details: { command: 'ping' } });
    expect(client.calls).toHaveBeenCalledTimes(1);
  });

  it('fails with the server’s reason, and says so of a client the application closed', async () => {
    const failing = fakeClient(() => Promise.reject(new Error('not authorized on admin')));
    await expect(new MongoHealthIndicator({ client: failing }).check(signal())).rejects.toThrow(
      /^ping failed: not authorized on admin$/,
    );
    const closed = fakeClient(() =>
      Promise.reject(
        Object.assign(new Error('Client must be connected before running operations'), {
          name: 'MongoNotConnectedError',
        }),
      ),
    );
    await expect(new MongoHealthIndicator({ client: closed }).check(signal())).rejects.toThrow(
      /^client closed$/,
    );
  });

  describe('while the driver’s monitor reaches no server', () => {
    it('fails at its next failed heartbeat, with its reason, and withdraws the command', async () => {
      const client = fakeClient(never);
      const health = new MongoHealthIndicator({ client });
      describeServer(client, 'Unknown', 'connect ECONNREFUSED 127.0.0.1:27017');
      const running = health.check(signal());
      const given = client.calls.mock.calls[0][1]!.signal!;
      client.emit('serverHeartbeatFailed', { failure: new Error('connect ECONNREFUSED 10.0.0.1') });
      await expect(running).rejects.toThrow(
        /^no server reachable: connect ECONNREFUSED 10\.0\.0\.1$/,
      );
      expect(given.aborted).toBe(true);
    });

    it('fails as soon as the monitor finds every server gone, during the check', async () => {
      const client = fakeClient(never);
      const running = new MongoHealthIndicator({ client }).check(signal());
      describeServer(client, 'Unknown', 'connection <monitor> to 127.0.0.1:27017 closed');
      await expect(running).rejects.toThrow(
        'no server reachable: connection <monitor> to 127.0.0.1:27017 closed',
      );
    });

    it('passes when the command is answered: the monitor found the server again', async () => {
      const client = fakeClient();
      const health = new MongoHealthIndicator({ client });
      describeServer(client, 'Unknown', 'connect ECONNREFUSED 127.0.0.1:27017');
      await expect(health.check(signal())).resolves.toMatchObject({ details: {} });
    });

    it('takes no failed heartbeat for an outage while a server is known, or not yet found', async () => {
      const client = fakeClient(never);
      const health = new MongoHealthIndicator({ client });
      describeServer(client, 'Unknown');
      const controller = new AbortController();
      const running = health.check(controller.signal);
      client.emit('serverHeartbeatFailed', { failure: new Error('connect ECONNREFUSED') });
      describeServer(client, 'Standalone');
      client.emit('serverHeartbeatFailed', { failure: new Error('connect ECONNREFUSED') });
      controller.abort(new Error('timed out after 5 ms'));
      await expect(running).rejects.toThrow('timed out after 5 ms');
    });
  });

  it('lets go of the client’s events on shutdown', () => {
    const client = fakeClient();
    const health = new MongoHealthIndicator({ client });
    expect(client.listenerCount('topologyDescriptionChanged')).toBe(1);
    health.onModuleDestroy();
    expect(client.eventNames()).toEqual([]);
  });

  it('rejects what is no client, and a command that is no command document, at start-up', () => {
    expect(() => new MongoHealthIndicator({ client: { ping: ok } as never })).toThrow(
      /^MongoHealthIndicator needs a MongoClient or a Db of the MongoDB driver/,
    );
    for (const command of [{}, [], 'ping', null]) {
      expect(
        () => new MongoHealthIndicator({ client: fakeClient(), command: command as never }),
      ).toThrow(/^MongoHealthIndicator: "command" is .*; it must be a command document/);
    }
  });
});
