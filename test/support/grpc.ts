import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  Module,
  type INestApplication,
  type INestMicroservice,
  type Provider,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import {
  HEALTH_GRPC_PACKAGE,
  HEALTH_PROTO_PATH,
  HealthModule,
  type HealthModuleExtras,
  type HealthModuleOptions,
} from '../../lib/index.js';
import { freePort } from './servers.js';

/**
 * gRPC health clients written by others (grpc-js with proto-loader, on the shipped proto), and
 * real Nest applications serving the health service: hybrid (HTTP + gRPC) or gRPC only.
 */

/** A reply, or how the call failed. */
export interface GrpcAnswer {
  status?: string;
  /** The gRPC status code of a failed call, by name (`NOT_FOUND`...). */
  code?: string;
  details?: string;
}

export type HealthClient = grpc.Client & Record<string, (...args: never[]) => unknown>;

const definition = protoLoader.loadSync(HEALTH_PROTO_PATH, {
  keepCase: true,
  enums: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
/** The client class grpc-js makes of the shipped proto. */
export const HealthClientClass = loaded.grpc.health.v1.Health;

/** A client on a new channel, as each kubelet probe opens one. */
export function healthClient(address: string, options?: grpc.ChannelOptions): HealthClient {
  return new HealthClientClass(address, grpc.credentials.createInsecure(), options) as HealthClient;
}

const codeName = (code: number) => grpc.status[code] ?? String(code);

/** `Check` on `client` (any grpc-js client of grpc.health.v1), within `deadlineMs`. */
export function check(
  client: grpc.Client,
  service?: string,
  deadlineMs = 2000,
): Promise<GrpcAnswer> {
  const request = service === undefined ? {} : { service };
  const call = (client as HealthClient).Check as unknown as (
    request: object,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: { status: string | number }) => void,
  ) => void;
  return new Promise((resolve) =>
    call.call(client, request, { deadline: Date.now() + deadlineMs }, (error, reply) =>
      resolve(
        error
          ? { code: codeName(error.code), details: error.details }
          : { status: String(reply!.status) },
      ),
    ),
  );
}

/** `List` on `client`: each service's status, or how the call failed. */
export function list(client: grpc.Client): Promise<Record<string, string> | GrpcAnswer> {
  const call = (client as HealthClient).List as unknown as (
    request: object,
    options: grpc.CallOptions,
    callback: (
      error: grpc.ServiceError | null,
      reply?: { statuses: Record<string, { status: string }> },
    ) => void,
  ) => void;
  return new Promise((resolve) =>
    call.call(client, {}, { deadline: Date.now() + 2000 }, (error, reply) =>
      resolve(
        error
          ? { code: codeName(error.code), details: error.details }
          : Object.fromEntries(
              Object.entries(reply!.statuses).map(([name, { status }]) => [name, String(status)]),
            ),
      ),
    ),
  );
}

/** A `Watch` stream: every status it sent, and how it ended. */
export interface WatchStream {
  statuses: string[];
  /** When each status arrived (epoch ms). */
  times: number[];
  /** Settles when the stream ends: `OK` when the server ended it cleanly. */
  ended: Promise<GrpcAnswer>;
  /** Resolves once the stream has sent `count` statuses in all. */
  received(count: number, withinMs?: number): Promise<string[]>;
  cancel(): void;
  call: grpc.ClientReadableStream<{ status: string }>;
}

export function watch(client: grpc.Client, service?: string): WatchStream {
  const open = (client as HealthClient).Watch as unknown as (
    request: object,
  ) => grpc.ClientReadableStream<{ status: string }>;
  const call = open.call(client, service === undefined ? {} : { service });
  const statuses: string[] = [];
  const times: number[] = [];
  const waiters: (() => void)[] = [];
  call.on('data', (reply: { status: string }) => {
    statuses.push(String(reply.status));
    times.push(Date.now());
    for (const wake of waiters.splice(0)) wake();
  });
  const ended = new Promise<GrpcAnswer>((resolve) => {
    call.on('error', (error: grpc.ServiceError) =>
      resolve({ code: codeName(error.code), details: error.details }),
    );
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) resolve({ code: 'OK' });
    });
  });
  const received = (count: number, withinMs = 5000) =>
    new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Watch sent ${JSON.stringify(statuses)}, not ${count} statuses`)),
        withinMs,
      );
      const look = () => {
        if (statuses.length >= count) {
          clearTimeout(timer);
          resolve(statuses.slice());
        } else waiters.push(look);
      };
      look();
    });
  return { statuses, times, ended, received, cancel: () => call.cancel(), call };
}

/** The options of a gRPC microservice serving the health service (and nothing else) on `url`. */
export function grpcOptions(url: string, extra: Partial<GrpcOptions['options']> = {}): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: { url, package: [HEALTH_GRPC_PACKAGE], protoPath: [HEALTH_PROTO_PATH], ...extra },
  };
}

export interface GrpcAppOptions {
  health?: HealthModuleOptions & HealthModuleExtras;
  providers?: Provider[];
  /** `hybrid` (default): HTTP and a connected gRPC microservice; `grpc`: createMicroservice. */
  kind?: 'hybrid' | 'grpc';
  /** Options of Nest's gRPC transport, besides url, package and protoPath. */
  transport?: Partial<GrpcOptions['options']>;
}

export interface GrpcApp {
  app: INestApplication | INestMicroservice;
  /** `127.0.0.1:<port>` of the gRPC server. */
  address: string;
  /** The HTTP base URL of a hybrid app. */
  http?: string;
}

/** Boots a real Nest application serving the health service on a free port. */
export async function startGrpcApp(options: GrpcAppOptions = {}): Promise<GrpcApp> {
  @Module({
    imports: [HealthModule.forRoot({ grpc: true, logger: false, ...options.health })],
    providers: options.providers ?? [],
  })
  class GrpcAppModule {}
  const address = `127.0.0.1:${await freePort()}`;
  const transport = grpcOptions(address, options.transport);
  if (options.kind === 'grpc') {
    const app = await NestFactory.createMicroservice(GrpcAppModule, {
      ...transport,
      logger: false,
    });
    await app.listen();
    return { app, address };
  }
  const app = await NestFactory.create(GrpcAppModule, { logger: false });
  app.connectMicroservice(transport);
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return { app, address, http: await app.getUrl() };
}
