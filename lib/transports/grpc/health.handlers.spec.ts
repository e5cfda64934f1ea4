import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { PROBES } from '../../core/probe.definitions.js';
import { ServingStatus, type ServedProbe } from './health.grpc.js';
import { HealthHandlers, type GrpcStatus, type HealthSource } from './health.handlers.js';

/** A grpc-js server stream as far as the handlers see it: what was written, and how it ended. */
class FakeCall extends EventEmitter {
  readonly sent: number[] = [];
  ended?: GrpcStatus | 'OK';
  writableNeedDrain = false;

  constructor(public request: object) {
    super();
    // grpc-js ends a call on 'error' with its status; the stream closes once it is sent.
    this.on('error', (status: GrpcStatus) => this.close(status));
  }

  write(status: number) {
    this.sent.push(status);
  }

  end() {
    this.close('OK');
  }

  private close(how: GrpcStatus | 'OK') {
    this.ended ??= how;
    setImmediate(() => this.emit('cancelled'));
  }
}

/** A source whose statuses the test sets; it counts who follows and who asks. */
function source(initial: number = ServingStatus.SERVING) {
  const followers = new Set<(status: ServingStatus) => void>();
  const asked: string[] = [];
  let now = initial as ServingStatus;
  const health: HealthSource<ServedProbe> = {
    probes: PROBES,
    status: (probe) => {
      asked.push(probe.name);
      return now;
    },
    watch: (_, next) => {
      followers.add(next);
      next(now);
      return () => followers.delete(next);
    },
  };
  const set = (status: ServingStatus) => {
    now = status;
    for (const next of followers) next(status);
  };
  return { health, set, followers, asked };
}

const unary = <T>(run: (callback: (error: GrpcStatus | null, value?: T) => void) => void) =>
  new Promise<{ error: GrpcStatus | null; value?: T }>((resolve) =>
    run((error, value) => resolve({ error, value })),
  );

describe('the health handlers', () => {
  it('sends a Watch stream each status its source sends, until the client leaves', async () => {
    const { health, set, followers } = source();
    const handlers = new HealthHandlers(health, 10);
    const call = new FakeCall({ service: '' });
    handlers.watch(call);
    set(ServingStatus.NOT_SERVING);
    set(ServingStatus.SERVING);
    expect(call.sent).toEqual([1, 2, 1]);
    call.emit('cancelled');
    expect(followers.size).toBe(0);
    expect(handlers.openWatches).toBe(0);
  });

  it('ends a stream whose client has left earlier changes unread', () => {
    const { health, set, followers } = source();
    const handlers = new HealthHandlers(health, 10);
    const call = new FakeCall({ service: 'ready' });
    handlers.watch(call);
    call.writableNeedDrain = true;
    set(ServingStatus.NOT_SERVING);
    expect(call.sent).toEqual([ServingStatus.SERVING]);
    expect(call.ended).toMatchObject({ code: 8, details: expect.stringContaining('unread') });
    expect(followers.size).toBe(0);
  });

  it('answers from the request, then empties it and drops the bytes grpc-js keeps of it', () => {
    const handlers = new HealthHandlers(source().health, 10);
    const chunks = [Buffer.alloc(16)];
    // A grpc-js call under one server interceptor, its decoder between two messages.
    const call = Object.assign(new FakeCall({ service: 'x'.repeat(200) }), {
      call: { nextCall: { decoder: { readState: 0, readPartialMessage: chunks } } },
    });
    handlers.watch(call);
    expect(call.sent).toEqual([ServingStatus.SERVICE_UNKNOWN]);
    expect(call.request).toEqual({});
    expect(call.call.nextCall.decoder.readPartialMessage).toEqual([]);
  });

  it('refuses a stream beyond maxWatchStreams with RESOURCE_EXHAUSTED, and counts streams that end', () => {
    const handlers = new HealthHandlers(source().health, 2);
    const first = new FakeCall({ service: 'nope' });
    handlers.watch(first);
    handlers.watch(new FakeCall({ service: 'live' }));
    const refused = new FakeCall({ service: '' });
    handlers.watch(refused);
    expect(refused.ended).toMatchObject({
      code: 8,
      details: expect.stringContaining('(grpc.maxWatchStreams: 2)'),
    });
    first.emit('cancelled');
    expect(handlers.openWatches).toBe(1);
  });

  it('ends every stream with OK when closing, waits until each has closed, and takes no new one', async () => {
    const { health, followers } = source();
    const handlers = new HealthHandlers(health, 10);
    const calls = [new FakeCall({ service: 'live' }), new FakeCall({ service: 'orders' })];
    for (const call of calls) handlers.watch(call);
    let closed = 0;
    for (const call of calls) call.once('cancelled', () => closed++);
    await handlers.endWatches();
    expect(calls.map((call) => call.ended)).toEqual(['OK', 'OK']);
    expect(closed).toBe(2);
    expect(followers.size).toBe(0);
    const late = new FakeCall({ service: 'live' });
    handlers.watch(late);
    expect([late.ended, late.sent]).toEqual(['OK', []]);
  });

  it('fails Check of an unknown service with NOT_FOUND, its name cut in the message', async () => {
    const handlers = new HealthHandlers(source().health, 10);
    const answer = await unary((done) =>
      handlers.check({ request: { service: 'x'.repeat(256), cut: true } }, done),
    );
    expect(answer.error).toEqual({
      code: 5,
      details: `Unknown health service "${'x'.repeat(64)}…": use "", "live", "ready", "startup", "deep", "liveness" or "readiness".`,
    });
  });

  it('answers NOT_SERVING, and says so, when its source throws', async () => {
    const failed: string[] = [];
    const broken = { ...source().health, status: () => Promise.reject(new Error('bug')) };
    const handlers = new HealthHandlers(broken, 10, (subject) => failed.push(subject));
    const answer = await unary((done) => handlers.check({ request: { service: '' } }, done));
    expect(answer).toEqual({ error: null, value: ServingStatus.NOT_SERVING });
    expect(failed).toEqual(['ready']);
  });

  it('lists every service, reading each probe once', async () => {
    const { health, asked } = source();
    const handlers = new HealthHandlers(health, 10);
    const answer = await unary((done) => handlers.list({ request: {} }, done));
    expect(answer.value).toEqual({ '': 1, live: 1, ready: 1, startup: 1, deep: 1 });
    expect(asked).toEqual(['ready', 'live', 'startup', 'deep']);
  });
});
