import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import request from 'supertest';
import { ADAPTERS, createTestApp, type AdapterName, type TestAppOptions } from './support/app.js';
import { defineIndicator } from './support/indicators.js';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

interface MediaType {
  schema?: { type?: string; required?: string[]; properties?: Record<string, SchemaLike> };
}
interface SchemaLike {
  type?: string;
  enum?: string[];
  format?: string;
  oneOf?: SchemaLike[];
  additionalProperties?: SchemaLike | boolean;
  items?: SchemaLike & { properties?: Record<string, SchemaLike> };
}

const PROBES = ['live', 'ready', 'startup', 'deep', 'ready/{name}', 'deep/{name}'] as const;

function get(document: OpenAPIObject, path: string): Operation {
  const operation = document.paths[path]?.get;
  if (!operation) {
    throw new Error(`No GET ${path} in ${Object.keys(document.paths).join(', ')}`);
  }
  return operation;
}

function content(operation: Operation, status: string, type: string): MediaType {
  const response = operation.responses[status] as { content?: Record<string, MediaType> };
  const media = response?.content?.[type];
  if (!media) throw new Error(`No ${type} in the ${status} response`);
  return media;
}

describe.each(ADAPTERS)('OpenAPI document of the probes (%s)', (adapter: AdapterName) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function documentOf(
    health: TestAppOptions['health'],
    prefix?: string,
  ): Promise<OpenAPIObject> {
    app = await createTestApp({
      adapter,
      health,
      providers: [
        defineIndicator({ name: 'database', componentType: 'datastore' }),
        defineIndicator({ name: 'warmup', probes: ['startup'] }),
      ],
      init: false,
    });
    if (prefix) app.setGlobalPrefix(prefix);
    await app.init();
    if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
    return SwaggerModule.createDocument(app, new DocumentBuilder().build());
  }

  it('documents every probe route, tagged health, with its parameters', async () => {
    const document = await documentOf({ path: 'health', metrics: false });
    for (const probe of PROBES) {
      const operation = get(document, `/health/${probe}`);
      expect(operation.tags).toEqual(['health']);
      expect(operation.summary).toEqual(expect.any(String));
      expect(operation.responses['200']).toBeDefined();
    }
    for (const probe of ['ready/{name}', 'deep/{name}']) {
      const parameters = get(document, `/health/${probe}`).parameters as {
        name: string;
        in: string;
        required?: boolean;
      }[];
      expect(parameters).toContainEqual(
        expect.objectContaining({ name: 'name', in: 'path', required: true }),
      );
      expect(parameters.filter((parameter) => parameter.name === 'name')).toHaveLength(1);
    }
    const readyParameters = get(document, '/health/ready').parameters;
    expect(readyParameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'verbose', in: 'query', required: false }),
        expect.objectContaining({
          name: 'exclude',
          in: 'query',
          required: false,
          explode: true,
          schema: { type: 'array', items: { type: 'string' } },
        }),
      ]),
    );
    // The handlers' @Req()/@Res() are not parameters of the API.
    expect(get(document, '/health/live').parameters).toEqual([
      expect.objectContaining({ name: 'verbose' }),
    ]);
  });

  it('documents the health+json body and the status codes of each route', async () => {
    const document = await documentOf({ path: 'health', metrics: false });
    const ready = get(document, '/health/ready');
    expect(Object.keys(ready.responses).toSorted()).toEqual(['200', '503']);
    for (const status of ['200', '503']) {
      const { schema } = content(ready, status, 'application/health+json');
      expect(schema?.type).toBe('object');
      expect(schema?.required).toEqual(['status']);
      expect(schema?.properties?.status?.enum).toEqual(['pass', 'warn', 'fail']);
      const checks = schema?.properties?.checks?.additionalProperties as SchemaLike;
      expect(checks.type).toBe('array');
      expect(Object.keys(checks.items?.properties ?? {})).toEqual([
        'componentId',
        'componentType',
        'status',
        'observedValue',
        'observedUnit',
        'time',
        'autoDiscovered',
        'output',
        'details',
      ]);
      expect(checks.items?.properties?.time?.format).toBe('date-time');
      expect(checks.items?.properties?.observedValue?.oneOf).toHaveLength(3);
      expect(content(ready, status, 'text/plain').schema?.type).toBe('string');
    }

    expect(Object.keys(get(document, '/health/live').responses)).toEqual(['200']);
    expect(Object.keys(get(document, '/health/startup').responses).toSorted()).toEqual([
      '200',
      '503',
    ]);
    expect(Object.keys(get(document, '/health/deep').responses).toSorted()).toEqual([
      '200',
      '403',
      '503',
    ]);
    for (const one of ['/health/ready/{name}', '/health/deep/{name}']) {
      expect(Object.keys(get(document, one).responses).toSorted()).toEqual([
        '200',
        '403',
        '404',
        '503',
      ]);
      expect(content(get(document, one), '404', 'application/json').schema?.type).toBe('object');
    }
  });

  it('leaves the metrics route out while metrics are off', async () => {
    const document = await documentOf({ path: 'health', metrics: false });
    expect(document.paths['/health/metrics']).toBeUndefined();
  });

  it('leaves the status page out: a page for people, not an API', async () => {
    const document = await documentOf({ path: 'health', statusPage: true });
    expect(Object.keys(document.paths).filter((path) => path.includes('status'))).toEqual([]);
    expect(document.paths['/health/ready']).toBeDefined();
  });

  it('documents the metrics route, in text, when metrics are on', async () => {
    const document = await documentOf({ path: 'health', metrics: { registry: new Registry() } });
    const metrics = get(document, '/health/metrics');
    expect(metrics.tags).toEqual(['health']);
    expect(content(metrics, '200', 'text/plain').schema?.type).toBe('string');
    expect(metrics.responses['403']).toBeDefined();
  });

  it('follows the path option', async () => {
    const document = await documentOf({ path: 'internal/health', metrics: false });
    for (const probe of PROBES) get(document, `/internal/health/${probe}`);
    expect(Object.keys(document.paths).some((path) => path.startsWith('/health/'))).toBe(false);
  });

  it('follows the global prefix, as the routes do', async () => {
    const document = await documentOf({ path: 'health', metrics: false }, 'api');
    for (const probe of PROBES) get(document, `/api/health/${probe}`);
    // The document says where the routes really are.
    await request(app!.getHttpServer()).get('/api/health/live').expect(200);
  });

  it('leaves the answers unchanged', async () => {
    await documentOf({ path: 'health', metrics: false });
    const response = await request(app!.getHttpServer()).get('/health/ready').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(response.body).toMatchObject({ status: 'pass' });
  });
});
