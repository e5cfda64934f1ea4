import { MODULE_PATH } from '@nestjs/common/constants.js';
import type { ModulesContainer } from '@nestjs/core';
import { messages } from '../core/health.messages.js';

/**
 * @internal The parts of Nest the library uses that its public API does not offer, in one place,
 * each checked before use with a message naming the Nest release it needs.
 */

/**
 * Mounts a module's routes under `path` in one application only, as `RouterModule` does for
 * several applications in one process: the routes of a module definition shared by applications
 * (an `AppModule` imported by each test of a suite) stay each application's own. Composes with a
 * path `RouterModule` gave the module before.
 */
export function mountModule(modules: ModulesContainer, module: object, path: string): void {
  const key = modulePathKey(modules);
  const outer = Reflect.getMetadata(key, module) as string | undefined;
  const mounted = [outer, path].filter(Boolean).join('/');
  if (mounted) Reflect.defineMetadata(key, mounted, module);
}

/** Forgets the path `mountModule()` set, when the application closes. */
export function unmountModule(modules: ModulesContainer, module: object): void {
  Reflect.deleteMetadata(modulePathKey(modules), module);
}

/** The metadata key of a module's path in one application. */
function modulePathKey(modules: ModulesContainer): string {
  const id = (modules as { applicationId?: unknown }).applicationId;
  if (typeof id !== 'string') {
    const feature = 'a route path per application (ModulesContainer.applicationId)';
    throw new Error(messages.nestTooOld(feature, '11.0.0'));
  }
  return MODULE_PATH + id;
}
