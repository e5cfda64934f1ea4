import { ConfigurableModuleBuilder } from '@nestjs/common';
import { HEALTH_CONTROLLER_CLASS } from './health.constants.js';
import { createHealthController } from './health.controller.js';
import type { HealthModuleOptions } from './interfaces/health-module-options.interface.js';

/**
 * `forRoot`/`forRootAsync` and the options token. Each definition gets a controller
 * class of its own, whose route prefix is set once the (possibly async) options are resolved.
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
    return {
      ...definition,
      global: extras.isGlobal,
      controllers: [controller],
      providers: [
        ...(definition.providers ?? []),
        { provide: HEALTH_CONTROLLER_CLASS, useValue: controller },
      ],
    };
  })
  .build();
