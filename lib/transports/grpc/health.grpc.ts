import { fileURLToPath } from 'node:url';
import type { HealthStatus } from '../../interfaces/health-check.interface.js';
import { messages } from '../../core/health.messages.js';
import { probeNamed, type ProbeDefinition } from '../../core/probe.definitions.js';

/** The protobuf package of the standard gRPC health service: add it to your gRPC microservice's `package`. */
export const HEALTH_GRPC_PACKAGE = 'grpc.health.v1';

/** The absolute path of the `health.proto` this package ships: add it to your gRPC microservice's `protoPath`. */
export const HEALTH_PROTO_PATH: string = fileURLToPath(new URL('./health.proto', import.meta.url));

/** @internal The service's fully-qualified name, as its methods' paths name it. */
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
export const GrpcCode = Object.freeze({ UNKNOWN: 2, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8 } as const);

/** @internal `pass` and `warn` serve (a degraded dependency still takes traffic); `fail` does not. */
export function servingStatus(status: HealthStatus): ServingStatus {
  return status === 'fail' ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
}

/** @internal What the health service knows of a probe: its name and the names it answers to. */
export type ServedProbe = Pick<ProbeDefinition, 'name' | 'aliases'>;

/**
 * @internal The probe or group a service names; `undefined` when none does (`Check` then fails
 * with `NOT_FOUND`, `Watch` sends `SERVICE_UNKNOWN`). A name cut when it was read is no probe's.
 */
export function probeOfService<P extends ServedProbe>(
  request: { service: string; cut?: true },
  probes: readonly P[],
): P | undefined {
  if (request.cut) return undefined;
  let named = SERVICES.get(probes) as Map<string, P> | undefined;
  if (named === undefined) {
    // `""` (what a kubelet sends when the probe names none) is the server's overall health:
    // readiness, as are `readiness` and `liveness`'s liveness, Kubernetes' own names (the table's).
    const names = [...probes.flatMap((probe) => probe.aliases), ...probes.map((p) => p.name)];
    named = new Map(names.map((name) => [name, probeNamed(name, probes)!]));
    SERVICES.set(probes, named);
  }
  return named.get(request.service);
}

/** Each table's services by name, made once: a probe is looked up on every call. */
const SERVICES = new WeakMap<readonly ServedProbe[], Map<string, ServedProbe>>();

/** @internal The services `List` reports: `""`, then every probe and group (aliases are not listed). */
export function grpcServices(probes: readonly ServedProbe[]): string[] {
  return ['', ...probes.map((probe) => probe.name)];
}

/** @internal The message of `NOT_FOUND`: the name (cut), and the services there are. */
export function unknownService(service: string, probes: readonly ServedProbe[]): string {
  return messages.grpcUnknownService(service, grpcServices(probes));
}
