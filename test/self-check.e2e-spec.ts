import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import request from 'supertest';
import { HealthIndicator, HealthService, type HealthCheck } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { defineIndicator, delay } from './support/indicators.js';

/**
 * Indicators that read probes through `HealthService.check()`: one that reads a probe or group
 * including itself would wait for its own result. Each such check fails (at once, or at its
 * timeout), and the app answers as before.
 */

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const Database = defineIndicator({ name: 'database' });

/** An indicator in `ready` whose check() reads `probe` through HealthService, as `read` says. */
function reader(
  name: string,
  read: (health: HealthService) => Promise<unknown>,
): Type<HealthCheck> {
  @HealthIndicator({ name, timeoutMs: 300 })
  @Injectable()
  class Reader implements HealthCheck {
    constructor(private readonly health: HealthService) {}
    async check() {
      await read(this.health);
    }
  }
  return Reader;
}

async function start(...providers: Type<unknown>[]) {
  app = await createTestApp({ providers: [Database, ...providers], health: { cacheTtlMs: 0 } });
  return request(app.getHttpServer());
}

const SELF = (name: string) =>
  `check() read a probe or group that includes "${name}" itself, which cannot wait for its own result; leave it out: HealthService.check(probe, { exclude: ['${name}'] })`;

describe('an indicator that reads probes through HealthService.check()', () => {
  it.each([
    ['deep (a summary of every check)', 'deep'],
    ['ready, its own probe', 'ready'],
  ])('fails at once when it reads %s, and the app keeps answering', async (_, probe) => {
    const http = await start(reader('summary', (health) => health.check(probe)));
    for (let round = 0; round < 3; round++) {
      const ready = await http.get('/health/ready').expect(503);
      expect(ready.body.checks['summary:responseTime'][0]).toMatchObject({
        status: 'fail',
        output: SELF('summary'),
      });
      expect(ready.body.checks['database:responseTime'][0]).toMatchObject({ status: 'pass' });
      await http.get('/health/live').expect(200);
    }
    const deep = await http.get('/health/deep').expect(503);
    expect(deep.body.checks['summary:responseTime'][0].output).toBe(SELF('summary'));
  });

  it('fails at once when two indicators read each other’s probes in a circle', async () => {
    const http = await start(
      reader('summary', (health) => health.check('deep', { exclude: ['summary'] })),
      reader('gate', (health) => health.check('ready', { exclude: ['gate'] })),
    );
    // summary -> deep -> gate -> ready -> summary: the circle ends where it began.
    const ready = await http.get('/health/ready').expect(503);
    expect(ready.body.output).toMatch(/includes "(summary|gate)" itself/);
    await http.get('/health/live').expect(200);
  });

  it('times out when it reads a probe including it after an await', async () => {
    const http = await start(
      reader('summary', async (health) => {
        await delay(5);
        return health.check('deep');
      }),
    );
    const began = Date.now();
    const ready = await http.get('/health/ready').expect(503);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(ready.body.checks['summary:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: 'timed out after 300 ms',
    });
    await http.get('/health/live').expect(200);
    await http.get('/health/ready').expect(503);
  });

  it('passes when it leaves itself out of the probe it reads', async () => {
    const http = await start(
      reader('summary', async (health) => {
        const deep = await health.check('deep', { exclude: ['summary'] });
        if (deep.status === 'fail') throw new Error('deep fails');
      }),
    );
    const ready = await http.get('/health/ready').expect(200);
    expect(ready.body.checks['summary:responseTime'][0]).toMatchObject({ status: 'pass' });
  });
});
