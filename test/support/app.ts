import type { INestApplication, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthModule, type HealthModuleOptions } from '../../lib/index.js';

export interface TestAppOptions {
  health?: HealthModuleOptions;
  providers?: Provider[];
  imports?: ModuleMetadata['imports'];
  /** A module to use instead of the one built from the options above. */
  module?: Type<unknown>;
  /** Skip `app.init()` (to test what init does). */
  init?: boolean;
}

/** Boots a real Nest application (Express) with the health module, listening on nothing yet. */
export async function createTestApp(options: TestAppOptions = {}): Promise<INestApplication> {
  let root = options.module;
  if (!root) {
    @Module({
      imports: [HealthModule.forRoot(options.health), ...(options.imports ?? [])],
      providers: options.providers ?? [],
    })
    class TestAppModule {}
    root = TestAppModule;
  }
  const app = await NestFactory.create(root, { logger: false, abortOnError: false });
  if (options.init !== false) await app.init();
  return app;
}
