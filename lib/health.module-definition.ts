import { ConfigurableModuleBuilder } from '@nestjs/common';
import { HEALTH_CONTROLLER_CLASS, HEALTH_GRPC_CONTROLLER_CLASS } from './health.constants.js';
import { createHealthController } from './health.controller.js';
import { createHealthGrpcController } from './grpc.controller.js';
import type { HealthModuleOptions } from './interfaces/health-module-options.interface.js';

/**
 * `forRoot`/`forRootAsync` and the options token. Each definition gets controller classes of its
 * own, completed once the (possibly async) options are resolved: the HTTP one gets its route
 * prefix and routes, the gRPC one its handlers when the `grpc` option is on (else it stays empty,
 * with no HTTP route).
 */
export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HealthModuleOptions>({ moduleName: 'Health' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHealthOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => {
    const controller = createHealthController();
    const grpcController = createHealthGrpcController();
    return {
      ...definition,
      global: extras.isGlobal,
      controllers: [controller, grpcController],
      providers: [
        ...(definition.providers ?? []),
        { provide: HEALTH_CONTROLLER_CLASS, useValue: controller },
        { provide: HEALTH_GRPC_CONTROLLER_CLASS, useValue: grpcController },
      ],
    };
  })
  .build();
