import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { HealthService, type HealthModuleOptions } from '../lib/index.js';
import {
  ADAPTERS,
  createTestApp,
  startUpFailure,
  type AdapterName,
  type TestAppOptions,
} from './support/app.js';
import { defineIndicator, delay } from './support/indicators.js';

/** Loopback is internal by default; these options make it external, as the internet would be. */
const AS_EXTERNAL: HealthModuleOptions = { internalNetworks: ['10.0.0.0/8'] };

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const refused = () => {
  throw new Error('connection refused');
};

/** stripe (critical) and database pass, cache (non-critical) fails, rabbitmq is toggled. */
function indicators(state = { rabbitmq: true }) {
  return [
    defineIndicator({ name: 'stripe' }),
    defineIndicator({ name: 'database', componentType: 'datastore' }),
    defineIndicator({ name: 'cache', critical: false }, refused),
    defineIndicator({ name: 'rabbitmq', cacheTtlMs: 0 }, () => {
      if (!state.rabbitmq) throw new Error('channel closed');
    }),
  ];
}

const GROUPS: HealthModuleOptions['groups'] = {
  payments: { include: ['stripe', 'database'] },
  degraded: { include: ['database', 'cache'] },
  brokers: { include: ['rabbitmq'], access: 'internal' },
};

describe.each(ADAPTERS)('health groups (%s)', (adapter: AdapterName) => {
  async function start(options: TestAppOptions = {}) {
    app = await createTestApp({ adapter, providers: indicators(), ...options });
    return request(app.getHttpServer());
  }

  it('answers for the checks of a group, and only those', async () => {
    const http = await start({ health: { groups: GROUPS } });
    const { body, headers } = await http.get('/health/payments').expect(200);
    expect(headers['content-type']).toMatch(/^application\/health\+json/);
    expect(headers['cache-control']).toBe('no-store');
    expect(body.status).toBe('pass');
    expect(Object.keys(body.checks)).toEqual(['stripe:responseTime', 'database:responseTime']);
  });

  it('fails on a failing critical check (503), degrades on a failing non-critical one (200 warn)', async () => {
    const state = { rabbitmq: false };
    const http = await start({ providers: indicators(state), health: { groups: GROUPS } });
    const brokers = await http.get('/health/brokers').expect(503);
    expect(brokers.body).toMatchObject({ status: 'fail', output: 'rabbitmq: channel closed' });
    const degraded = await http.get('/health/degraded').expect(200);
    expect(degraded.body).toMatchObject({ status: 'warn', output: 'cache: connection refused' });
    state.rabbitmq = true;
    await http.get('/health/brokers').expect(200);
  });

  it('reads like a probe: ?verbose, Accept: text/plain, ?exclude', async () => {
    const http = await start({ health: { groups: GROUPS } });
    const text = await http.get('/health/degraded?verbose').expect(200);
    expect(text.text).toBe(
      '[+]database ok\n[-]cache failed: connection refused\ndegraded check passed (degraded)\n',
    );
    const accepted = await http.get('/health/payments').set('Accept', 'text/plain').expect(200);
    expect(accepted.text).toBe('[+]stripe ok\n[+]database ok\npayments check passed\n');
    const excluded = await http.get('/health/degraded?exclude=cache&exclude=stripe').expect(200);
    expect(excluded.body.status).toBe('pass');
    expect(Object.keys(excluded.body.checks)).toEqual(['database:responseTime']);
    expect(excluded.body.notes).toEqual(['exclude: no check named "stripe" in this probe']);
  });

  it('answers for one of its checks, and 404 for a check outside it', async () => {
    const http = await start({ health: { groups: GROUPS } });
    const one = await http.get('/health/degraded/cache').expect(503);
    expect(Object.keys(one.body.checks)).toEqual(['cache:responseTime']);
    await http.get('/health/payments/stripe').expect(200);
    const outside = await http.get('/health/payments/cache').expect(404);
    expect(outside.body).toEqual({
      message: 'Cannot GET /health/payments/cache',
      error: 'Not Found',
      statusCode: 404,
    });
    await http.get('/health/nothing').expect(404);
  });

  it('gives an external caller the status of a status group, and 403 on an internal one', async () => {
    const http = await start({
      health: {
        ...AS_EXTERNAL,
        groups: { ...GROUPS, open: { include: ['cache'], access: 'public' } },
      },
    });
    const payments = await http.get('/health/payments?verbose').expect(200);
    expect(payments.text).toBe('{"status":"pass"}');
    await http.get('/health/brokers').expect(403);
    await http.get('/health/payments/stripe').expect(403);
    const open = await http.get('/health/open').expect(200);
    expect(open.body.checks['cache:responseTime'][0].output).toBe('connection refused');
    await http.get('/health/open/cache').expect(503);
  });

  it("tells what its checks say whatever the lifecycle, unless it opts into readiness' gates", async () => {
    const http = await start({
      health: {
        groups: {
          payments: { include: ['stripe'] },
          gated: { include: ['stripe'], readinessGates: true },
        },
      },
    });
    const health = app!.get(HealthService);
    health.markNotReady('maintenance');
    await http.get('/health/payments').expect(200);
    const gated = await http.get('/health/gated').expect(503);
    expect(gated.body).toMatchObject({ status: 'fail', output: 'maintenance' });
    health.markReady();
    await http.get('/health/gated').expect(200);
  });

  it("answers 503 starting while start-up has not completed, when it opts into readiness' gates", async () => {
    let warm = false;
    const http = await start({
      providers: [
        ...indicators(),
        defineIndicator({ name: 'warmup', probes: ['startup'], cacheTtlMs: 0 }, () => {
          if (!warm) throw new Error('loading');
        }),
      ],
      health: {
        groups: {
          payments: { include: ['stripe'] },
          gated: { include: ['stripe'], readinessGates: true },
        },
      },
    });
    await http.get('/health/payments').expect(200);
    const gated = await http.get('/health/gated').expect(503);
    expect(gated.body).toMatchObject({ status: 'fail', output: 'starting' });
    warm = true;
    await http.get('/health/gated').expect(200);
  });

  it('returns the report of a group from HealthService.check(), as the route serves it', async () => {
    const http = await start({ health: { groups: GROUPS } });
    const report = await app!.get(HealthService).check('degraded');
    const { body } = await http.get('/health/degraded');
    expect({ ...report, checks: undefined }).toEqual({ ...body, checks: undefined });
    expect(Object.keys(report.checks ?? {})).toEqual(Object.keys(body.checks));
    await expect(app!.get(HealthService).check('nope')).rejects.toThrow(
      'Unknown probe or group "nope": use "live", "ready", "startup", "deep", "payments", "degraded", "brokers".',
    );
  });

  it('counts in the probe status gauge', async () => {
    const registry = new Registry();
    const http = await start({ health: { groups: GROUPS, metrics: { registry } } });
    await http.get('/health/degraded').expect(200);
    const text = await registry.metrics();
    expect(text).toContain('health_probe_status{probe="degraded",status="warn"} 1');
  });
});

describe('?exclude', () => {
  it('does not run the checks it leaves out', async () => {
    const slow = defineIndicator({ name: 'slow', timeoutMs: 3000, cacheTtlMs: 0 }, (signal) =>
      delay(2000, signal),
    );
    app = await createTestApp({ providers: [slow, defineIndicator({ name: 'fast' })] });
    const instance = app.get(slow);
    const http = request(app.getHttpServer());
    const started = performance.now();
    const { body } = await http.get('/health/ready?exclude=slow').expect(200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(Object.keys(body.checks)).toEqual(['fast:responseTime']);
    expect(instance.runs).toBe(0);
    await app.get(HealthService).check('deep', { exclude: ['slow'] });
    expect(instance.runs).toBe(0);
  });
});

/** Boots an app with these groups, which must fail to start, and returns why. */
const failure = (groups: unknown) =>
  startUpFailure(() =>
    createTestApp({ providers: indicators(), health: { groups } as HealthModuleOptions }),
  );

describe('groups that cannot work stop start-up, saying what to change', () => {
  it.each(['live', 'ready', 'startup', 'deep', 'metrics', 'status'])(
    'a group named %j',
    async (name) => {
      expect(await failure({ [name]: { include: ['stripe'] } })).toBe(
        `HealthModule option "groups name" is "${name}"; it must be a name of 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit, other than "live", "ready", "startup", "deep", "metrics", "status" (the module's own routes).`,
      );
    },
  );

  it.each([
    ['a bad name', { 'pay ments': { include: ['stripe'] } }, /"groups name" is "pay ments"/],
    [
      'an empty include',
      { payments: { include: [] } },
      /"groups.payments.include" is an array of 0 items; it must be a non-empty array of check names/,
    ],
    [
      'no include',
      { payments: {} },
      /"groups.payments.include" is undefined; it must be a non-empty array of check names/,
    ],
    [
      'an include that is not a name',
      { payments: { include: ['stripe', 42] } },
      /"groups.payments.include\[1\]" is number 42/,
    ],
    [
      'an unknown key',
      { payments: { include: ['stripe'], critical: true } },
      /"groups.payments" has no key "critical". Known keys: "include", "access", "readinessGates"/,
    ],
    [
      'a bad access',
      { payments: { include: ['stripe'], access: 'private' } },
      /"groups.payments.access" is "private"; it must be 'public', 'status' or 'internal'/,
    ],
  ])('%s', async (_, groups, message) => {
    expect(await failure(groups)).toMatch(message);
  });

  it('an include that names no indicator of the application', async () => {
    expect(await failure({ payments: { include: ['stripe', 'strpe'] } })).toBe(
      'Health group "payments" includes "strpe", which is not a health indicator of this application (its indicators: "stripe", "database", "cache", "rabbitmq"). Fix the name in groups.payments.include, or provide the indicator.',
    );
  });
});
