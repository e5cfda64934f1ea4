import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import request from 'supertest';
import { parse } from 'yaml';
import { createTestApp } from './support/app.js';
import { parseExposition, type Exposition } from './support/exposition.js';
import { defineIndicator } from './support/indicators.js';
import { expectPromtoolAccepts, promtool } from './support/promtool.js';
import { describeWithBinary } from './support/servers.js';

/**
 * The alerting rules the package ships (prometheus/nestjs-probes.rules.yml), checked by Prometheus'
 * own tool: valid, their unit tests pass (series in, alerts out), and every series they name is
 * one a real application serves.
 */

const RULES = fileURLToPath(new URL('../prometheus/nestjs-probes.rules.yml', import.meta.url));
const TESTS = fileURLToPath(new URL('./prometheus/nestjs-probes.rules.test.yml', import.meta.url));
/** Labels Prometheus adds to every series it scrapes (target labels), not the application. */
const TARGET_LABELS = new Set(['namespace', 'job', 'instance']);

interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

/** Every expression of the rules file. */
function expressions(): string[] {
  const { groups } = parse(readFileSync(RULES, 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  return groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

/** The series selectors of an expression (`health_x{label="v"}`), and the labels it groups by. */
function selectorsOf(expr: string): { selectors: Selector[]; grouped: string[] } {
  const selectors = [...expr.matchAll(/\b(health_\w+)\s*(?:\{([^}]*)\})?/g)].map(([, name, m]) => ({
    name: name!,
    matchers: [...(m ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(
      ([, label, op, value]) => ({ label: label!, op: op!, value: value! }),
    ),
  }));
  const grouped = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap(([, labels]) =>
    labels!.split(',').map((label) => label.trim()),
  );
  return { selectors, grouped };
}

/** Whether a sample's label matches, as PromQL matches it (regular expressions are anchored). */
function matches(value: string | undefined, op: string, wanted: string): boolean {
  const actual = value ?? '';
  if (op === '=') return actual === wanted;
  if (op === '!=') return actual !== wanted;
  const found = new RegExp(`^(?:${wanted})$`).test(actual);
  return op === '=~' ? found : !found;
}

describeWithBinary('promtool', 'the alerting rules the package ships', () => {
  let app: INestApplication | undefined;
  let scrape = '';
  let exposition: Exposition;

  beforeAll(async () => {
    app = await createTestApp({
      health: { metrics: { registry: new Registry() }, logger: false },
      providers: [
        defineIndicator({ name: 'db' }, () => {
          throw new Error('connection refused');
        }),
        defineIndicator({ name: 'cache', critical: false }),
      ],
    });
    const http = request(app.getHttpServer());
    await http.get('/health/ready').expect(503);
    scrape = (await http.get('/health/metrics').expect(200)).text;
    exposition = parseExposition(scrape);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('are valid rules for promtool', async () => {
    const { status, output } = await promtool(['check', 'rules', RULES]);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('pass their unit tests: each alert fires when it should, and only then', async () => {
    const { status, output } = await promtool(['test', 'rules', TESTS]);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('name only series a real application serves, with the labels they match on', () => {
    const all = expressions().map(selectorsOf);
    expect(all.flatMap(({ selectors }) => selectors).length).toBeGreaterThanOrEqual(6);
    for (const { selectors, grouped } of all) {
      for (const { name, matchers } of selectors) {
        const found = exposition.samples.filter(
          (sample) =>
            sample.name === name &&
            matchers.every(({ label, op, value }) => matches(sample.labels[label], op, value)),
        );
        expect([name, matchers, found.length > 0]).toEqual([name, matchers, true]);
        for (const label of grouped.filter((by) => !TARGET_LABELS.has(by))) {
          expect([name, label, found.every((s) => label in s.labels)]).toEqual([name, label, true]);
        }
      }
    }
  });

  it('read a scrape that promtool accepts', async () => {
    await expectPromtoolAccepts(scrape);
  });
});
