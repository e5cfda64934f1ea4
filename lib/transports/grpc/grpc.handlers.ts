import type { Type } from '@nestjs/common';
import type { GrpcError, WatchCall } from './grpc.controller.js';
import { HEALTH_GRPC_SERVICE } from './health.grpc.js';
import { messages } from '../../core/health.messages.js';
import { isInstalled } from '../../core/peers.js';

/** @internal The part of `@nestjs/microservices` used here, typed locally: the declarations must not import it. */
export interface Microservices {
  GrpcMethod(service: string, method: string): MethodDecorator;
  RpcException: new (error: object) => Error;
}

/** @internal Loads `@nestjs/microservices`. */
export type MicroservicesLoader = () => Promise<unknown>;

const loadMicroservices: MicroservicesLoader = () => import('@nestjs/microservices');

/** @internal What serving gRPC takes: Nest's transport, and the gRPC packages it loads. */
export const GRPC_PEERS = ['@nestjs/microservices', '@grpc/grpc-js', '@grpc/proto-loader'];

interface GrpcServing {
  serveCheck(request: unknown, error: GrpcError): unknown;
  serveWatch(request: unknown, call: WatchCall, error: GrpcError): unknown;
  serveList(): unknown;
}

/**
 * @internal Adds the `Check`, `Watch` and `List` handlers to the controller, as `@GrpcMethod()`
 * on written methods would. Called when the `grpc` option is on, once the options are resolved.
 */
export async function defineGrpcHandlers(
  controller: Type<unknown>,
  { installed = isInstalled, load = loadMicroservices } = {},
): Promise<void> {
  const missing = GRPC_PEERS.filter((pkg) => !installed(pkg));
  if (missing.length > 0) throw new Error(messages.grpcPeersMissing(missing));
  const { GrpcMethod, RpcException } = (await load()) as Microservices;
  const error: GrpcError = (code, message) => new RpcException({ code, message });
  const handlers: Record<string, (this: GrpcServing, ...args: never[]) => unknown> = {
    Check(request: unknown) {
      return this.serveCheck(request, error);
    },
    Watch(request: unknown, _metadata: unknown, call: WatchCall) {
      return this.serveWatch(request, call ?? {}, error);
    },
    List() {
      return this.serveList();
    },
  };
  const proto = controller.prototype as Record<string, unknown>;
  for (const [rpc, handler] of Object.entries(handlers)) {
    const key = grpcHandlerKey(rpc);
    Object.defineProperty(proto, key, { value: handler, configurable: true, writable: true });
    GrpcMethod(HEALTH_GRPC_SERVICE, rpc)(proto, key, Object.getOwnPropertyDescriptor(proto, key)!);
  }
}

/** @internal The controller method of an RPC of the health service. */
export const grpcHandlerKey = (rpc: string) => `grpc ${rpc}`;
