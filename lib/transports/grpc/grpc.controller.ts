import {
  Controller,
  Inject,
  type LoggerService,
  type OnModuleDestroy,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { concat, distinctUntilChanged, EMPTY, map, NEVER, Observable, of, Subject } from 'rxjs';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../../core/health.constants.js';
import {
  GrpcCode,
  grpcServices,
  probeOfService,
  serviceOf,
  ServingStatus,
  servingStatus,
  type HealthCheckResponse,
} from './health.grpc.js';
import { messages } from '../../core/health.messages.js';
import type { ResolvedHealthOptions } from '../../options/health.options.js';
import { HealthService } from '../../health.service.js';
import { NestInternals } from '../../lifecycle/nest.internals.js';
import { holdGrpcShutdowns } from './grpc.server-hold.js';
import { releaseRequest } from './grpc.request-release.js';
import { all, andThen, attempt, type MaybePromise } from '../../core/maybe-promise.js';
import type { ProbeDefinition } from '../../core/probe.definitions.js';

/** @internal Makes the error that ends a call with a gRPC status (an `RpcException`). */
export type GrpcError = (code: number, message: string) => Error;

/** @internal The part of a grpc-js server call the Watch handler looks at. */
export interface WatchCall {
  /** Set while the client has left earlier messages unread (the last write returned false). */
  readonly writableNeedDrain?: boolean;
  /** Set once the call is over: its status sent, or the client gone. */
  readonly cancelled?: boolean;
  once?(event: 'cancelled', listener: () => void): unknown;
}

/** How long closing waits for the ended Watch streams to send their status, at most. */
const END_GRACE_MS = 1000;
/** And then for the status to reach the socket. */
const FLUSH_MS = 20;

/**
 * @internal Creates the controller of `grpc.health.v1.Health`: the gRPC adapter of the probes. It
 * has no HTTP route, and no handler until the `grpc` option adds them (`defineGrpcHandlers`),
 * when the options are resolved: before Nest registers a microservice's handlers.
 */
export function createHealthGrpcController(): Type<unknown> {
  @Controller()
  class HealthGrpcController implements OnModuleInit, OnModuleDestroy {
    private readonly closing = new Subject<void>();
    private closed = false;
    private watching = 0;
    /** The calls of the Watch streams, until each is over. */
    private readonly calls = new Set<WatchCall>();
    private servers?: { unsubscribe(): void };

    constructor(
      private readonly health: HealthService,
      @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
      @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
      private readonly internals: NestInternals,
    ) {}

    /** Ends the Watch streams before any gRPC server of the app shuts down. */
    async onModuleInit(): Promise<void> {
      if (!this.options.grpc) return;
      // Installed: the grpc option could not be on otherwise (defineGrpcHandlers).
      const { Transport } = (await import('@nestjs/microservices')) as {
        Transport: { GRPC: unknown };
      };
      this.servers = holdGrpcShutdowns(this.internals, Transport.GRPC, () => this.endWatches());
    }

    /** Watch streams open now. */
    get openWatches(): number {
      return this.watching;
    }

    /** `Check`: the status of one service; `NOT_FOUND` for a name that is none. */
    serveCheck(request: unknown, error: GrpcError): MaybePromise<HealthCheckResponse> {
      const service = serviceOf(request);
      const probe = probeOfService(service, this.health.probes);
      if (probe === undefined) throw error(GrpcCode.NOT_FOUND, this.unknown(service));
      return andThen(this.statusOf(probe), (status) => ({ status }));
    }

    /**
     * `Watch`: the status at once, then each change, until the client leaves or the application
     * closes (the stream then ends with OK). `SERVICE_UNKNOWN` for a name that is none, on a
     * stream kept open all the same, as the protocol says. The request is let go of once read
     * (`releaseRequest`): a stream holds no name, however long.
     */
    serveWatch(
      request: unknown,
      call: WatchCall,
      error: GrpcError,
    ): Observable<HealthCheckResponse> {
      const probe = probeOfService(serviceOf(request), this.health.probes);
      releaseRequest(request, call);
      if (this.closed) return EMPTY;
      const statuses: Observable<ServingStatus> = probe
        ? this.health.watch(probe.name).pipe(map(servingStatus), distinctUntilChanged())
        : concat(of(ServingStatus.SERVICE_UNKNOWN), NEVER);
      const { maxWatchStreams } = this.options.grpc || { maxWatchStreams: 0 };
      return new Observable<HealthCheckResponse>((subscriber) => {
        if (this.watching >= maxWatchStreams) {
          subscriber.error(
            error(GrpcCode.RESOURCE_EXHAUSTED, messages.grpcTooManyWatches(maxWatchStreams)),
          );
          return undefined;
        }
        this.watching++;
        this.track(call);
        const closing = this.closing.subscribe(() => subscriber.complete());
        const subscription = statuses.subscribe({
          next: (status) => {
            // A client that reads nothing would have every change queued for it, for ever.
            if (call.writableNeedDrain === true) {
              subscriber.error(error(GrpcCode.RESOURCE_EXHAUSTED, messages.grpcWatchNotRead));
            } else subscriber.next({ status });
          },
          error: (cause: unknown) => {
            this.logger.error(messages.grpcFailed('Watch'), (cause as Error)?.stack);
            subscriber.error(cause);
          },
          complete: () => subscriber.complete(),
        });
        return () => {
          this.watching--;
          closing.unsubscribe();
          subscription.unsubscribe();
        };
      });
    }

    /** `List`: every service and its status, `""` included. */
    serveList(): MaybePromise<{ statuses: Record<string, HealthCheckResponse> }> {
      const services = grpcServices(this.health.probes);
      const byProbe = new Map<string, MaybePromise<ServingStatus>>();
      const pending = services.map((service) => {
        const probe = probeOfService(service, this.health.probes)!;
        if (!byProbe.has(probe.name)) byProbe.set(probe.name, this.statusOf(probe));
        return byProbe.get(probe.name)!;
      });
      return andThen(all(pending), (statuses) => ({
        statuses: Object.fromEntries(services.map((name, i) => [name, { status: statuses[i] }])),
      }));
    }

    /** Ends the Watch streams, if the server has not closed yet. */
    async onModuleDestroy(): Promise<void> {
      this.servers?.unsubscribe();
      await this.endWatches();
    }

    /**
     * Ends every Watch stream with OK (and takes no new one), and waits until each has sent its
     * status: closing the gRPC server would cut the streams still open, and a graceful close
     * (`tryShutdown`) would wait for them for ever.
     */
    async endWatches(): Promise<void> {
      this.closed = true;
      this.closing.next();
      this.closing.complete();
      const open = [...this.calls];
      if (open.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(
          open.map((call) => new Promise<void>((over) => call.once?.('cancelled', () => over()))),
        ),
        new Promise((resolve) => (timer = setTimeout(resolve, END_GRACE_MS))),
      ]);
      clearTimeout(timer);
      // The last frames are handed to the socket on a later turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
    }

    /** Keeps a Watch call until it is over (a fake one, without events, is not kept). */
    private track(call: WatchCall): void {
      if (call.once === undefined || call.cancelled) return;
      this.calls.add(call);
      call.once('cancelled', () => this.calls.delete(call));
    }

    /** A probe's serving status; a bug of ours answers NOT_SERVING, never an error. */
    private statusOf(probe: ProbeDefinition): MaybePromise<ServingStatus> {
      return attempt(
        () => andThen(this.health.answer(probe), (result) => servingStatus(result.status)),
        (cause) => {
          this.logger.error(messages.grpcFailed(probe.name), (cause as Error)?.stack);
          return ServingStatus.NOT_SERVING;
        },
      );
    }

    private unknown(service: string): string {
      return messages.grpcUnknownService(service, grpcServices(this.health.probes));
    }
  }
  // No HTTP route: Nest maps none of its paths, and logs none.
  Reflect.defineMetadata(PATH_METADATA, [], HealthGrpcController);
  return HealthGrpcController;
}
