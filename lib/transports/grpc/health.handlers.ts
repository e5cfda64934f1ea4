import { messages } from '../../core/health.messages.js';
import { all, type MaybePromise } from '../../core/maybe-promise.js';
import { releaseRequest } from './grpc.request-release.js';
import {
  GrpcCode,
  grpcServices,
  probeOfService,
  ServingStatus,
  unknownService,
  type ServedProbe,
} from './health.grpc.js';
import type { HealthRequest } from './health.wire.js';

/**
 * @internal What the health service serves: the probes, and each one's serving status, as the
 * app's port (`HealthService`) or the probe server's worker (the published results) knows it.
 * The status is decided there, by the core; the handlers only carry it.
 */
export interface HealthSource<P extends ServedProbe> {
  readonly probes: readonly P[];
  /** The serving status of a probe now. */
  status(probe: P): MaybePromise<ServingStatus>;
  /**
   * Calls `next` with the probe's serving status now and at each change, and `done` when it
   * stops for good (with why, if it failed); returns what stops it early.
   */
  watch(
    probe: P,
    next: (status: ServingStatus) => void,
    done: (error?: unknown) => void,
  ): () => void;
}

/** @internal A gRPC error status, as grpc-js takes one. */
export interface GrpcStatus {
  code: number;
  details: string;
}

/** @internal A grpc-js unary call and its callback, as far as the handlers use them. */
export type UnaryCall = { request: unknown };
export type UnaryCallback<T> = (error: GrpcStatus | null, value?: T) => void;

/** @internal A grpc-js server stream (`ServerWritableStream`), as far as `Watch` uses it. */
export interface WatchCall {
  request: unknown;
  /** Set while the client has left earlier messages unread (the last write returned false). */
  readonly writableNeedDrain?: boolean;
  write(status: ServingStatus): unknown;
  end(): unknown;
  emit(event: 'error', status: GrpcStatus): unknown;
  /** Emitted once the call is over: its status sent, or the client gone. */
  once(event: 'cancelled', listener: () => void): unknown;
}

/** How long closing waits for the ended Watch streams to send their status, at most. */
const END_GRACE_MS = 1000;
/** And then for the status to reach the socket. */
const FLUSH_MS = 20;

/**
 * @internal `grpc.health.v1.Health` on a grpc-js server (`addService(HEALTH_SERVICE_DEFINITION,
 * handlers)`): `Check`, `Watch` and `List` over a source, the same on the app's gRPC servers and
 * on the probe server's gRPC port. Watch streams are bounded: `maxWatchStreams` at once, nothing
 * of a request kept once read, a stream whose client reads nothing closed, and each ended with
 * `OK` (`endWatches()`) before its server closes.
 */
export class HealthHandlers<P extends ServedProbe> {
  /** The open Watch streams, and what stops each one's source. */
  private readonly streams = new Map<WatchCall, () => void>();
  /** Calls whose stream has not closed yet (their status not sent, or sent but not flushed). */
  private readonly unclosed = new Set<WatchCall>();
  private closed = false;

  constructor(
    private readonly source: HealthSource<P>,
    private readonly maxWatchStreams: number,
    private readonly failed: (subject: string, cause: unknown) => void = () => undefined,
  ) {}

  /** Watch streams open now. */
  get openWatches(): number {
    return this.streams.size;
  }

  /** `Check`: the status of one service; `NOT_FOUND` for a name that is none. */
  check(call: UnaryCall, callback: UnaryCallback<ServingStatus>): void {
    const request = call.request as HealthRequest;
    const probe = probeOfService(request, this.source.probes);
    if (probe === undefined) {
      return callback({ code: GrpcCode.NOT_FOUND, details: this.unknown(request) });
    }
    const status = this.statusOf(probe);
    if (status instanceof Promise) void status.then((value) => callback(null, value));
    else callback(null, status);
  }

  /**
   * `Watch`: the status at once, then each change, until the client leaves or the server closes
   * (the stream then ends with `OK`). `SERVICE_UNKNOWN` for a name that is none, on a stream kept
   * open all the same, as the protocol says. The request is let go of once read.
   */
  watch(call: WatchCall): void {
    const probe = probeOfService(call.request as HealthRequest, this.source.probes);
    releaseRequest(call.request, call);
    if (this.closed) {
      call.end();
      return;
    }
    if (this.streams.size >= this.maxWatchStreams) {
      const details = messages.grpcTooManyWatches(this.maxWatchStreams);
      call.emit('error', { code: GrpcCode.RESOURCE_EXHAUSTED, details });
      return;
    }
    this.streams.set(call, () => undefined);
    this.unclosed.add(call);
    call.once('cancelled', () => {
      this.unclosed.delete(call);
      this.stop(call);
    });
    const send = (status: ServingStatus) => {
      // A client that reads nothing would have every change queued for it, for ever.
      if (call.writableNeedDrain === true) {
        this.end(call, { code: GrpcCode.RESOURCE_EXHAUSTED, details: messages.grpcWatchNotRead });
      } else if (this.streams.has(call)) call.write(status);
    };
    if (probe === undefined) return send(ServingStatus.SERVICE_UNKNOWN);
    const done = (error?: unknown) => {
      if (error === undefined) return this.end(call);
      this.failed('Watch', error);
      this.end(call, { code: GrpcCode.UNKNOWN, details: messages.grpcFailed('Watch') });
    };
    const stop = this.source.watch(probe, send, done);
    // Ended while it sent its first status: nothing more to follow.
    if (this.streams.has(call)) this.streams.set(call, stop);
    else stop();
  }

  /** `List`: every service and its status, `""` included. */
  list(_call: UnaryCall, callback: UnaryCallback<Record<string, ServingStatus>>): void {
    const { probes } = this.source;
    const services = grpcServices(probes);
    const byProbe = new Map<string, MaybePromise<ServingStatus>>();
    const pending = services.map((service) => {
      const probe = probeOfService({ service }, probes)!;
      if (!byProbe.has(probe.name)) byProbe.set(probe.name, this.statusOf(probe));
      return byProbe.get(probe.name)!;
    });
    const answer = (statuses: ServingStatus[]) =>
      callback(null, Object.fromEntries(services.map((name, i) => [name, statuses[i]])));
    const statuses = all(pending);
    if (statuses instanceof Promise) void statuses.then(answer);
    else answer(statuses);
  }

  /**
   * Ends every Watch stream with `OK` (and takes no new one), and waits until each has sent its
   * status: closing the server would cut the streams still open, and a graceful close
   * (`tryShutdown`) would wait for them for ever.
   */
  async endWatches(): Promise<void> {
    this.closed = true;
    // Deleting from a Map while iterating it visits every entry left.
    for (const call of this.streams.keys()) this.end(call);
    const open = [...this.unclosed];
    if (open.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(
        open.map((call) => new Promise((over) => call.once('cancelled', () => over(call)))),
      ),
      new Promise((resolve) => (timer = setTimeout(resolve, END_GRACE_MS))),
    ]);
    clearTimeout(timer);
    // The last frames are handed to the socket on a later turn of the event loop.
    await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
  }

  /** Ends a stream: with `OK`, or with an error status. */
  private end(call: WatchCall, error?: GrpcStatus): void {
    if (!this.stop(call)) return;
    if (error) call.emit('error', error);
    else call.end();
  }

  /** Stops following a stream's probe; false when it was not open. */
  private stop(call: WatchCall): boolean {
    const stop = this.streams.get(call);
    if (stop === undefined) return false;
    this.streams.delete(call);
    stop();
    return true;
  }

  /** A probe's serving status; a bug of ours answers NOT_SERVING, never an error. */
  private statusOf(probe: P): MaybePromise<ServingStatus> {
    const fallback = (cause: unknown) => {
      this.failed(probe.name, cause);
      return ServingStatus.NOT_SERVING;
    };
    let status: MaybePromise<ServingStatus>;
    try {
      status = this.source.status(probe);
    } catch (cause) {
      return fallback(cause);
    }
    return status instanceof Promise ? status.catch(fallback) : status;
  }

  private unknown(request: HealthRequest): string {
    return unknownService(request.service ?? '', this.source.probes);
  }
}
