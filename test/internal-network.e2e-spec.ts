import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { OutgoingHttpHeaders } from 'node:http';
import type { HealthModuleOptions } from '../lib/index.js';
import { ADAPTERS, createTestApp, type AdapterName } from './support/app.js';
import { listen, rawGet } from './support/http.js';

/**
 * Who is internal, decided over real sockets: the socket peer is a chosen loopback address, so
 * the options below carve loopback into internal, external and trusted-proxy addresses.
 * A decision is observed on the internal-only deep route: 200 (internal) or 403 (external).
 */
const GROUPS = {
  defaults: {},
  onlyOne: { internalNetworks: ['127.0.0.1/32', '::1/128'] },
  trustedProxies: {
    internalNetworks: ['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8'],
    trustProxy: ['127.0.0.5/32', '127.0.0.6/32'],
  },
  oneHop: {
    internalNetworks: ['127.0.0.1/32', '::1/128', '10.0.0.0/8', '192.168.0.0/16', 'fe80::/10'],
    trustProxy: 1,
  },
  twoHops: { internalNetworks: ['127.0.0.1/32', '10.0.0.0/8'], trustProxy: 2 },
} satisfies Record<string, HealthModuleOptions>;

type Group = keyof typeof GROUPS;
type Case = [
  description: string,
  group: Group,
  from: string,
  headers: OutgoingHttpHeaders,
  internal: boolean,
];
const XFF = 'x-forwarded-for';

const CASES: Case[] = [
  ['loopback peer', 'defaults', '127.0.0.1', {}, true],
  ['another loopback peer', 'defaults', '127.0.0.2', {}, true],
  ['the last loopback address', 'defaults', '127.255.255.254', {}, true],
  ['IPv6 loopback peer', 'defaults', '::1', {}, true],
  ['XFF while no proxy is trusted', 'defaults', '127.0.0.1', { [XFF]: '10.0.0.1' }, false],
  [
    'Forwarded while no proxy is trusted',
    'defaults',
    '127.0.0.1',
    { forwarded: 'for=127.0.0.1' },
    false,
  ],
  ['XFF from an IPv6 peer, no proxy trusted', 'defaults', '::1', { [XFF]: '::1' }, false],
  ['an empty XFF, no proxy trusted', 'defaults', '127.0.0.1', { [XFF]: '' }, false],
  // nginx with only `proxy_set_header X-Real-IP $remote_addr`: every caller arrives from the
  // proxy's internal address; the header says it relays someone, so the caller is external.
  ...(
    [
      'x-real-ip',
      'true-client-ip',
      'cf-connecting-ip',
      'x-client-ip',
      'fastly-client-ip',
      'x-cluster-client-ip',
    ] as const
  ).map((header): Case => [
    `${header} while no proxy is trusted`,
    'defaults',
    '127.0.0.1',
    { [header]: '10.0.0.9' },
    false,
  ]),
  [
    'a trusted proxy that sends only X-Real-IP',
    'trustedProxies',
    '127.0.0.5',
    { 'x-real-ip': '10.1.2.3' },
    false,
  ],
  [
    'a trusted proxy that sends X-Real-IP and XFF (ingress-nginx): XFF decides',
    'trustedProxies',
    '127.0.0.5',
    { 'x-real-ip': '10.1.2.3', [XFF]: '10.1.2.3' },
    true,
  ],
  [
    'X-Real-IP next to a trusted XFF cannot make an external client internal',
    'trustedProxies',
    '127.0.0.5',
    { 'x-real-ip': '10.1.2.3', [XFF]: '203.0.113.9' },
    false,
  ],
  [
    'X-Forwarded-Host alone changes nothing',
    'defaults',
    '127.0.0.1',
    { 'x-forwarded-host': 'example.com' },
    true,
  ],
  ['the one internal address', 'onlyOne', '127.0.0.1', {}, true],
  ['a loopback address outside internalNetworks', 'onlyOne', '127.0.0.2', {}, false],
  ['IPv6 loopback listed', 'onlyOne', '::1', {}, true],
  ['spoof: XFF naming an internal address', 'onlyOne', '127.0.0.2', { [XFF]: '127.0.0.1' }, false],
  [
    'spoof: Forwarded naming an internal address',
    'onlyOne',
    '127.0.0.2',
    { forwarded: 'for=127.0.0.1' },
    false,
  ],
  [
    'a trusted proxy reports an internal client',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '10.1.2.3' },
    true,
  ],
  [
    'a trusted proxy reports an external client',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '203.0.113.9' },
    false,
  ],
  [
    'spoof: internal address prepended',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '10.0.0.1, 203.0.113.9' },
    false,
  ],
  [
    'walks past a second trusted proxy',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '203.0.113.9, 127.0.0.6' },
    false,
  ],
  [
    'walks past to an internal client',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '10.0.0.1, 127.0.0.6' },
    true,
  ],
  ['an untrusted peer relaying', 'trustedProxies', '127.0.0.7', { [XFF]: '10.0.0.1' }, false],
  [
    'an internal but untrusted peer relaying',
    'trustedProxies',
    '127.0.0.1',
    { [XFF]: '10.0.0.1' },
    false,
  ],
  ['an internal peer without headers', 'trustedProxies', '127.0.0.1', {}, true],
  ['a trusted proxy itself, not internal', 'trustedProxies', '127.0.0.5', {}, false],
  [
    'Forwarded with quoted IPv6 and port',
    'trustedProxies',
    '127.0.0.5',
    { forwarded: 'for="[fd00::1]:4711"' },
    true,
  ],
  ['Forwarded for=_hidden', 'trustedProxies', '127.0.0.5', { forwarded: 'for=_hidden' }, false],
  ['Forwarded for=unknown', 'trustedProxies', '127.0.0.5', { forwarded: 'for=unknown' }, false],
  ['malformed Forwarded', 'trustedProxies', '127.0.0.5', { forwarded: 'for="10.0.0.1' }, false],
  ['IPv4-mapped client', 'trustedProxies', '127.0.0.5', { [XFF]: '::ffff:10.9.8.7' }, true],
  ['garbage client', 'trustedProxies', '127.0.0.5', { [XFF]: 'garbage' }, false],
  [
    'both headers agreeing',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '10.0.0.1', forwarded: 'for=10.0.0.1' },
    true,
  ],
  [
    'spoof: a forged Forwarded passed through',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '203.0.113.9', forwarded: 'for=10.0.0.1' },
    false,
  ],
  ['IPv4 client with a port', 'trustedProxies', '127.0.0.5', { [XFF]: '10.0.0.1:5555' }, true],
  [
    'bracketed IPv6 client with a port',
    'trustedProxies',
    '127.0.0.5',
    { [XFF]: '[fd00::2]:80' },
    true,
  ],
  ['an internal peer without headers, one hop', 'oneHop', '127.0.0.1', {}, true],
  ['an external peer is no proxy, one hop', 'oneHop', '127.0.0.2', { [XFF]: '10.0.0.1' }, false],
  ['one hop reports an internal client', 'oneHop', '127.0.0.1', { [XFF]: '10.0.0.1' }, true],
  ['spoof: prepended, one hop', 'oneHop', '127.0.0.1', { [XFF]: '10.0.0.1, 203.0.113.9' }, false],
  [
    'one hop reads the rightmost entry',
    'oneHop',
    '127.0.0.1',
    { [XFF]: '203.0.113.9, 192.168.1.1' },
    true,
  ],
  ['link-local client with a zone id', 'oneHop', '::1', { [XFF]: 'fe80::1%eth0' }, true],
  [
    'XFF sent as two header lines',
    'oneHop',
    '127.0.0.1',
    { [XFF]: ['203.0.113.9', '10.0.0.1'] },
    true,
  ],
  [
    'two hops read the second from the right',
    'twoHops',
    '127.0.0.1',
    { [XFF]: '10.0.0.1, 203.0.113.9' },
    true,
  ],
  ['two hops, external client', 'twoHops', '127.0.0.1', { [XFF]: '203.0.113.9, 10.0.0.1' }, false],
  ['two hops, a chain too short to trust', 'twoHops', '127.0.0.1', { [XFF]: '10.0.0.1' }, false],
  [
    'spoof: prepended, two hops',
    'twoHops',
    '127.0.0.1',
    { [XFF]: '10.0.0.1, 203.0.113.9, 10.0.0.2' },
    false,
  ],
];

describe.each(ADAPTERS)('who is internal, on %s', (adapter: AdapterName) => {
  const apps = new Map<Group, { app: INestApplication; port: number }>();

  beforeAll(async () => {
    for (const [group, options] of Object.entries(GROUPS) as [Group, HealthModuleOptions][]) {
      const app = await createTestApp({ adapter, health: options });
      apps.set(group, { app, port: await listen(app) });
    }
  });

  afterAll(async () => {
    for (const { app } of apps.values()) await app.close();
  });

  it(`decides at least 40 cases`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s (%s, from %s)', async (_, group, from, headers, internal) => {
    const { port } = apps.get(group)!;
    const response = await rawGet(port, { path: '/health/deep', from, headers });
    expect(response.status).toBe(internal ? 200 : 403);
  });
});
