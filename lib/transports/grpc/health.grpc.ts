import { fileURLToPath } from 'node:url';
import type { HealthStatus } from '../../interfaces/health-check.interface.js';
import type { ProbeDefinition } from '../../core/probe.definitions.js';

/** The protobuf package of the standard gRPC health service: add it to your gRPC microservice's `package`. */
export const HEALTH_GRPC_PACKAGE = 'grpc.health.v1';

/** The absolute path of the `health.proto` this package ships: add it to your gRPC microservice's `protoPath`. */
export const HEALTH_PROTO_PATH: string = fileURLToPath(new URL('./health.proto', import.meta.url));

/** @internal The service's fully-qualified name, as `@GrpcMethod()` registers its handlers. */
export const HEALTH_GRPC_SERVICE = `${HEALTH_GRPC_PACKAGE}.Health`;

/** @internal `HealthCheckResponse.ServingStatus` of the proto. */
export const ServingStatus = Object.freeze({
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  /** Only on `Watch`, for a service that does not exist. */
  SERVICE_UNKNOWN: 3,
} as const);
/** @internal A value of `ServingStatus`. */
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** @internal The gRPC status codes the service ends a call with. */
export const GrpcCode = Object.freeze({ NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8 } as const);

/** @internal One reply of `Check` and `Watch`. */
export interface HealthCheckResponse {
  status: ServingStatus;
}

/**
 * @internal The names gRPC gives probes besides their own: `""`, what a kubelet sends when the
 * probe names no service, is the server's overall health, readiness; `liveness` and `readiness`
 * are the names Kubernetes itself uses.
 */
export const GRPC_ALIASES: ReadonlyMap<string, string> = new Map([
  ['', 'ready'],
  ['liveness', 'live'],
  ['readiness', 'ready'],
]);

/** @internal `pass` and `warn` serve (a degraded dependency still takes traffic); `fail` does not. */
export function servingStatus(status: HealthStatus): ServingStatus {
  return status === 'fail' ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
}

/** @internal The probe or group a service name answers for; `undefined` when none does. */
export function probeOfService(
  service: string,
  probes: readonly ProbeDefinition[],
): ProbeDefinition | undefined {
  const name = GRPC_ALIASES.get(service) ?? service;
  return probes.find((probe) => probe.name === name);
}

/** @internal The services `List` reports: `""`, then every probe and group (aliases are not listed). */
export function grpcServices(probes: readonly ProbeDefinition[]): string[] {
  return ['', ...probes.map((probe) => probe.name)];
}

/** @internal The service a request names; `""` when it names none (proto3 omits empty strings). */
export function serviceOf(request: unknown): string {
  const service = (request as { service?: unknown } | null | undefined)?.service;
  return typeof service === 'string' ? service : '';
}
