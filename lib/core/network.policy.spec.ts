import { describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { normalizeAddress, parseForwarded, parseXForwardedFor } from './client-address.js';
import { NetworkPolicy, RELAY_HEADERS, type TrustProxy } from './network.policy.js';

describe('normalizeAddress', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['  10.1.2.3 ', '10.1.2.3'],
    ['10.1.2.3:8080', '10.1.2.3'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['[2001:db8::1]:4711', '2001:db8::1'],
    ['"[2001:db8::1]:4711"', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.1.2.3'],
    ['::ffff:a01:203', '10.1.2.3'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]:80', 'fe80::1'],
    ['_hidden', undefined],
    ['unknown', undefined],
    ['', undefined],
    ['10.1.2', undefined],
    ['999.1.2.3', undefined],
    ['10.1.2.3.4', undefined],
    ['[10.1.2.3', undefined],
    ['example.com', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected);
  });
});

describe('parseXForwardedFor', () => {
  it('reads the chain left to right', () => {
    expect(parseXForwardedFor('203.0.113.9, 10.0.0.5')).toEqual(['203.0.113.9', '10.0.0.5']);
  });
  it('keeps unparseable entries as holes, and rejects empty ones', () => {
    expect(parseXForwardedFor('garbage, 10.0.0.5')).toEqual([undefined, '10.0.0.5']);
    expect(parseXForwardedFor('10.0.0.5,,10.0.0.6')).toBeUndefined();
    expect(parseXForwardedFor('')).toBeUndefined();
  });
});

describe('parseForwarded', () => {
  it.each([
    ['for=192.0.2.60;proto=http;by=203.0.113.43', ['192.0.2.60']],
    ['for="[2001:db8:cafe::17]:4711"', ['2001:db8:cafe::17']],
    ['For="[2001:db8::1]", for=10.0.0.1', ['2001:db8::1', '10.0.0.1']],
    ['for=_hidden, for=10.0.0.1', [undefined, '10.0.0.1']],
    ['for=unknown', [undefined]],
    ['proto=https', [undefined]],
    ['for="10.0.0.1;x"', [undefined]],
  ])('reads %j', (header, expected) => {
    expect(parseForwarded(header)).toEqual(expected);
  });
  it.each(['for="10.0.0.1', 'for=10.0.0.1;;', 'for', 'for=1.2.3.4;for=5.6.7.8', ',', 'for=a b'])(
    'rejects the malformed %j as a whole',
    (header) => {
      expect(parseForwarded(header)).toBeUndefined();
    },
  );
});

interface Case {
  peer: string | undefined;
  headers?: IncomingHttpHeaders;
  trustProxy?: TrustProxy;
  internalNetworks?: string[];
  internal: boolean;
}

// Synthetic peers, which loopback sockets cannot produce; the HTTP table (test/) covers real sockets.
const cases: [string, Case][] = [
  ['loopback IPv4', { peer: '127.0.0.1', internal: true }],
  ['loopback IPv6', { peer: '::1', internal: true }],
  ['RFC 1918 10/8', { peer: '10.244.1.7', internal: true }],
  ['RFC 1918 172.16/12', { peer: '172.31.255.1', internal: true }],
  ['just outside 172.16/12', { peer: '172.32.0.1', internal: false }],
  ['RFC 1918 192.168/16', { peer: '192.168.1.1', internal: true }],
  ['shared address space', { peer: '100.64.0.1', internal: true }],
  ['link-local IPv4', { peer: '169.254.169.254', internal: true }],
  ['link-local IPv6 with a zone id', { peer: 'fe80::1%eth0', internal: true }],
  ['unique-local IPv6', { peer: 'fd12:3456::1', internal: true }],
  ['public IPv4', { peer: '203.0.113.9', internal: false }],
  ['public IPv6', { peer: '2001:db8::1', internal: false }],
  ['IPv4-mapped private', { peer: '::ffff:10.1.2.3', internal: true }],
  ['IPv4-mapped public', { peer: '::ffff:203.0.113.9', internal: false }],
  ['no peer (socket gone)', { peer: undefined, internal: false }],
  ['garbage peer', { peer: 'not-an-ip', internal: false }],
  [
    'XFF while no proxy is trusted, even from an internal peer',
    { peer: '10.0.0.2', headers: { 'x-forwarded-for': '10.0.0.9' }, internal: false },
  ],
  [
    'Forwarded while no proxy is trusted',
    { peer: '10.0.0.2', headers: { forwarded: 'for=10.0.0.9' }, internal: false },
  ],
  [
    'X-Real-IP while no proxy is trusted',
    { peer: '10.0.0.2', headers: { 'x-real-ip': '10.0.0.9' }, internal: false },
  ],
  [
    'CF-Connecting-IP from a trusted hop, without XFF',
    {
      peer: '10.0.0.2',
      headers: { 'cf-connecting-ip': '10.0.0.9' },
      trustProxy: 1,
      internal: false,
    },
  ],
  [
    'True-Client-IP next to XFF from a trusted hop: XFF decides',
    {
      peer: '10.0.0.2',
      headers: { 'true-client-ip': '10.0.0.9', 'x-forwarded-for': '10.0.0.9' },
      trustProxy: 1,
      internal: true,
    },
  ],
  [
    'trustProxy 0 is the same as false',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '10.0.0.9' },
      trustProxy: 0,
      internal: false,
    },
  ],
  [
    'one trusted hop reports an internal client',
    { peer: '10.0.0.2', headers: { 'x-forwarded-for': '10.0.0.9' }, trustProxy: 1, internal: true },
  ],
  [
    'one trusted hop reports an external client',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      trustProxy: 1,
      internal: false,
    },
  ],
  [
    'spoof: internal address prepended, one hop',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '10.0.0.1, 203.0.113.9' },
      trustProxy: 1,
      internal: false,
    },
  ],
  [
    'spoof: internal address prepended, trusted CIDR',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' },
      trustProxy: ['10.0.0.0/24'],
      internal: false,
    },
  ],
  [
    'two trusted hops read the second entry from the right',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.9, 10.0.0.3' },
      trustProxy: 2,
      internal: true,
    },
  ],
  [
    'a chain shorter than the hops yields its leftmost entry',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      trustProxy: 3,
      internal: false,
    },
  ],
  [
    'trusted CIDRs walk past every trusted proxy',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '192.168.5.5, 10.0.0.7, 10.0.0.8' },
      trustProxy: ['10.0.0.0/24'],
      internal: true,
    },
  ],
  [
    'an untrusted peer sending XFF is external',
    {
      peer: '10.9.9.9',
      headers: { 'x-forwarded-for': '10.0.0.1' },
      trustProxy: ['10.0.0.0/24'],
      internal: false,
    },
  ],
  [
    'a trusted peer with no header is itself the client',
    { peer: '10.0.0.2', trustProxy: ['10.0.0.0/24'], internal: true },
  ],
  [
    'Forwarded with a quoted IPv6 and port',
    {
      peer: '10.0.0.2',
      headers: { forwarded: 'for="[fd00::5]:4711"' },
      trustProxy: 1,
      internal: true,
    },
  ],
  [
    'Forwarded for=_hidden',
    { peer: '10.0.0.2', headers: { forwarded: 'for=_hidden' }, trustProxy: 1, internal: false },
  ],
  [
    'Forwarded for=unknown',
    { peer: '10.0.0.2', headers: { forwarded: 'for=unknown' }, trustProxy: 1, internal: false },
  ],
  [
    'malformed Forwarded',
    { peer: '10.0.0.2', headers: { forwarded: 'for="10.0.0.1' }, trustProxy: 1, internal: false },
  ],
  [
    'malformed XFF',
    { peer: '10.0.0.2', headers: { 'x-forwarded-for': ',,,' }, trustProxy: 1, internal: false },
  ],
  [
    'XFF entry that is not an IP',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': 'localhost' },
      trustProxy: 1,
      internal: false,
    },
  ],
  [
    'both headers agreeing',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '10.0.0.9', forwarded: 'for=10.0.0.9' },
      trustProxy: 1,
      internal: true,
    },
  ],
  [
    'spoof: a forged Forwarded the proxy passed through',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=10.0.0.9' },
      trustProxy: 1,
      internal: false,
    },
  ],
  [
    'XFF as an array of header lines',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': ['203.0.113.9', '10.0.0.9'] as unknown as string },
      trustProxy: 1,
      internal: true,
    },
  ],
  [
    'IPv4-mapped client in XFF',
    {
      peer: '10.0.0.2',
      headers: { 'x-forwarded-for': '::ffff:192.168.0.4' },
      trustProxy: 1,
      internal: true,
    },
  ],
  [
    'a replaced internalNetworks no longer admits loopback',
    { peer: '127.0.0.1', internalNetworks: ['10.0.0.0/8'], internal: false },
  ],
  [
    'a single address in internalNetworks',
    { peer: '203.0.113.9', internalNetworks: ['203.0.113.9'], internal: true },
  ],
  [
    'an empty internalNetworks admits nobody',
    { peer: '127.0.0.1', internalNetworks: [], internal: false },
  ],
  [
    'GCP health checkers made internal by option',
    {
      peer: '35.191.10.1',
      internalNetworks: ['35.191.0.0/16', '130.211.0.0/22'],
      internal: true,
    },
  ],
];

describe('NetworkPolicy', () => {
  it.each(cases)('%s', (_, { peer, headers = {}, trustProxy, internalNetworks, internal }) => {
    const policy = new NetworkPolicy(internalNetworks, trustProxy);
    expect(policy.isInternal(policy.clientAddress(peer, headers))).toBe(internal);
    // The memoised path the guard takes decides the same.
    expect(policy.isInternalPeer(peer, headers)).toBe(internal);
  });

  it.each(RELAY_HEADERS)('treats a request relayed with %s as external', (header) => {
    const policy = new NetworkPolicy();
    expect(policy.isInternalPeer('127.0.0.1', {})).toBe(true);
    expect(policy.isInternalPeer('127.0.0.1', { [header]: '127.0.0.1' })).toBe(false);
  });

  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each([
    ['internalNetworks', ['10.0.0.0/33'], '"10.0.0.0/33"'],
    ['internalNetworks', ['10.0.0/8'], '"10.0.0/8"'],
    ['internalNetworks', ['fd00::/129'], '"fd00::/129"'],
    ['trustProxy', ['proxy.local'], '"proxy.local"'],
  ])('stops start-up on an invalid CIDR in %s, naming it', (option, cidrs, named) => {
    const build =
      option === 'internalNetworks'
        ? () => new NetworkPolicy(cidrs)
        : () => new NetworkPolicy(undefined, cidrs);
    expect(build).toThrow(`HealthModule option "${option}" holds ${named}, which is not a CIDR`);
  });
});
