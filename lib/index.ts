export { HealthModule } from './health.module.js';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition.js';
export { HealthService } from './health.service.js';
export { HealthIndicator } from './decorators/health-indicator.decorator.js';
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
} from './interfaces/health-module-options.interface.js';
