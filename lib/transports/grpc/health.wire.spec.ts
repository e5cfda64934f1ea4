import { describe, expect, it } from '@jest/globals';
import * as protoLoader from '@grpc/proto-loader';
import { HEALTH_PROTO_PATH, ServingStatus } from './health.grpc.js';
import {
  decodeListResponse,
  decodeRequest,
  decodeResponse,
  encodeListResponse,
  encodeRequest,
  encodeResponse,
  HEALTH_SERVICE_DEFINITION,
  MAX_SERVICE_BYTES,
} from './health.wire.js';

type Codec = {
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): Record<string, unknown>;
  responseSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): Record<string, unknown>;
};
/** The codecs proto-loader (protobuf.js) makes of the shipped proto: what every client uses. */
const health = protoLoader.loadSync(HEALTH_PROTO_PATH, { keepCase: true, defaults: true })[
  'grpc.health.v1.Health'
] as unknown as Record<'Check' | 'Watch' | 'List', Codec>;

describe('the messages of grpc.health.v1, by hand', () => {
  it.each(['', 'ready', 'liveness', 'payments', 'é✓ unicode'])(
    'reads a request for "%s" as protobuf.js writes it, and writes it as protobuf.js reads it',
    (service) => {
      expect(decodeRequest(health.Check.requestSerialize({ service }))).toEqual({ service });
      expect(health.Check.requestDeserialize(encodeRequest({ service }))).toEqual({ service });
    },
  );

  it('writes each status as protobuf.js reads it, and reads it as protobuf.js writes it', () => {
    for (const status of Object.values(ServingStatus)) {
      expect(health.Check.responseDeserialize(encodeResponse(status))).toEqual({ status });
      expect(decodeResponse(health.Check.responseSerialize({ status }))).toBe(status);
    }
    // proto3 writes no field holding its default.
    expect(encodeResponse(ServingStatus.UNKNOWN)).toEqual(Buffer.alloc(0));
  });

  it('writes List’s map as protobuf.js reads it, "" included', () => {
    const statuses = { '': 1, live: 1, ready: 2, payments: 2 } as const;
    const bytes = encodeListResponse(statuses);
    const read = health.List.responseDeserialize(bytes) as {
      statuses: Record<string, { status: number }>;
    };
    expect(
      Object.fromEntries(Object.entries(read.statuses).map(([k, v]) => [k, v.status])),
    ).toEqual(statuses);
    expect(decodeListResponse(health.List.responseSerialize({ statuses: read.statuses }))).toEqual(
      statuses,
    );
  });

  it('skips unknown fields, and takes the last service as protobuf does', () => {
    const first = health.Check.requestSerialize({ service: 'live' });
    const unknown = Buffer.from([0x10, 0x96, 0x01, 0x1d, 1, 2, 3, 4, 0x19, 1, 2, 3, 4, 5, 6, 7, 8]);
    const last = health.Check.requestSerialize({ service: 'ready' });
    expect(decodeRequest(Buffer.concat([first, unknown, last]))).toEqual({ service: 'ready' });
  });

  it(`keeps at most ${MAX_SERVICE_BYTES} bytes of a name, marked cut`, () => {
    const bytes = health.Check.requestSerialize({ service: 'ready'.padEnd(10_000, 'x') });
    const request = decodeRequest(bytes);
    expect(request).toEqual({ service: 'ready'.padEnd(MAX_SERVICE_BYTES, 'x'), cut: true });
  });

  it.each([
    ['a length past the end', [0x0a, 0x05, 0x61]],
    ['a varint cut short', [0x08]],
    ['a group (wire type 3)', [0x0b]],
  ])('refuses %s', (_, bytes) => {
    expect(() => decodeRequest(Buffer.from(bytes))).toThrow();
  });

  it('names the methods as the proto does, Watch a server stream', () => {
    const { Check, Watch, List } = HEALTH_SERVICE_DEFINITION;
    expect([Check, Watch, List].map((m) => [m.path, m.requestStream, m.responseStream])).toEqual([
      ['/grpc.health.v1.Health/Check', false, false],
      ['/grpc.health.v1.Health/Watch', false, true],
      ['/grpc.health.v1.Health/List', false, false],
    ]);
    for (const rpc of ['Check', 'Watch', 'List'] as const) {
      const loaded = health[rpc] as unknown as { path: string; originalName: string };
      expect([
        HEALTH_SERVICE_DEFINITION[rpc].path,
        HEALTH_SERVICE_DEFINITION[rpc].originalName,
      ]).toEqual([loaded.path, loaded.originalName]);
    }
  });
});
