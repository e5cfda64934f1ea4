import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HealthService } from '../lib/index.js';
import { createTestApp, type TestAppOptions } from './support/app.js';
import { defineIndicator } from './support/indicators.js';
import {
  FAKE_PIECES,
  FAKE_VALUE,
  SECRET_NAMES,
  TOKEN_SAMPLES,
  URL_SAMPLES,
} from './support/secrets.js';

let app: INestApplication | undefined;

async function start(options: TestAppOptions) {
  app = await createTestApp(options);
  return request(app.getHttpServer());
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const leaky = () => [
  defineIndicator({ name: 'postgres' }, () => {
    throw new Error('connect to postgres://orders:hunter2@10.3.0.5:5432/orders failed');
  }),
  defineIndicator({ name: 'redis', critical: false }, () =>
    Promise.reject(new Error('NOAUTH for redis://:s3cr3t-pw@10.3.0.7:6379 (password=s3cr3t-pw)')),
  ),
  defineIndicator({ name: 'payments', critical: false }, () => ({
    status: 'warn',
    output: 'upstream said 401 to Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig',
    details: {
      url: 'https://svc:apitoken123@payments.internal/v1',
      apiKey: 'AKIAIOSFODNN7EXAMPLE',
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
      retries: 2,
    },
  })),
];

const SECRETS = [
  'hunter2',
  's3cr3t-pw',
  'eyJhbGciOiJIUzI1NiJ9',
  'apitoken123',
  'AKIAIOSFODNN7EXAMPLE',
  'dXNlcjpwYXNz',
];

describe('nothing secret leaves the process', () => {
  it('redacts check outputs, the summary and details on every route', async () => {
    const http = await start({ providers: leaky() });
    for (const path of ['/health/ready', '/health/deep']) {
      const { text, body } = await http.get(path).expect(503);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(body.checks['postgres:responseTime'][0].output).toBe(
        'connect to postgres://orders:***@10.3.0.5:5432/orders failed',
      );
      expect(body.checks['redis:responseTime'][0].output).toBe(
        'NOAUTH for redis://:***@10.3.0.7:6379 (password=***)',
      );
      expect(body.checks['payments:responseTime'][0].details).toEqual({
        url: 'https://svc:***@payments.internal/v1',
        apiKey: '***',
        headers: { authorization: '***' },
        retries: 2,
      });
      expect(body.output).toContain('postgres://orders:***@');
    }
  });

  it('redacts before caching: what HealthService hands out is already clean', async () => {
    await start({ providers: leaky() });
    const report = JSON.stringify(await app!.get(HealthService).check('ready'));
    for (const secret of SECRETS) expect(report).not.toContain(secret);
  });

  it('serialises no stack trace and no error object', async () => {
    const error = Object.assign(new Error('boom'), {
      config: { password: 'x' },
      response: { data: 'secret body' },
    });
    const http = await start({
      providers: [defineIndicator({ name: 'client' }, () => Promise.reject(error))],
    });
    const { text, body } = await http.get('/health/ready').expect(503);
    expect(body.checks['client:responseTime'][0].output).toBe('boom');
    expect(text).not.toMatch(/\n\s+at |secret body|"config"|"stack"/);
  });

  it('applies the rules of the user in addition to the built-in ones', async () => {
    const http = await start({
      health: { redact: [/\bcust-\d{6}\b/, { pattern: /tenant=\w+/, replacement: 'tenant=?' }] },
      providers: [
        defineIndicator({ name: 'billing' }, () => {
          throw new Error('cust-123456 of tenant=acme rejected password=pw1');
        }),
      ],
    });
    const { body } = await http.get('/health/ready').expect(503);
    expect(body.checks['billing:responseTime'][0].output).toBe(
      '*** of tenant=? rejected password=***',
    );
  });

  it('serves huge details at once, without charging the time to the other checks', async () => {
    const { readFile } = await import('node:fs/promises');
    const http = await start({
      providers: [
        // Within the documented bounds: 200 strings of 4 KiB, the shape that used to cost seconds.
        defineIndicator({ name: 'verbose', critical: false }, () => ({
          details: { lines: Array.from({ length: 200 }, () => 'a-'.repeat(2048)) },
        })),
        defineIndicator({ name: 'database', timeoutMs: 300 }, () =>
          readFile(new URL(import.meta.url)).then(() => undefined),
        ),
      ],
    });
    const [ready, live] = await Promise.all([
      http.get('/health/ready').expect(200),
      http.get('/health/live').expect(200),
    ]);
    expect(live.body.status).toBe('pass');
    expect(ready.body.status).toBe('pass');
    expect(ready.body.checks['database:responseTime'][0].status).toBe('pass');
    const lines = ready.body.checks['verbose:responseTime'][0].details.lines as string[];
    // What one result may cost is bounded: past the budget, strings are not read at all.
    expect(lines).toContain('[truncated]');
    expect(lines.at(-1)).toBe('[150 more]');
  });

  it('warns at start-up about a rule of the user whose cost grows faster than its input', async () => {
    const warnings: string[] = [];
    const logger = {
      log: () => undefined,
      error: () => undefined,
      warn: (m: string) => warnings.push(m),
    };
    await start({ health: { logger, redact: [/(x+x+)+y/, /\bcust-\d{6}\b/] } });
    expect(warnings.filter((w) => w.includes('option "redact"'))).toEqual([
      'HealthModule option "redact": the rule /(x+x+)+y/ takes much longer than its input on short repetitive texts (catastrophic backtracking): on a long output it could stall the event loop. Make its quantified parts unambiguous (no nested or adjacent quantifiers over the same characters), or anchor it.',
    ]);
  });

  it('masks every secret shape in outputs and details: JSON, ?verbose and the check routes', async () => {
    // One shape per indicator: an output is bounded to 512 characters, and must keep them all.
    const outputs = [
      ...[...TOKEN_SAMPLES, ...URL_SAMPLES].map(({ text }) => text),
      ...SECRET_NAMES.map((n) => `rejected: ${n}=${FAKE_VALUE}; ${n}: ${FAKE_VALUE}`),
      ...SECRET_NAMES.map((n) => `upstream said {"error":"bad","${n}":"${FAKE_VALUE}"}`),
    ];
    const names = outputs.map((_, i) => `leak-${i}`);
    const http = await start({
      providers: outputs.map((output, i) =>
        defineIndicator({ name: names[i], critical: false }, () => ({
          status: 'warn',
          output,
          details: {
            note: output,
            ...Object.fromEntries(SECRET_NAMES.map((name) => [name, FAKE_VALUE])),
            nested: { list: [output], primaryKey: 'id' },
          },
        })),
      ),
    });
    const deep = await http.get('/health/deep').expect(200);
    expect(deep.text).not.toMatch(FAKE_PIECES);
    for (const name of names) {
      const [check] = deep.body.checks[`${name}:responseTime`];
      expect(check.output).toContain('***');
      expect(check.details.nested.primaryKey).toBe('id');
      for (const key of SECRET_NAMES) expect(check.details[key]).toBe('***');
    }
    const verbose = await http.get('/health/deep?verbose').expect(200);
    expect(verbose.text).toContain(`[+]${names[0]} warn: upstream rejected *** (attempt 2)`);
    expect(verbose.text).not.toMatch(FAKE_PIECES);
    for (const name of names) {
      for (const path of [`/health/ready/${name}`, `/health/deep/${name}?verbose`]) {
        const { text } = await http.get(path).expect(200);
        expect(text).toContain('***');
        expect(text).not.toMatch(FAKE_PIECES);
      }
    }
  });
});
