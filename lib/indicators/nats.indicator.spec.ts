import { describe, expect, it, jest } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { NatsHealthIndicator, type NatsConnectionLike } from './nats.indicator.js';

const signal = () => new AbortController().signal;

function connection(overrides: Partial<NatsConnectionLike> = {}) {
  return {
    isClosed: jest.fn(() => false),
    isDraining: jest.fn(() => false),
    flush: jest.fn(() => Promise.resolve()),
    rtt: jest.fn(() => Promise.resolve(1)),
    getServer: jest.fn(() => '127.0.0.1:4222'),
    ...overrides,
  };
}

const check = (client: unknown, abort = signal()) =>
  new NatsHealthIndicator({ client: client as NatsConnectionLike }).check(abort);

/** How nats.js says the connection is down and reconnecting. */
const disconnect = () => Object.assign(new Error('DISCONNECT'), { code: 'DISCONNECT' });

describe('NatsHealthIndicator', () => {
  it('has its defaults and peer', () => {
    expect(NatsHealthIndicator.defaults).toEqual({ name: 'nats', componentType: 'component' });
    expect(NatsHealthIndicator.peer).toBe('nats');
  });

  it('rejects what is not a NATS connection, at start-up', () => {
    expect(() => new NatsHealthIndicator({ client: { flush() {} } as never })).toThrow(
      /NatsHealthIndicator needs a NATS connection .* \(an object with isClosed\(\), flush\(\)\)/,
    );
  });

  it('makes a round trip to the server, and says which server', async () => {
    const nc = connection();
    await expect(check(nc)).resolves.toEqual({
      details: { server: '127.0.0.1:4222' },
    });
    expect(nc.rtt).toHaveBeenCalledTimes(1);
  });

  it('flushes when the client has no rtt()', async () => {
    const nc = connection();
    const { rtt: _rtt, getServer: _getServer, ...older } = nc;
    await expect(check(older)).resolves.toEqual({});
    expect(nc.flush).toHaveBeenCalledTimes(1);
  });

  it('fails at once when closed or draining', async () => {
    const closed = connection({ isClosed: () => true });
    await expect(check(closed)).rejects.toThrow('connection closed');
    expect(closed.rtt).not.toHaveBeenCalled();
    await expect(check(connection({ isDraining: () => true }))).rejects.toThrow(
      'connection draining',
    );
  });

  it('says in words that it is reconnecting', async () => {
    const nc = connection({ rtt: () => Promise.reject(disconnect()) });
    await expect(check(nc)).rejects.toThrow(/^not connected \(reconnecting\)$/);
  });

  it('passes other errors on as they are', async () => {
    const nc = connection({ rtt: () => Promise.reject(new Error('Authorization Violation')) });
    await expect(check(nc)).rejects.toThrow('Authorization Violation');
  });

  it('waits for a round trip still unanswered instead of starting another', async () => {
    let answer!: (ms: number) => void;
    const nc = connection({ rtt: () => new Promise((resolve) => (answer = resolve)) });
    const health = new NatsHealthIndicator({ client: nc });
    const first = new AbortController();
    const timedOut = health.check(first.signal);
    first.abort(new Error('timed out after 5 ms'));
    await expect(timedOut).rejects.toThrow('timed out after 5 ms');
    const rtt = jest.spyOn(nc, 'rtt');
    const next = health.check(signal());
    answer(1);
    await expect(next).resolves.toEqual({ details: { server: '127.0.0.1:4222' } });
    expect(rtt).not.toHaveBeenCalled();
  });

  it('gives up when the signal aborts, leaving no listener on it', async () => {
    const controller = new AbortController();
    const running = check(
      connection({ rtt: () => new Promise(() => undefined) }),
      controller.signal,
    );
    controller.abort(new Error('timed out after 5 ms'));
    await expect(running).rejects.toThrow('timed out after 5 ms');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
