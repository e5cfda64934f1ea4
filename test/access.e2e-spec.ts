import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Module,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  HealthModule,
  InternalNetworkGuard,
  type HealthModuleOptions,
  type HttpRequest,
} from '../lib/index.js';
import { ADAPTERS, createTestApp, type AdapterName, type TestAppOptions } from './support/app.js';
import { listen, rawGet, type RawResponse } from './support/http.js';
import { defineIndicator } from './support/indicators.js';

/** Loopback is internal by default; these options make it external, as the internet would be. */
const AS_EXTERNAL: HealthModuleOptions = { internalNetworks: ['10.0.0.0/8'] };

/** A passing critical indicator and a failing non-critical one. */
const indicators = () => [
  defineIndicator({ name: 'db', componentType: 'datastore' }),
  defineIndicator({ name: 'cache', critical: false }, () => {
    throw new Error('connection refused to 10.3.0.7:6379');
  }),
];

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

function headerOf(response: RawResponse, name: string) {
  return response.headers[name];
}

describe.each(ADAPTERS)('what each caller sees, on %s', (adapter: AdapterName) => {
  async function start(options: TestAppOptions) {
    app = await createTestApp({ adapter, ...options });
    const port = await listen(app);
    return (path: string, headers = {}) => rawGet(port, { path, headers });
  }

  it('gives an internal caller every detail on every route', async () => {
    const get = await start({ providers: indicators(), health: { version: '1.0.0' } });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'warn',
      version: '1.0.0',
      output: expect.any(String),
    });
    expect(Object.keys((ready.body as { checks: object }).checks)).toHaveLength(2);
    expect((await get('/health/startup')).body).toMatchObject({ status: 'pass', version: '1.0.0' });
    const deep = await get('/health/deep');
    expect(deep.status).toBe(200);
    expect((deep.body as { checks: object }).checks).toHaveProperty(['process:uptime']);
  });

  it('gives an external caller live whole, the status alone on ready and startup, and 403 on deep', async () => {
    const get = await start({
      providers: indicators(),
      health: { ...AS_EXTERNAL, version: '1.0.0' },
    });
    const live = await get('/health/live');
    expect([live.status, live.body]).toEqual([200, { status: 'pass', version: '1.0.0' }]);
    const ready = await get('/health/ready');
    expect([ready.status, ready.text]).toEqual([200, '{"status":"warn"}']);
    expect(headerOf(ready, 'content-type')).toMatch(/^application\/health\+json/);
    expect(headerOf(ready, 'cache-control')).toBe('no-store');
    const startup = await get('/health/startup');
    expect([startup.status, startup.text]).toEqual([200, '{"status":"pass"}']);
    const deep = await get('/health/deep');
    expect([deep.status, deep.body]).toEqual([403, { message: 'Forbidden', statusCode: 403 }]);
    expect(headerOf(deep, 'cache-control')).toBe('no-store');
    expect(deep.text).not.toMatch(/db|cache|process/);
  });

  it('keeps the status code of a failing probe for an external caller', async () => {
    const get = await start({
      providers: [defineIndicator({ name: 'db' }, () => Promise.reject(new Error('down')))],
      health: AS_EXTERNAL,
    });
    const ready = await get('/health/ready');
    expect([ready.status, ready.text]).toEqual([503, '{"status":"fail"}']);
  });

  it('treats a caller whose request carries forwarding headers as external by default', async () => {
    const get = await start({ providers: indicators() });
    const ready = await get('/health/ready', { 'x-forwarded-for': '127.0.0.1' });
    expect(ready.text).toBe('{"status":"warn"}');
    expect((await get('/health/deep', { forwarded: 'for=127.0.0.1' })).status).toBe(403);
  });

  it('can hide deep behind a 404 identical to an unknown route', async () => {
    const get = await start({ health: { ...AS_EXTERNAL, deniedStatus: 404 } });
    const deep = await get('/health/deep');
    const unknown = await get('/health/nothing-here');
    expect(deep.status).toBe(404);
    for (const header of ['content-type', 'cache-control']) {
      expect(headerOf(deep, header)).toBe(headerOf(unknown, header));
    }
    expect(deep.body).toEqual({
      ...(unknown.body as object),
      message: 'Cannot GET /health/deep',
    });
  });

  it.each([
    [{ deep: 'status' }, '/health/deep', 200, '{"status":"pass"}'],
    [{ ready: 'internal' }, '/health/ready', 403, undefined],
    [{ live: 'internal' }, '/health/live', 403, undefined],
    [{ startup: 'internal' }, '/health/startup', 403, undefined],
  ] as const)(
    'lets the access of each route be changed: %j',
    async (access, path, status, text) => {
      const get = await start({ health: { ...AS_EXTERNAL, access } });
      const response = await get(path);
      expect(response.status).toBe(status);
      if (text) expect(response.text).toBe(text);
    },
  );

  it('serves ready whole to everyone when made public', async () => {
    const get = await start({
      providers: indicators(),
      health: { ...AS_EXTERNAL, access: { ready: 'public' } },
    });
    expect((await get('/health/ready')).body).toHaveProperty('checks');
  });

  describe('on the application’s own routes', () => {
    @Controller('admin')
    @UseGuards(InternalNetworkGuard)
    class AdminController {
      @Get('stats')
      stats() {
        return { orders: 3 };
      }
    }

    it('admits internal callers with @UseGuards(InternalNetworkGuard)', async () => {
      const get = await start({ controllers: [AdminController] });
      const response = await get('/admin/stats');
      expect([response.status, response.body]).toEqual([200, { orders: 3 }]);
    });

    it('refuses external callers with 403', async () => {
      const get = await start({ controllers: [AdminController], health: AS_EXTERNAL });
      expect((await get('/admin/stats')).status).toBe(403);
      expect((await get('/admin/stats', { 'x-forwarded-for': '10.0.0.1' })).status).toBe(403);
    });
  });

  describe('a subclass of the guard', () => {
    /** Admits a caller with the right token too, as a user would for an uptime monitor. */
    @Injectable()
    class TokenGuard extends InternalNetworkGuard {
      override async admits(request: HttpRequest) {
        const raw = 'raw' in request ? request.raw : request;
        return (await super.admits(request)) || raw.headers['x-health-token'] === 's3cret';
      }
    }

    it('decides for the probe routes through the guard option', async () => {
      const get = await start({ health: { ...AS_EXTERNAL, guard: TokenGuard } });
      expect((await get('/health/deep')).status).toBe(403);
      expect((await get('/health/deep', { 'x-health-token': 'wrong' })).status).toBe(403);
      expect((await get('/health/deep', { 'x-health-token': 's3cret' })).status).toBe(200);
    });

    it('decides for the application’s routes with @UseGuards', async () => {
      @Controller('admin')
      @UseGuards(TokenGuard)
      class AdminController {
        @Get()
        index() {
          return { ok: true };
        }
      }
      const get = await start({ controllers: [AdminController], health: AS_EXTERNAL });
      expect((await get('/admin')).status).toBe(403);
      expect((await get('/admin', { 'x-health-token': 's3cret' })).status).toBe(200);
    });

    it('can override the protected hooks, for example where the client address comes from', async () => {
      @Injectable()
      class MeshGuard extends InternalNetworkGuard {
        protected override getClientAddress(request: HttpRequest) {
          const raw = 'raw' in request ? request.raw : request;
          return String(raw.headers['x-mesh-client'] ?? '');
        }
      }
      const get = await start({ health: { ...AS_EXTERNAL, guard: MeshGuard } });
      expect((await get('/health/deep', { 'x-mesh-client': '10.1.1.1' })).status).toBe(200);
      expect((await get('/health/deep', { 'x-mesh-client': '8.8.8.8' })).status).toBe(403);
    });

    it('fails closed when an override answers with anything but true, even a foreign thenable', async () => {
      @Injectable()
      class SloppyGuard extends InternalNetworkGuard {
        override admits(): boolean {
          // A "promise" from another library or realm, resolving to a truthy non-boolean.
          // oxlint-disable-next-line unicorn/no-thenable -- the point of the test
          return { then: (resolve: (v: unknown) => void) => resolve('yes') } as unknown as boolean;
        }
      }
      const get = await start({ health: { guard: SloppyGuard }, controllers: [] });
      expect((await get('/health/deep')).status).toBe(403);
      expect((await get('/health/ready')).text).toBe('{"status":"pass"}');
    });

    it('answers 403, never a 500, when an overridden denial() throws', async () => {
      @Injectable()
      class BrokenDenial extends InternalNetworkGuard {
        override denial(): never {
          throw new Error('oops');
        }
      }
      const get = await start({ health: { ...AS_EXTERNAL, guard: BrokenDenial } });
      expect((await get('/health/deep')).status).toBe(403);
    });

    it('treats the caller as external, never a 500, when an override throws', async () => {
      @Injectable()
      class BrokenGuard extends InternalNetworkGuard {
        override admits(): boolean {
          throw new Error('token store unreachable');
        }
      }
      const get = await start({ health: { guard: BrokenGuard } });
      expect((await get('/health/ready')).text).toBe('{"status":"pass"}');
      expect((await get('/health/deep')).status).toBe(403);
    });
  });
});

describe('security options at start-up', () => {
  it.each([
    [
      { internalNetworks: ['10.0.0.0/8', '192.168.0.0/33'] },
      'option "internalNetworks" holds "192.168.0.0/33", which is not a CIDR',
    ],
    [
      { trustProxy: ['10.0.0.0/8', 'lb.internal'] },
      'option "trustProxy" holds "lb.internal", which is not a CIDR',
    ],
    [
      { trustProxy: true },
      'option "trustProxy" is boolean true; it must be false, a number of trusted proxy hops',
    ],
    [
      { access: { deep: 'private' } },
      `option "access.deep" is "private"; it must be 'public', 'status' or 'internal'`,
    ],
    [{ deniedStatus: 401 }, 'option "deniedStatus" is number 401; it must be 403 or 404'],
    [
      { guard: Date },
      'option "guard" is a function; it must be InternalNetworkGuard or a class that extends it',
    ],
    [{ redact: ['password'] }, 'option "redact[0]" is "password"; it must be a RegExp or'],
  ])('stops start-up on %j', async (options, message) => {
    @Module({ imports: [HealthModule.forRoot(options as HealthModuleOptions)] })
    class AppModule {}
    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
      message,
    );
  });
});
