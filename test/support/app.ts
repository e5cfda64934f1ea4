import type {
  INestApplication,
  LoggerService,
  ModuleMetadata,
  Provider,
  Type,
} from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  HealthModule,
  type HealthModuleExtras,
  type HealthModuleOptions,
} from '../../lib/index.js';

/** The HTTP adapters the library supports; end-to-end suites run on each. */
export const ADAPTERS = ['express', 'fastify'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

export interface TestAppOptions {
  health?: HealthModuleOptions & HealthModuleExtras;
  providers?: Provider[];
  controllers?: Type<unknown>[];
  imports?: ModuleMetadata['imports'];
  /** A module to use instead of the one built from the options above. */
  module?: Type<unknown>;
  /** Skip `app.init()` (to test what init does). */
  init?: boolean;
  adapter?: AdapterName;
  /** Where Nest's logs go; silent by default. */
  logger?: LoggerService;
}

/** Boots a real Nest application with the health module, not yet listening. */
export async function createTestApp(options: TestAppOptions = {}): Promise<INestApplication> {
  let root = options.module;
  if (!root) {
    @Module({
      imports: [HealthModule.forRoot(options.health), ...(options.imports ?? [])],
      providers: options.providers ?? [],
      controllers: options.controllers ?? [],
    })
    class TestAppModule {}
    root = TestAppModule;
  }
  const settings = { logger: options.logger ?? (false as const), abortOnError: false };
  const app =
    options.adapter === 'fastify'
      ? await NestFactory.create(root, new FastifyAdapter(), settings)
      : await NestFactory.create(root, settings);
  if (options.init !== false) {
    await app.init();
    if (options.adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  }
  return app;
}

/**
 * Why start-up fails: the message `start()` rejects with. What starts after all (an application,
 * anything with `close()`) is closed, and the test fails saying so.
 */
export async function startUpFailure(start: () => Promise<unknown>): Promise<string> {
  let started: unknown;
  try {
    started = await start();
  } catch (error) {
    return (error as Error).message;
  }
  const closable = started as { close?: () => Promise<unknown> } | null | undefined;
  if (typeof closable?.close === 'function') await closable.close();
  throw new Error('start-up should have failed');
}
