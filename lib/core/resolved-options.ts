import type { LoggerService, Type } from '@nestjs/common';
import type {
  GrpcHealthOptions,
  ProbeServerOptions,
  ShutdownOptions,
  StatusPageOptions,
} from '../interfaces/health-module-options.interface.js';
import type { TrustProxy } from './network.policy.js';
import type { ProbeDefinition } from './probe.definitions.js';
import type { ReportIdentity } from './probe-result.js';
import type { RedactionRule } from './redactor.js';

/** @internal The probe server's options, with their defaults. */
export interface ResolvedProbeServer extends Required<Omit<ProbeServerOptions, 'grpcPort'>> {
  /** Its gRPC port; `undefined` when it serves no gRPC. */
  grpcPort?: number;
  /** The bounds of its gRPC port: Watch streams at once (`grpc.maxWatchStreams`). */
  grpc: { maxWatchStreams: number };
}

/** @internal Module options after validation, with every default applied. */
export interface ResolvedHealthOptions {
  path: string;
  defaultTimeoutMs: number;
  cacheTtlMs: number;
  /** The fields every response carries (`version`, `releaseId`, `serviceId`, `description`). */
  identity: ReportIdentity;
  internalNetworks: readonly string[];
  trustProxy: TrustProxy;
  /** The probes and the health groups, with the access the options give each. */
  probes: readonly ProbeDefinition[];
  deniedStatus: 403 | 404;
  /** `InternalNetworkGuard` or a subclass (the HTTP transport's). */
  guard: Type<unknown>;
  redact: readonly (RedactionRule | RegExp)[];
  shutdown: false | Required<ShutdownOptions>;
  probeTimeoutMs: number;
  startupBudgetMs: number;
  slowCheckMs: number;
  logger: LoggerService | false | undefined;
  refreshIntervalMs: number | undefined;
  metrics: false | { registry?: unknown };
  openTelemetry: false | { meterProvider?: unknown; prefix: string };
  probeServer: false | ResolvedProbeServer;
  grpc: false | Required<GrpcHealthOptions>;
  statusPage: false | Required<StatusPageOptions>;
  autoIndicators: false | ResolvedAutoIndicators;
}

/** @internal `autoIndicators` with every list given: the names of the checks each concerns. */
export interface ResolvedAutoIndicators {
  ready: readonly string[];
  startup: readonly string[];
  critical: readonly string[];
  exclude: readonly string[];
}
