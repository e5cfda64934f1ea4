import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, loadConfig } from './app.config.js';

/** Global, like @nestjs/config: `HealthModule.forRootAsync()` can inject the config from here. */
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: () => loadConfig(process.env) }],
  exports: [APP_CONFIG],
})
export class ConfigModule {}
