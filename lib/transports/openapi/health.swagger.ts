import type { Type } from '@nestjs/common';
import {
  ANY_GROUP_CHECK_KEY,
  ANY_GROUP_KEY,
  checkRouteKey,
  probeRouteKey,
  STATUS_ROUTES,
} from '../http/probe.routes.js';
import { checkAccess } from '../../core/access.js';
import { canFail, type ProbeDefinition } from '../../core/probe.definitions.js';
import { probeText } from './probe.text.js';
import {
  DENIED,
  errorResponse,
  EXCLUDE,
  healthResponse,
  nameParam,
  READY_EXAMPLE,
  TEXT,
  VERBOSE,
} from './openapi.schemas.js';

/*
 * OpenAPI documentation of the probe routes, when `@nestjs/swagger` (an optional peer) is
 * installed. Nothing here names its types: the emitted declarations must not import it, and an
 * application without it must start exactly as before.
 */

/** A decorator as `@nestjs/swagger` returns it, applied by hand to a class or one of its methods. */
type SwaggerDecorator = (
  target: object,
  key?: string | symbol,
  descriptor?: PropertyDescriptor,
) => unknown;

/** @internal The part of `@nestjs/swagger` used here, typed locally. */
export interface SwaggerDecorators {
  ApiTags(...tags: string[]): SwaggerDecorator;
  ApiOperation(options: object): SwaggerDecorator;
  ApiResponse(options: object): SwaggerDecorator;
  ApiParam(options: object): SwaggerDecorator;
  ApiQuery(options: object): SwaggerDecorator;
  ApiExcludeEndpoint(disable?: boolean): SwaggerDecorator;
}

/** @internal Loads `@nestjs/swagger`; rejects when it is not installed. */
export type SwaggerLoader = () => Promise<unknown>;

const loadSwagger: SwaggerLoader = () => import('@nestjs/swagger');

const NEEDED: readonly (keyof SwaggerDecorators)[] = [
  'ApiTags',
  'ApiOperation',
  'ApiResponse',
  'ApiParam',
  'ApiQuery',
  'ApiExcludeEndpoint',
];

function isSwagger(module: unknown): module is SwaggerDecorators {
  if (typeof module !== 'object' || module === null) return false;
  const exports = module as Record<string, unknown>;
  return NEEDED.every((name) => typeof exports[name] === 'function');
}

/** What a route is documented with. */
interface Route {
  summary: string;
  description: string;
  operationId: string;
  responses: object[];
  params?: object[];
  queries?: object[];
}

/** A probe's route, from its definition: a probe that runs nothing and has no gate never fails. */
function probeRoute(probe: ProbeDefinition): Route {
  const fails = canFail(probe);
  const responses = [
    healthResponse(200, probe.name, fails ? '`pass` or `warn`.' : 'It always passes.', {
      example: fails ? READY_EXAMPLE : { status: 'pass' },
      runsChecks: probe.runsChecks,
    }),
  ];
  if (fails) {
    const gated = probe.gates.includes('startup') || probe.latches;
    responses.push(
      healthResponse(
        503,
        probe.name,
        gated ? '`fail`, or start-up has not completed (output `starting`).' : '`fail`.',
        {
          example: probe.gates.includes('startup')
            ? { status: 'fail', output: 'starting' }
            : undefined,
        },
      ),
    );
  }
  if (probe.access === 'internal') responses.push(DENIED);
  return {
    ...probeText(probe),
    operationId: `health.${probe.name}`,
    responses,
    queries: fails ? [VERBOSE, EXCLUDE] : [VERBOSE],
  };
}

/** The route of one check of a probe. */
function checkRoute(probe: ProbeDefinition): Route {
  const responses = [
    healthResponse(200, 'database', 'The check passes or warns.'),
    healthResponse(503, 'database', 'The check fails.'),
  ];
  if (checkAccess(probe.access) === 'internal') responses.push(DENIED);
  responses.push(errorResponse(404, `${probe.name} has no check of that name.`));
  return {
    summary: `One check of ${probe.name}`,
    description: `Its own status decides, critical or not.${checkAccess(probe.access) === 'internal' ? ' Internal callers only.' : ''}`,
    operationId: `health.${probe.name}.check`,
    responses,
    params: [nameParam(probe.name)],
    queries: [VERBOSE],
  };
}

const METRICS_ROUTE: Route = {
  summary: 'Prometheus metrics',
  description:
    'The health metrics in the Prometheus text format, through `prom-client`. 200 even while ' +
    'the application is unhealthy: the metrics describe the failure. Internal callers only.',
  operationId: 'health.metrics',
  responses: [
    {
      status: 200,
      description: 'The Prometheus text exposition format.',
      content: { [TEXT]: { schema: { type: 'string' } } },
    },
    DENIED,
    errorResponse(500, 'The metrics could not be rendered.', TEXT),
  ],
};

/** The routes of a factory's groups (`forRootAsync()`), whose names only the options know. */
const ANY_GROUP_ROUTE: Route = {
  summary: 'A health group of the options',
  description:
    'A named view of some checks (the `groups` option). A failing critical one fails it (503); ' +
    'a failing non-critical one degrades it (200, `warn`).',
  operationId: 'health.group',
  responses: [
    healthResponse(200, 'payments', '`pass` or `warn`.', { example: READY_EXAMPLE }),
    healthResponse(503, 'payments', '`fail`.'),
    DENIED,
    errorResponse(404, 'No group of that name.'),
  ],
  params: [{ name: 'group', required: true, schema: { type: 'string' } }],
  queries: [VERBOSE, EXCLUDE],
};

const ANY_GROUP_CHECK_ROUTE: Route = {
  summary: 'One check of a health group',
  description: 'Its own status decides, critical or not. Internal callers only by default.',
  operationId: 'health.group.check',
  responses: [
    healthResponse(200, 'database', 'The check passes or warns.'),
    healthResponse(503, 'database', 'The check fails.'),
    DENIED,
    errorResponse(404, 'No group of that name, or the group has no check of that name.'),
  ],
  params: [{ name: 'group', required: true, schema: { type: 'string' } }, nameParam('the group')],
  queries: [VERBOSE],
};

/** Marks a controller whose routes are documented: a definition's routes are documented once. */
const DOCUMENTED = Symbol('nestjs-probes:documented');

/**
 * @internal Documents the routes of `controller` for `SwaggerModule.createDocument()`, from the
 * probes' table, when `@nestjs/swagger` is installed; when it is not (or `load` rejects), does
 * nothing. The metrics route is hidden while metrics are off, since it answers 404 then. A
 * controller is documented once: its routes are those of its module definition, whichever
 * application resolves its options first.
 */
export async function documentHealthRoutes(
  controller: Type<unknown>,
  probes: readonly ProbeDefinition[],
  options: { metrics: boolean },
  load: SwaggerLoader = loadSwagger,
): Promise<void> {
  if (Reflect.hasOwnMetadata(DOCUMENTED, controller)) return;
  let swagger: unknown;
  try {
    swagger = await load();
  } catch {
    return;
  }
  if (!isSwagger(swagger) || Reflect.hasOwnMetadata(DOCUMENTED, controller)) return;
  Reflect.defineMetadata(DOCUMENTED, true, controller);
  const { ApiTags, ApiOperation, ApiResponse, ApiParam, ApiQuery, ApiExcludeEndpoint } = swagger;

  ApiTags('health')(controller);
  const proto = controller.prototype as object;
  const routes: [string, Route][] = [
    ['metrics', METRICS_ROUTE],
    [ANY_GROUP_KEY, ANY_GROUP_ROUTE],
    [ANY_GROUP_CHECK_KEY, ANY_GROUP_CHECK_ROUTE],
  ];
  for (const probe of probes) {
    routes.push([probeRouteKey(probe), probeRoute(probe)]);
    if (probe.answersPerCheck) routes.push([checkRouteKey(probe), checkRoute(probe)]);
  }
  // A page for people, not an API.
  for (const [method] of STATUS_ROUTES) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, method);
    if (typeof descriptor?.value === 'function') ApiExcludeEndpoint()(proto, method, descriptor);
  }
  for (const [method, route] of routes) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, method);
    if (typeof descriptor?.value !== 'function') continue;
    const apply = (decorator: SwaggerDecorator) => decorator(proto, method, descriptor);
    if (method === 'metrics' && !options.metrics) {
      apply(ApiExcludeEndpoint());
      continue;
    }
    const { summary, description, operationId } = route;
    apply(ApiOperation({ summary, description, operationId }));
    // Copies: the decorators keep (and Nest's explorer may extend) what they are given.
    for (const response of route.responses) apply(ApiResponse(structuredClone(response)));
    for (const param of route.params ?? []) apply(ApiParam(structuredClone(param)));
    for (const query of route.queries ?? []) apply(ApiQuery(structuredClone(query)));
  }
}
