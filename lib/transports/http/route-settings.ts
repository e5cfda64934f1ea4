import type { RouteAdapter, RouteSettings } from '../../core/route.matcher.js';

/** The settings of Express and Fastify that change which path is which route. */
interface AdapterInstance {
  /**
   * Express: its router, made with the app's settings as they stood when it was first used;
   * `app.enabled('case sensitive routing')` says what a router made now would do.
   */
  router?: { caseSensitive?: boolean; strict?: boolean };
  enabled?(setting: string): boolean;
  /** Fastify: its options, router options included. */
  initialConfig?: {
    caseSensitive?: boolean;
    ignoreTrailingSlash?: boolean;
    maxParamLength?: number;
    routerOptions?: {
      caseSensitive?: boolean;
      ignoreTrailingSlash?: boolean;
      maxParamLength?: number;
    };
  };
}

/** The HTTP adapter of Nest, as far as its type and its framework's instance go. */
export interface HttpAdapterLike {
  getType?(): string;
  getInstance?(): unknown;
}

/**
 * @internal How the application's HTTP adapter matches routes, read from its own settings: what the
 * probe server and the routes of any group's name must follow to answer a path as the app's port
 * does. `none` (exact, decoded names) for an application without an HTTP adapter.
 */
export function routeSettingsOf(
  adapter: HttpAdapterLike | undefined,
  prefix: readonly string[],
): RouteSettings {
  const type = adapter?.getType?.();
  const instance = adapter?.getInstance?.() as AdapterInstance | undefined;
  if (type === 'express' && typeof instance?.enabled === 'function') {
    // The router the routes are in decides, whatever the settings say since.
    const router = instance.router;
    return {
      adapter: 'express',
      prefix,
      caseSensitive: router?.caseSensitive ?? instance.enabled('case sensitive routing'),
      strictSlash: router?.strict ?? instance.enabled('strict routing'),
    };
  }
  if (type === 'fastify' && instance?.initialConfig) {
    const config = instance.initialConfig;
    const router = config.routerOptions ?? {};
    return {
      adapter: 'fastify',
      prefix,
      caseSensitive: router.caseSensitive ?? config.caseSensitive ?? true,
      strictSlash: !(router.ignoreTrailingSlash ?? config.ignoreTrailingSlash ?? false),
      maxParamLength: router.maxParamLength ?? config.maxParamLength ?? 100,
    };
  }
  return { adapter: 'none' satisfies RouteAdapter, prefix, caseSensitive: true, strictSlash: true };
}

/** @internal A route prefix (`'internal/health'`) as the segments the matcher compares. */
export function prefixSegments(...parts: readonly string[]): string[] {
  return parts.flatMap((part) => part.split('/')).filter(Boolean);
}
