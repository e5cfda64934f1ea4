import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { ADAPTERS, createTestApp, type AdapterName, type TestAppOptions } from './support/app.js';
import { defineIndicator } from './support/indicators.js';

/** One sample of the Prometheus text exposition format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Record<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string | undefined, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === undefined || text === '' || Number.isNaN(value)) {
    throw new Error(`Bad sample value in: ${line}`);
  }
  return value;
}

/** Parses the Prometheus text format (0.0.4): `name{label="value",...} value [timestamp]`. */
function parseExposition(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: {} };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, family, type] = line.split(/\s+/);
      if (keyword === 'TYPE' && family && type) exposition.types[family] = type;
      continue;
    }
    const name = METRIC_NAME.exec(line)?.[0];
    if (!name) throw new Error(`Not a sample: ${line}`);
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const label = LABEL_NAME.exec(line.slice(i))?.[0];
        if (!label || line.slice(i + label.length, i + label.length + 2) !== '="') {
          throw new Error(`Bad label at ${i} in: ${line}`);
        }
        i += label.length + 2;
        let value = '';
        for (; line[i] !== '"'; i++) {
          if (i >= line.length) throw new Error(`Unterminated label value in: ${line}`);
          if (line[i] === '\\') {
            const escaped = line[++i];
            value += escaped === 'n' ? '\n' : escaped;
          } else {
            value += line[i];
          }
        }
        labels[label] = value;
        i++;
        if (line[i] === ',') i++;
        else if (line[i] !== '}') throw new Error(`Expected "," or "}" at ${i} in: ${line}`);
      }
      i++;
    }
    const [value] = line.slice(i).trim().split(/\s+/);
    exposition.samples.push({ name, labels, value: parseValue(value, line) });
  }
  return exposition;
}

/** The value of the one sample with that name and (at least) those labels. */
function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}) {
  const found = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1) {
    throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)}`);
  }
  return found[0]!.value;
}

describe('the exposition parser of this suite', () => {
  it('reads names, escaped label values and special values, and skips comments', () => {
    const { samples, types } = parseExposition(
      [
        '# HELP a_total Runs.',
        '# TYPE a_total counter',
        'a_total{check="say \\"hi\\"",path="C:\\\\tmp",text="two\\nlines"} 3',
        'b 1.5e-3 1700000000000',
        'c_bucket{le="+Inf"} +Inf',
        '',
      ].join('\n'),
    );
    expect(types).toEqual({ a_total: 'counter' });
    expect(samples).toEqual([
      {
        name: 'a_total',
        labels: { check: 'say "hi"', path: 'C:\\tmp', text: 'two\nlines' },
        value: 3,
      },
      { name: 'b', labels: {}, value: 0.0015 },
      { name: 'c_bucket', labels: { le: '+Inf' }, value: Infinity },
    ]);
    expect(() => parseExposition('x{a="1} 2')).toThrow('Unterminated');
    expect(() => parseExposition('x{a=1} 2')).toThrow('Bad label');
    expect(() => parseExposition('x oops')).toThrow('Bad sample value');
  });
});

/** GET /health/metrics: 200 in the registry's content type, parsed. */
async function scrape(http: ReturnType<typeof request>, registry: Registry) {
  const response = await http.get('/health/metrics');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe(registry.contentType);
  return parseExposition(response.text);
}

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const down = () => {
  throw new Error('connection refused');
};

describe.each(ADAPTERS)('GET /health/metrics, on %s', (adapter: AdapterName) => {
  async function start(options: TestAppOptions = {}) {
    const registry = new Registry();
    app = await createTestApp({
      adapter,
      ...options,
      health: { metrics: { registry }, ...options.health },
      providers: options.providers ?? [
        defineIndicator({ name: 'db' }, down),
        defineIndicator({ name: 'cache', critical: false }),
      ],
    });
    return { http: request(app.getHttpServer()), registry };
  }

  it('answers 200 in the registry content type, even while the application is unhealthy', async () => {
    const { http, registry } = await start();
    await http.get('/health/ready').expect(503);
    const { types } = await scrape(http, registry);
    expect(types).toMatchObject({
      health_check_status: 'gauge',
      health_check_duration_seconds: 'histogram',
      health_check_runs_total: 'counter',
      health_probe_status: 'gauge',
    });
  });

  it('shows the checks and the probe of the last ready probe', async () => {
    const { http, registry } = await start();
    await http.get('/health/ready').expect(503);
    const metrics = await scrape(http, registry);
    const status = (check: string, value: string) =>
      valueOf(metrics, 'health_check_status', { check, status: value });
    expect([status('db', 'pass'), status('db', 'warn'), status('db', 'fail')]).toEqual([0, 0, 1]);
    expect([status('cache', 'pass'), status('cache', 'fail')]).toEqual([1, 0]);
    expect(
      valueOf(metrics, 'health_check_runs_total', { check: 'db', result: 'fail' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(metrics, 'health_check_runs_total', { check: 'db', result: 'pass' })).toBe(0);
    const count = valueOf(metrics, 'health_check_duration_seconds_count', { check: 'db' });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(metrics, 'health_check_duration_seconds_bucket', { check: 'db', le: '+Inf' }),
    ).toBe(count);
    const probe = (value: string) =>
      valueOf(metrics, 'health_probe_status', { probe: 'ready', status: value });
    expect([probe('pass'), probe('warn'), probe('fail')]).toEqual([0, 0, 1]);
  });

  it('has the series of every check at 0 before its first run', async () => {
    const { http, registry } = await start();
    const metrics = await scrape(http, registry);
    for (const status of ['pass', 'warn', 'fail']) {
      expect(valueOf(metrics, 'health_check_status', { check: 'db', status })).toBe(0);
      expect(valueOf(metrics, 'health_check_runs_total', { check: 'db', result: status })).toBe(0);
    }
    expect(valueOf(metrics, 'health_check_duration_seconds_count', { check: 'db' })).toBe(0);
    expect(metrics.samples.filter((s) => s.name === 'health_probe_status')).toEqual([]);
  });

  it('refuses an external caller with 403', async () => {
    const { http } = await start({ health: { internalNetworks: ['10.0.0.0/8'] } });
    const response = await http.get('/health/metrics');
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('health_check');
  });

  it('leaves the registry empty once the application has closed', async () => {
    const { registry } = await start();
    expect(registry.getMetricsAsArray()).toHaveLength(4);
    await app!.close();
    app = undefined;
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
