import { Get, Next, Param, Req, Res, type Type } from '@nestjs/common';
import type { ProbeDefinition } from '../../core/probe.definitions.js';
import type { MaybePromise } from '../../core/maybe-promise.js';
import type { StatusPart } from '../../core/route.matcher.js';

/** What the route handlers call on the controller. */
interface ProbeRoutes {
  serveStatus(request: unknown, response: unknown, part: StatusPart, next: unknown): unknown;
  serveProbe(request: unknown, response: unknown, name: string): MaybePromise<void>;
  serveCheck(request: unknown, response: unknown, name: string, check: string): MaybePromise<void>;
  serveGroup(
    request: unknown,
    response: unknown,
    next: unknown,
    check?: string,
  ): MaybePromise<void>;
}

/** What a route hands its handler after the request and the response. */
type RouteArg = 'check' | 'next';

/** Adds a handler to the controller's prototype, as the decorators on a written method would. */
function route(
  controller: Type<unknown>,
  key: string,
  path: string,
  handler: (this: ProbeRoutes, ...args: never[]) => unknown,
  args: readonly RouteArg[] = [],
): void {
  const proto = controller.prototype as Record<string, unknown>;
  Object.defineProperty(proto, key, { value: handler, configurable: true, writable: true });
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
  Req()(proto, key, 0);
  Res()(proto, key, 1);
  args.forEach((arg, i) => (arg === 'check' ? Param('name') : Next())(proto, key, i + 2));
  Get(path)(proto, key, descriptor);
}

/** @internal A route of the controller: a probe's or a group's name, and whether it has check routes. */
export type ProbeRoute = Pick<ProbeDefinition, 'name' | 'answersPerCheck'>;

/**
 * @internal Adds the routes of `probes` to the controller: `<name>` for each, and `<name>/:name`
 * for one of its checks where it answers for them; with `statusPage`, the status page's
 * (`status`, `status/events`); with `anyGroup`, `:group` and `:group/:name` after them all, for
 * groups known only once an application resolves its options (`forRootAsync()`). Called when
 * the module is built, before any application reads the controller.
 */
export function defineProbeRoutes(
  controller: Type<unknown>,
  probes: readonly ProbeRoute[],
  { anyGroup = false, statusPage = false } = {},
): void {
  for (const probe of probes) {
    const { name } = probe;
    route(controller, probeRouteKey(probe), name, function (request, response) {
      return this.serveProbe(request, response, name);
    });
    if (!probe.answersPerCheck) continue;
    route(
      controller,
      checkRouteKey(probe),
      `${name}/:name`,
      function (request, response, check: string) {
        return this.serveCheck(request, response, name, check);
      },
      ['check'],
    );
  }
  if (statusPage) {
    for (const [key, path, part] of STATUS_ROUTES) {
      route(
        controller,
        key,
        path,
        function (request, response, next: unknown) {
          return this.serveStatus(request, response, part, next);
        },
        ['next'],
      );
    }
  }
  if (!anyGroup) return;
  route(
    controller,
    ANY_GROUP_KEY,
    ':group',
    function (request, response, next: unknown) {
      return this.serveGroup(request, response, next);
    },
    ['next'],
  );
  route(
    controller,
    ANY_GROUP_CHECK_KEY,
    ':group/:name',
    function (request, response, check: string, next: unknown) {
      return this.serveGroup(request, response, next, check);
    },
    ['check', 'next'],
  );
}

/** @internal The controller method of a probe's route. */
export const probeRouteKey = (probe: Pick<ProbeDefinition, 'name'>) => `probe ${probe.name}`;
/** @internal The controller method of the route of one of a probe's checks. */
export const checkRouteKey = (probe: Pick<ProbeDefinition, 'name'>) => `probe ${probe.name} check`;
/** @internal The controller method of the route that takes any group's name. */
export const ANY_GROUP_KEY = 'group';
/** @internal The controller method of the route of one check of any group. */
export const ANY_GROUP_CHECK_KEY = 'group check';
/** @internal The status page's routes: their controller methods, paths, and parts. */
export const STATUS_ROUTES: readonly (readonly [string, string, StatusPart])[] = [
  ['status page', 'status', 'page'],
  ['status events', 'status/events', 'events'],
];
