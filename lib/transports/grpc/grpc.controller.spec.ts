import { describe, expect, it } from '@jest/globals';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { firstValueFrom, Subject, toArray, type Observable } from 'rxjs';
import { createHealthGrpcController, type GrpcError } from './grpc.controller.js';
import { defineGrpcHandlers, grpcHandlerKey } from './grpc.handlers.js';
import { ServingStatus } from './health.grpc.js';
import type { HealthStatus } from '../../interfaces/health-check.interface.js';
import { PROBES } from '../../core/probe.definitions.js';

const PATTERN_METADATA = 'microservices:pattern';

interface Serving {
  serveCheck(request: unknown, error: GrpcError): unknown;
  serveWatch(request: unknown, call: object, error: GrpcError): Observable<{ status: number }>;
  serveList(): unknown;
  onModuleDestroy(): Promise<void>;
  readonly openWatches: number;
}

const error: GrpcError = (code, message) => Object.assign(new Error(message), { code });
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A controller over a HealthService stand-in whose ready status the test sets. */
function controller(maxWatchStreams = 10) {
  const ready = new Subject<HealthStatus>();
  const health = {
    probes: PROBES,
    answer: (name: string) => ({ probe: name, status: 'pass', report: { status: 'pass' } }),
    watch: () => ready.asObservable(),
  };
  const Controller = createHealthGrpcController() as unknown as new (...args: unknown[]) => Serving;
  return { serving: new Controller(health, { grpc: { maxWatchStreams } }, silent), ready };
}

describe('defineGrpcHandlers', () => {
  it('stops start-up naming the packages to install when they are missing', async () => {
    const Controller = createHealthGrpcController();
    await expect(
      defineGrpcHandlers(Controller, { installed: (pkg) => pkg === '@grpc/proto-loader' }),
    ).rejects.toThrow(
      `HealthModule option "grpc" serves the gRPC health service through Nest's gRPC transport, which needs "@nestjs/microservices", "@grpc/grpc-js": they are not installed. Install them: npm install @nestjs/microservices @grpc/grpc-js`,
    );
    expect(Object.getOwnPropertyNames(Controller.prototype)).not.toContain(grpcHandlerKey('Check'));
  });

  it('adds Check, Watch and List of grpc.health.v1.Health, and no HTTP route', async () => {
    const Controller = createHealthGrpcController();
    await defineGrpcHandlers(Controller, {
      load: async () => ({ GrpcMethod, RpcException }),
    });
    const proto = Controller.prototype as Record<string, object>;
    const patterns = ['Check', 'Watch', 'List'].map((rpc) =>
      Reflect.getMetadata(PATTERN_METADATA, proto[grpcHandlerKey(rpc)]),
    );
    expect(patterns).toEqual(
      ['Check', 'Watch', 'List'].map((rpc) => [
        { service: 'grpc.health.v1.Health', rpc, streaming: 'no_stream' },
      ]),
    );
    expect(Reflect.getMetadata(PATH_METADATA, Controller)).toEqual([]);
  });
});

describe('the Watch handler', () => {
  it('sends each change of serving status once', async () => {
    const { serving, ready } = controller();
    const sent = firstValueFrom(serving.serveWatch({}, {}, error).pipe(toArray()));
    for (const status of ['pass', 'warn', 'fail', 'fail', 'pass'] as const) ready.next(status);
    ready.complete();
    expect(await sent).toEqual(
      [ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING].map((status) => ({
        status,
      })),
    );
  });

  it('ends a stream whose client has left earlier changes unread', async () => {
    const { serving, ready } = controller();
    const call = { writableNeedDrain: false };
    const sent: unknown[] = [];
    const ended = new Promise<unknown>((resolve) =>
      serving.serveWatch({}, call, error).subscribe({ next: (m) => sent.push(m), error: resolve }),
    );
    ready.next('pass');
    call.writableNeedDrain = true;
    ready.next('fail');
    expect(await ended).toMatchObject({ code: 8, message: expect.stringContaining('unread') });
    expect(sent).toEqual([{ status: ServingStatus.SERVING }]);
    expect(serving.openWatches).toBe(0);
  });

  it('answers from the request, then empties it and drops the bytes grpc-js keeps of it', async () => {
    const { serving } = controller();
    const chunks = [Buffer.alloc(16)];
    // A grpc-js call under one server interceptor, its decoder between two messages.
    const decoder = { readState: 0, readPartialMessage: chunks };
    const call = { call: { nextCall: { decoder } } };
    const request = { service: 'x'.repeat(1000) };
    const sent = firstValueFrom(serving.serveWatch(request, call, error));
    expect(await sent).toEqual({ status: ServingStatus.SERVICE_UNKNOWN });
    expect(request).toEqual({});
    expect(decoder.readPartialMessage).toEqual([]);
    // In the middle of a message (never so on a Watch call), the decoder is left alone.
    const reading = { readState: 2, readPartialMessage: chunks };
    serving.serveWatch({ service: 'ready' }, { call: { decoder: reading } }, error);
    expect(reading.readPartialMessage).toBe(chunks);
  });

  it('refuses a stream beyond maxWatchStreams with RESOURCE_EXHAUSTED, and counts streams that end', async () => {
    const { serving } = controller(2);
    const first = serving.serveWatch({ service: 'nope' }, {}, error).subscribe();
    serving.serveWatch({ service: 'nope' }, {}, error).subscribe();
    const refused = new Promise((resolve) =>
      serving.serveWatch({}, {}, error).subscribe({ error: resolve }),
    );
    expect(await refused).toMatchObject({
      code: 8,
      message: expect.stringContaining('(grpc.maxWatchStreams: 2)'),
    });
    first.unsubscribe();
    expect(serving.openWatches).toBe(1);
    await serving.onModuleDestroy();
    expect(serving.openWatches).toBe(0);
  });
});
