import type {
  ConfigurableModuleAsyncOptions,
  ConfigurableModuleOptionsFactory,
} from '@nestjs/common';

/** Options of `HealthModule.forRoot()` / `forRootAsync()`. All are optional. */
export interface HealthModuleOptions {
  /** Route prefix of the probes. Default `'health'`: `/health/live`, `/health/ready`... */
  path?: string;
  /** Timeout of an indicator that sets none, in ms. Default 500, well inside the kubelet's 1 s. */
  defaultTimeoutMs?: number;
  /** How long an indicator's result is reused, in ms; 0 disables caching. Default 1000. */
  cacheTtlMs?: number;
  /** The service's version, in every response. */
  version?: string;
  /** The release (build, commit) id, in every response. */
  releaseId?: string;
  /** A unique id of the service, in every response. */
  serviceId?: string;
  /** A human-friendly description of the service, in every response. */
  description?: string;
}

/** Options of `HealthModule.forRootAsync()`: `imports`, `inject` and one of `useFactory`, `useClass`, `useExisting`. */
export type HealthModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  HealthModuleOptions,
  'createHealthOptions'
> & { isGlobal?: boolean };

/** What a `useClass`/`useExisting` options provider implements. */
export type HealthOptionsFactory = ConfigurableModuleOptionsFactory<
  HealthModuleOptions,
  'createHealthOptions'
>;
