export { HealthModule } from './health.module.js';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition.js';
export { HealthService } from './health.service.js';
export { HealthIndicator } from './decorators/health-indicator.decorator.js';
export { InternalNetworkGuard, type HttpRequest } from './internal-network.guard.js';
export { NetworkPolicy, DEFAULT_INTERNAL_NETWORKS, type TrustProxy } from './network.policy.js';
export { Redactor, type RedactionRule } from './redactor.js';
export type {
  CheckReport,
  CheckResult,
  ComponentType,
  HealthCheck,
  HealthReport,
  HealthStatus,
  IndicatorProbe,
  ProbeName,
} from './interfaces/health-check.interface.js';
export type { HealthIndicatorOptions } from './interfaces/health-indicator-options.interface.js';
export type {
  HealthModuleAsyncOptions,
  HealthModuleOptions,
  HealthOptionsFactory,
  ProbeAccess,
} from './interfaces/health-module-options.interface.js';
