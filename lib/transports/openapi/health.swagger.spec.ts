import { describe, expect, it } from '@jest/globals';
import { DECORATORS } from '@nestjs/swagger';
import {
  checkRouteKey,
  createHealthController,
  defineProbeRoutes,
  probeRouteKey,
} from '../http/health.controller.js';
import { documentHealthRoutes } from './health.swagger.js';
import { groupDefinition, PROBES } from '../../core/probe.definitions.js';

/** The health controller with the routes of the probes' table, as the module builds it. */
function bareController() {
  const controller = createHealthController();
  defineProbeRoutes(controller, PROBES);
  return controller;
}

type Bare = ReturnType<typeof bareController>;
const routeKey = (name: string) => probeRouteKey(PROBES.find((probe) => probe.name === name)!);
const checkKey = (name: string) => checkRouteKey(PROBES.find((probe) => probe.name === name)!);

/** What `import('@nestjs/swagger')` does where it is not installed. */
const notInstalled = () =>
  Promise.reject(
    Object.assign(new Error("Cannot find package '@nestjs/swagger'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
  );

function metadata(key: string, controller: Bare, method?: string): unknown {
  const target = method
    ? (controller.prototype as Record<string, object>)[method]
    : (controller as object);
  return Reflect.getMetadata(key, target);
}

describe('documentHealthRoutes', () => {
  it('tags the controller and documents each handler it has', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, PROBES, { metrics: false });

    expect(metadata(DECORATORS.API_TAGS, Bare)).toEqual(['health']);
    expect(metadata(DECORATORS.API_OPERATION, Bare, routeKey('ready'))).toMatchObject({
      summary: expect.stringContaining('Readiness'),
      description: expect.any(String),
    });
    const ready = metadata(DECORATORS.API_RESPONSE, Bare, routeKey('ready')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(ready).toSorted()).toEqual(['200', '503']);
    expect(ready['503']).toMatchObject({
      content: {
        'application/health+json': {
          schema: {
            type: 'object',
            required: ['status'],
            properties: { status: { enum: ['pass', 'warn', 'fail'] } },
          },
        },
        'text/plain': { schema: { type: 'string' } },
      },
    });
    expect(metadata(DECORATORS.API_PARAMETERS, Bare, routeKey('ready'))).toEqual([
      expect.objectContaining({ name: 'verbose', in: 'query' }),
      expect.objectContaining({ name: 'exclude', in: 'query', explode: true }),
    ]);

    const one = metadata(DECORATORS.API_RESPONSE, Bare, checkKey('ready')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(one).toSorted()).toEqual(['200', '403', '404', '503']);
    expect(metadata(DECORATORS.API_PARAMETERS, Bare, checkKey('ready'))).toContainEqual(
      expect.objectContaining({ name: 'name', in: 'path', required: true }),
    );

    const live = metadata(DECORATORS.API_RESPONSE, Bare, routeKey('live')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(live)).toEqual(['200']);
    expect(metadata(DECORATORS.API_OPERATION, Bare, 'serveProbe')).toBeUndefined();
  });

  it('hides the metrics route while metrics are off', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, PROBES, { metrics: false });
    expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, 'metrics')).toEqual({ disable: true });
    expect(metadata(DECORATORS.API_RESPONSE, Bare, 'metrics')).toBeUndefined();
  });

  it('documents the metrics route, in text, when metrics are on', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, PROBES, { metrics: true });
    expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, 'metrics')).toBeUndefined();
    expect(metadata(DECORATORS.API_RESPONSE, Bare, 'metrics')).toMatchObject({
      200: { content: { 'text/plain': { schema: { type: 'string' } } } },
      403: expect.any(Object),
    });
  });

  it('gives every route schemas of its own', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, PROBES, { metrics: false });
    const schemaOf = (method: 'live' | 'ready') => {
      const responses = metadata(DECORATORS.API_RESPONSE, Bare, routeKey(method)) as Record<
        string,
        { content: Record<string, { schema: object }> }
      >;
      return responses['200'].content['application/health+json'].schema;
    };
    expect(schemaOf('live')).toEqual(schemaOf('ready'));
    expect(schemaOf('live')).not.toBe(schemaOf('ready'));
  });

  it('does nothing, and does not fail, when @nestjs/swagger is not installed', async () => {
    const Bare = bareController();
    await expect(
      documentHealthRoutes(Bare, PROBES, { metrics: true }, notInstalled),
    ).resolves.toBeUndefined();
    expect(metadata(DECORATORS.API_TAGS, Bare)).toBeUndefined();
    for (const method of [routeKey('live'), routeKey('ready'), checkKey('ready'), 'metrics']) {
      expect(metadata(DECORATORS.API_RESPONSE, Bare, method)).toBeUndefined();
      expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, method)).toBeUndefined();
    }
  });

  it('does nothing with a module that lacks the decorators it uses', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, PROBES, { metrics: false }, () =>
      Promise.resolve({ ApiTags: () => () => undefined }),
    );
    expect(metadata(DECORATORS.API_TAGS, Bare)).toBeUndefined();
    expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, 'metrics')).toBeUndefined();
  });

  it('documents each group of the table, and its checks, like a probe', async () => {
    const controller = createHealthController();
    const group = groupDefinition('payments', {
      include: ['stripe', 'database'],
      access: 'internal',
    });
    defineProbeRoutes(controller, [...PROBES, group]);
    await documentHealthRoutes(controller, [...PROBES, group], { metrics: false });
    expect(metadata(DECORATORS.API_OPERATION, controller, probeRouteKey(group))).toMatchObject({
      summary: 'Health group "payments"',
      operationId: 'health.payments',
      description: expect.stringContaining('stripe, database'),
    });
    const responses = metadata(DECORATORS.API_RESPONSE, controller, probeRouteKey(group));
    expect(Object.keys(responses as object).toSorted()).toEqual(['200', '403', '503']);
    const one = metadata(DECORATORS.API_RESPONSE, controller, checkRouteKey(group));
    expect(Object.keys(one as object).toSorted()).toEqual(['200', '403', '404', '503']);
  });
});
