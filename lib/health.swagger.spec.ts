import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import { documentHealthRoutes } from './health.swagger.js';

/** A controller shaped like the health controller, with some of its handlers. */
function bareController() {
  @Controller('health')
  class Bare {
    @Get('live')
    live(@Req() _request: unknown, @Res() _response: unknown) {}

    @Get('ready')
    ready(@Req() _request: unknown, @Res() _response: unknown) {}

    @Get('ready/:name')
    readyOne(@Req() _request: unknown, @Res() _response: unknown, @Param('name') _name: string) {}

    @Get('metrics')
    metrics(@Req() _request: unknown, @Res() _response: unknown) {}

    /** Not a route of the health controller: left alone. */
    helper() {}
  }
  return Bare;
}

type Bare = ReturnType<typeof bareController>;

/** What `import('@nestjs/swagger')` does where it is not installed. */
const notInstalled = () =>
  Promise.reject(
    Object.assign(new Error("Cannot find package '@nestjs/swagger'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
  );

function metadata(key: string, controller: Bare, method?: keyof InstanceType<Bare>): unknown {
  const target = method ? controller.prototype[method] : controller;
  return Reflect.getMetadata(key, target);
}

describe('documentHealthRoutes', () => {
  it('tags the controller and documents each handler it has', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, { metrics: false });

    expect(metadata(DECORATORS.API_TAGS, Bare)).toEqual(['health']);
    expect(metadata(DECORATORS.API_OPERATION, Bare, 'ready')).toMatchObject({
      summary: expect.stringContaining('Readiness'),
      description: expect.any(String),
    });
    const ready = metadata(DECORATORS.API_RESPONSE, Bare, 'ready') as Record<string, unknown>;
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
    expect(metadata(DECORATORS.API_PARAMETERS, Bare, 'ready')).toEqual([
      expect.objectContaining({ name: 'verbose', in: 'query' }),
      expect.objectContaining({ name: 'exclude', in: 'query', explode: true }),
    ]);

    const one = metadata(DECORATORS.API_RESPONSE, Bare, 'readyOne') as Record<string, unknown>;
    expect(Object.keys(one).toSorted()).toEqual(['200', '403', '404', '503']);
    expect(metadata(DECORATORS.API_PARAMETERS, Bare, 'readyOne')).toContainEqual(
      expect.objectContaining({ name: 'name', in: 'path', required: true }),
    );

    const live = metadata(DECORATORS.API_RESPONSE, Bare, 'live') as Record<string, unknown>;
    expect(Object.keys(live)).toEqual(['200']);
    expect(metadata(DECORATORS.API_OPERATION, Bare, 'helper')).toBeUndefined();
  });

  it('hides the metrics route while metrics are off', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, { metrics: false });
    expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, 'metrics')).toEqual({ disable: true });
    expect(metadata(DECORATORS.API_RESPONSE, Bare, 'metrics')).toBeUndefined();
  });

  it('documents the metrics route, in text, when metrics are on', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, { metrics: true });
    expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, 'metrics')).toBeUndefined();
    expect(metadata(DECORATORS.API_RESPONSE, Bare, 'metrics')).toMatchObject({
      200: { content: { 'text/plain': { schema: { type: 'string' } } } },
      403: expect.any(Object),
    });
  });

  it('gives every route schemas of its own', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, { metrics: false });
    const schemaOf = (method: 'live' | 'ready') => {
      const responses = metadata(DECORATORS.API_RESPONSE, Bare, method) as Record<
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
      documentHealthRoutes(Bare, { metrics: true }, notInstalled),
    ).resolves.toBeUndefined();
    expect(metadata(DECORATORS.API_TAGS, Bare)).toBeUndefined();
    for (const method of ['live', 'ready', 'readyOne', 'metrics'] as const) {
      expect(metadata(DECORATORS.API_RESPONSE, Bare, method)).toBeUndefined();
      expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, method)).toBeUndefined();
    }
  });

  it('does nothing with a module that lacks the decorators it uses', async () => {
    const Bare = bareController();
    await documentHealthRoutes(Bare, { metrics: false }, () =>
      Promise.resolve({ ApiTags: () => () => undefined }),
    );
    expect(metadata(DECORATORS.API_TAGS, Bare)).toBeUndefined();
    expect(metadata(DECORATORS.API_EXCLUDE_ENDPOINT, Bare, 'metrics')).toBeUndefined();
  });
});
