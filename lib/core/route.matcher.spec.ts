import { describe, expect, it } from '@jest/globals';
import {
  matchRoute,
  PLAIN_ROUTES,
  RouteMatcher,
  type RouteMatch,
  type RouteSettings,
} from './route.matcher.js';

const table = {
  probes: new Map([
    ['live', false],
    ['ready', true],
    ['payments', true],
  ]),
  metrics: true,
  status: true,
};
const EXPRESS: RouteSettings = {
  adapter: 'express',
  prefix: ['health'],
  caseSensitive: false,
  strictSlash: false,
};
const FASTIFY: RouteSettings = {
  adapter: 'fastify',
  prefix: ['health'],
  caseSensitive: true,
  strictSlash: true,
  maxParamLength: 100,
};
const PLAIN: RouteSettings = { ...PLAIN_ROUTES, prefix: ['health'] };

const ready: RouteMatch = { kind: 'probe', probe: 'ready' };
const db: RouteMatch = { kind: 'check', probe: 'ready', check: 'db' };
const missing: RouteMatch = { kind: 'not-found' };
const page: RouteMatch = { kind: 'status', part: 'page' };
const events: RouteMatch = { kind: 'status', part: 'events' };
const status = (code: number) => expect.objectContaining({ kind: 'refused', statusCode: code });

/*
 * What Nest 12 answers on each adapter with its default settings, observed on real apps (the
 * end-to-end suite compares both ports path by path): the probe server must say the same.
 */
const CASES: [string, RouteMatch | ReturnType<typeof status>, unknown, unknown][] = [
  // target, Express, Fastify, no adapter
  ['/health/ready', ready, ready, ready],
  ['/health/ready/', ready, missing, missing],
  ['/HEALTH/READY', ready, missing, missing],
  ['/health/%72eady', missing, ready, ready],
  ['/heal%74h/ready', missing, ready, missing],
  ['/health/ready/%ZZ', status(400), status(400), missing],
  ['/health/%ZZ', missing, status(400), missing],
  ['/x/%ZZ', missing, status(400), missing],
  ['http://host/health/ready', ready, ready, ready],
  ['/health//ready', missing, missing, missing],
  ['/health/ready?x=%ZZ', ready, ready, ready],
  ['/health/ready#x', ready, ready, ready],
  ['/health/ready/db', db, db, db],
  ['/health/ready/d%62', db, db, db],
  ['/health/ready/db/', db, missing, missing],
  ['/health/READY/db', db, missing, missing],
  ['/health/ready/db/x', missing, missing, missing],
  ['/health/ready//', missing, missing, missing],
  ['/health/./ready', missing, missing, missing],
  ['/health/ready%2F', missing, missing, missing],
  ['/health/ready;x', missing, missing, missing],
  [
    '/health/ready/db%2Fx',
    { ...db, check: 'db/x' },
    { ...db, check: 'db/x' },
    { ...db, check: 'db/x' },
  ],
  ['/health/ready/%25', { ...db, check: '%' }, { ...db, check: '%' }, { ...db, check: '%' }],
  [
    '/health/ready/a%20b',
    { ...db, check: 'a b' },
    { ...db, check: 'a b' },
    { ...db, check: 'a b' },
  ],
  [
    '/health/ready/' + 'x'.repeat(101),
    expect.objectContaining({ kind: 'check' }),
    status(414),
    expect.objectContaining({ kind: 'check' }),
  ],
  ['/health/live/db', missing, missing, missing],
  ['/health/metrics', { kind: 'metrics' }, { kind: 'metrics' }, { kind: 'metrics' }],
  ['/health/status', page, page, page],
  ['/health/status/', page, missing, missing],
  ['/HEALTH/Status', page, missing, missing],
  ['/health/st%61tus', missing, page, page],
  ['/health/status/events', events, events, events],
  ['/health/status/events/', events, missing, missing],
  ['/health/status/EVENTS', events, missing, missing],
  ['/health/status/%65vents', missing, events, events],
  ['/health/status/x', missing, missing, missing],
  ['/health/status/events/x', missing, missing, missing],
  ['/health', missing, missing, missing],
  ['/health/', missing, missing, missing],
  ['/ready', missing, missing, missing],
];

describe('matchRoute', () => {
  it.each(CASES)('%s', (target, express, fastify, plain) => {
    expect(matchRoute(target, EXPRESS, table)).toEqual(express);
    expect(matchRoute(target, FASTIFY, table)).toEqual(fastify);
    expect(matchRoute(target, PLAIN, table)).toEqual(plain);
  });

  it("answers a malformed encoding with each adapter's own body", () => {
    expect(matchRoute('/health/ready/%ZZ', EXPRESS, table)).toEqual({
      kind: 'refused',
      statusCode: 400,
      body: '{"message":"Failed to decode param \'%ZZ\'","error":"Bad Request","statusCode":400}',
    });
    expect(matchRoute('/health/%ZZ?a=1', FASTIFY, table)).toEqual({
      kind: 'refused',
      statusCode: 400,
      body: '{"statusCode":400,"code":"FST_ERR_BAD_URL","error":"Bad Request","message":"\'/health/%ZZ?a=1\' is not a valid url component"}',
    });
  });

  it("follows the adapter's settings: case, trailing slash, the global prefix", () => {
    const strict = { ...EXPRESS, caseSensitive: true, strictSlash: true };
    expect(matchRoute('/HEALTH/READY', strict, table)).toEqual(missing);
    expect(matchRoute('/health/ready/', strict, table)).toEqual(missing);
    const lenient = { ...FASTIFY, caseSensitive: false, strictSlash: false };
    expect(matchRoute('/Health/Ready/', lenient, table)).toEqual(ready);
    const prefixed = { ...EXPRESS, prefix: ['api', 'internal', 'health'] };
    expect(matchRoute('/api/internal/health/payments', prefixed, table)).toEqual({
      kind: 'probe',
      probe: 'payments',
    });
    expect(matchRoute('/health/payments', prefixed, table)).toEqual(missing);
    expect(matchRoute('/ready', { ...EXPRESS, prefix: [] }, table)).toEqual(ready);
  });

  it.each([EXPRESS, FASTIFY, PLAIN])(
    'answers from its map of the written paths as in full (%o)',
    (settings) => {
      const matcher = new RouteMatcher(settings, table);
      for (const [target] of CASES) {
        expect(matcher.match(target)).toEqual(matchRoute(target, settings, table));
      }
    },
  );

  it('serves metrics only while they are on', () => {
    expect(matchRoute('/health/metrics', EXPRESS, { ...table, metrics: false })).toEqual(missing);
  });

  it('serves the status page only while it is on', () => {
    for (const target of ['/health/status', '/health/status/events']) {
      expect(matchRoute(target, EXPRESS, { ...table, status: false })).toEqual(missing);
    }
  });
});
