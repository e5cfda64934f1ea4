import { HEALTH_GRPC_SERVICE, type ServingStatus } from './health.grpc.js';

/**
 * @internal The messages of `grpc.health.v1`, encoded and decoded by hand: three tiny messages
 * need no proto loaded (the probe server's worker loads none), and a request is decoded into as
 * little as the service needs. The shapes are the proto's (`health.proto`), field 1 each:
 * `HealthCheckRequest { string service }`, `HealthCheckResponse { ServingStatus status }`,
 * `HealthListResponse { map<string, HealthCheckResponse> statuses }`.
 */

/** A service name longer than this is no probe's (a name has 64 characters at most): it is cut. */
export const MAX_SERVICE_BYTES = 256;

/** @internal A `HealthCheckRequest`, as the handlers read it. */
export interface HealthRequest {
  /** The service named; `""` when none is (proto3 omits an empty string). */
  service: string;
  /** Set when the name was longer than `MAX_SERVICE_BYTES`: then it names no service. */
  cut?: true;
}

const LENGTH_DELIMITED = 2;
const VARINT = 0;

/** The bytes of a response of each status, made once: `Check` and `Watch` repeat them. */
const RESPONSES: readonly Buffer[] = [0, 1, 2, 3].map((status) =>
  // proto3 writes no field holding its default (UNKNOWN, 0).
  status === 0 ? Buffer.alloc(0) : Buffer.from([(1 << 3) | VARINT, status]),
);

/** `HealthCheckResponse` of a status. */
export function encodeResponse(status: ServingStatus): Buffer {
  return RESPONSES[status];
}

/** The status of a `HealthCheckResponse` (UNKNOWN when absent). */
export function decodeResponse(bytes: Buffer): ServingStatus {
  let status = 0;
  readFields(bytes, (field, type, value) => {
    if (field === 1 && type === VARINT) status = value as number;
  });
  return status as ServingStatus;
}

/** `HealthCheckRequest` naming `service`. */
export function encodeRequest(request: { service?: string } = {}): Buffer {
  const name = Buffer.from(request.service ?? '');
  return name.length === 0 ? Buffer.alloc(0) : lengthDelimited(1, name);
}

/**
 * A `HealthCheckRequest`. Unknown fields are skipped, the last `service` wins (as protobuf says);
 * a name past `MAX_SERVICE_BYTES` is kept cut, so a request never holds more than that.
 */
export function decodeRequest(bytes: Buffer): HealthRequest {
  // What every client sends: nothing (""), or the one field with a short name.
  if (bytes.length === 0) return { service: '' };
  if (bytes[0] === ((1 << 3) | LENGTH_DELIMITED) && bytes.length === 2 + bytes[1]) {
    return { service: bytes.toString('utf8', 2) };
  }
  let request: HealthRequest = { service: '' };
  readFields(bytes, (field, type, _value, start, end) => {
    if (field !== 1 || type !== LENGTH_DELIMITED) return;
    const cut = end - start > MAX_SERVICE_BYTES;
    const service = bytes.toString('utf8', start, cut ? start + MAX_SERVICE_BYTES : end);
    request = cut ? { service, cut } : { service };
  });
  return request;
}

/** `HealthListRequest`: empty, and whatever it holds is ignored. */
export const encodeListRequest = (): Buffer => Buffer.alloc(0);
export const decodeListRequest = (): object => ({});

/** `HealthListResponse` of each service's status. */
export function encodeListResponse(statuses: Readonly<Record<string, ServingStatus>>): Buffer {
  const entries = Object.entries(statuses).map(([service, status]) =>
    lengthDelimited(
      1,
      Buffer.concat([
        lengthDelimited(1, Buffer.from(service)),
        lengthDelimited(2, encodeResponse(status)),
      ]),
    ),
  );
  return Buffer.concat(entries);
}

/** Each service's status in a `HealthListResponse`. */
export function decodeListResponse(bytes: Buffer): Record<string, ServingStatus> {
  const statuses: Record<string, ServingStatus> = {};
  readFields(bytes, (field, type, _value, start, end) => {
    if (field !== 1 || type !== LENGTH_DELIMITED) return;
    const entry = bytes.subarray(start, end);
    let service = '';
    let status = 0 as ServingStatus;
    readFields(entry, (key, keyType, _v, from, to) => {
      if (keyType !== LENGTH_DELIMITED) return;
      if (key === 1) service = entry.toString('utf8', from, to);
      if (key === 2) status = decodeResponse(entry.subarray(from, to));
    });
    statuses[service] = status;
  });
  return statuses;
}

/** A length-delimited field. */
function lengthDelimited(number: number, value: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | LENGTH_DELIMITED), varint(value.length), value]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

type FieldVisitor = (
  field: number,
  type: number,
  value: number | undefined,
  start: number,
  end: number,
) => void;

/** Walks the fields of a message; throws on bytes that are not one (grpc-js answers INTERNAL). */
function readFields(bytes: Buffer, visit: FieldVisitor): void {
  let at = 0;
  const read = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= bytes.length) throw new Error('truncated message');
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    // A 64-bit varint: its high bytes are read and dropped (no field here needs them).
    while (at < bytes.length && bytes[at++] >= 0x80);
    return value;
  };
  while (at < bytes.length) {
    const tag = read();
    const type = tag & 7;
    const number = Math.floor(tag / 8);
    if (type === VARINT) {
      visit(number, type, read(), at, at);
    } else if (type === LENGTH_DELIMITED) {
      const length = read();
      const end = at + length;
      if (end > bytes.length) throw new Error('truncated message');
      visit(number, type, undefined, at, end);
      at = end;
    } else if (type === 1 || type === 5) {
      at += type === 1 ? 8 : 4;
      if (at > bytes.length) throw new Error('truncated message');
    } else {
      throw new Error(`unsupported wire type ${type}`);
    }
  }
}

/** @internal A method of a grpc-js service definition, as `Server.addService()` reads it. */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: never): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
  originalName: string;
}

const method = (
  rpc: string,
  responseStream: boolean,
  codec: Pick<
    MethodDefinition,
    'requestSerialize' | 'requestDeserialize' | 'responseSerialize' | 'responseDeserialize'
  >,
): MethodDefinition => ({
  path: `/${HEALTH_GRPC_SERVICE}/${rpc}`,
  requestStream: false,
  responseStream,
  ...codec,
  originalName: rpc.charAt(0).toLowerCase() + rpc.slice(1),
});

const CHECK_CODEC = {
  requestSerialize: encodeRequest,
  requestDeserialize: decodeRequest,
  responseSerialize: encodeResponse,
  responseDeserialize: decodeResponse,
};

/**
 * @internal `grpc.health.v1.Health` as a grpc-js service definition (what `loadPackageDefinition`
 * makes of the proto), with the codecs above: `Check` and `Watch` answer a `ServingStatus`,
 * `List` a record of them.
 */
export const HEALTH_SERVICE_DEFINITION: Readonly<
  Record<'Check' | 'Watch' | 'List', MethodDefinition>
> = Object.freeze({
  Check: method('Check', false, CHECK_CODEC),
  Watch: method('Watch', true, CHECK_CODEC),
  List: method('List', false, {
    requestSerialize: encodeListRequest,
    requestDeserialize: decodeListRequest,
    responseSerialize: encodeListResponse,
    responseDeserialize: decodeListResponse,
  }),
});
