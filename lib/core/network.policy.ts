import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { normalizeAddress, parseForwarded, parseXForwardedFor } from './client-address.js';
import { messages } from './health.messages.js';

/** Loopback, RFC 1918, shared address space, link-local and unique-local IPv6. */
export const DEFAULT_INTERNAL_NETWORKS: readonly string[] = Object.freeze([
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  'fe80::/10',
  'fc00::/7',
]);

/**
 * Headers by which a proxy says whom it relays, besides `X-Forwarded-For` and `Forwarded`: a
 * single address each (nginx's `X-Real-IP`, Akamai's and Cloudflare's, Fastly's...). They are
 * never read as the client's address: their mere presence says a proxy relayed the request.
 */
export const RELAY_HEADERS: readonly string[] = Object.freeze([
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-client-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-forwarded',
  'forwarded-for',
  'x-original-forwarded-for',
  'x-envoy-external-address',
]);

function relayed(headers: IncomingHttpHeaders): boolean {
  for (const name of RELAY_HEADERS) if (headers[name] !== undefined) return true;
  return false;
}

/** Which proxies may report the client's address: none, a number of hops, or their CIDRs. */
export type TrustProxy = false | number | readonly string[];

/** Bound of the memo of peer decisions: cleared when full, so a scan cannot grow it. */
const PEER_MEMO_SIZE = 1024;

const family = (address: string) => (isIP(address) === 4 ? 'ipv4' : 'ipv6');

/** @internal Builds a BlockList from CIDRs, or throws naming the first invalid one. */
export function toBlockList(option: string, cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const match = typeof cidr === 'string' ? /^([^/]+?)(?:\/(\d{1,3}))?$/.exec(cidr.trim()) : null;
    const address = match?.[1];
    const kind = address ? isIP(address) : 0;
    const prefix = match?.[2] === undefined ? (kind === 4 ? 32 : 128) : Number(match[2]);
    if (!match || kind === 0 || prefix > (kind === 4 ? 32 : 128)) {
      throw new Error(messages.invalidCidr(option, cidr));
    }
    list.addSubnet(address!, prefix, kind === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Decides who the client of a request is and whether it is internal. Holds the guard's options
 * (`internalNetworks`, `trustProxy`) in one place; built once at start-up.
 */
export class NetworkPolicy {
  private readonly internal: BlockList;
  private readonly trustedProxies?: BlockList;
  private readonly trustedHops: number;
  /** Decisions about header-less peers: the kubelet and load balancers are a handful of addresses. */
  private readonly peerDecisions = new Map<string, boolean>();

  constructor(
    internalNetworks: readonly string[] = DEFAULT_INTERNAL_NETWORKS,
    private readonly trustProxy: TrustProxy = false,
    /** What an external caller gets from an internal-only route. */
    readonly deniedStatus: 403 | 404 = 403,
  ) {
    this.internal = toBlockList('internalNetworks', internalNetworks);
    if (Array.isArray(trustProxy)) this.trustedProxies = toBlockList('trustProxy', trustProxy);
    this.trustedHops = typeof trustProxy === 'number' ? trustProxy : 0;
  }

  /**
   * Whether a request whose only address is its socket peer is internal: the common case (the
   * kubelet, load balancers), answered from a small memo instead of parsing on every probe.
   */
  isInternalPeer(peer: string | undefined, headers: IncomingHttpHeaders): boolean {
    if (
      peer === undefined ||
      headers['x-forwarded-for'] !== undefined ||
      headers.forwarded !== undefined ||
      relayed(headers)
    ) {
      return this.isInternal(this.clientAddress(peer, headers));
    }
    let decision = this.peerDecisions.get(peer);
    if (decision === undefined) {
      decision = this.isInternal(normalizeAddress(peer));
      if (this.peerDecisions.size >= PEER_MEMO_SIZE) this.peerDecisions.clear();
      this.peerDecisions.set(peer, decision);
    }
    return decision;
  }

  /** Whether an address lies in the internal networks; an unknown address never does. */
  isInternal(address: string | undefined): boolean {
    return address !== undefined && this.internal.check(address, family(address));
  }

  /**
   * The client's address: the socket peer, or what the outermost trusted proxy reports in
   * `X-Forwarded-For` or `Forwarded`, read from the right. `undefined` when it cannot be known:
   * forwarding headers that no trusted proxy vouches for (the peer may be a proxy that relays
   * anyone), or a request relayed with only a single-address header such as `X-Real-IP`.
   */
  clientAddress(peer: string | undefined, headers: IncomingHttpHeaders): string | undefined {
    try {
      const peerAddress = normalizeAddress(peer);
      if (peerAddress === undefined) return undefined;
      const xff = headerText(headers['x-forwarded-for']);
      const forwarded = headerText(headers['forwarded']);
      if (xff === undefined && forwarded === undefined) {
        return relayed(headers) ? undefined : peerAddress;
      }
      if (this.trustProxy === false || this.trustProxy === 0) return undefined;
      const readings: (string | undefined)[] = [];
      if (xff !== undefined) readings.push(this.fromChain(parseXForwardedFor(xff), peerAddress));
      if (forwarded !== undefined) {
        readings.push(this.fromChain(parseForwarded(forwarded), peerAddress));
      }
      // Both headers must agree: a proxy manages one of them and passes the other through as the
      // caller wrote it.
      return readings.every((reading) => reading === readings[0]) ? readings[0] : undefined;
    } catch {
      return undefined;
    }
  }

  private fromChain(chain: (string | undefined)[] | undefined, peer: string): string | undefined {
    if (chain === undefined) return undefined;
    const hops = [...chain, peer];
    let index: number;
    if (this.trustedProxies) {
      index = hops.length - 1;
      while (index > 0 && this.isTrustedProxy(hops[index])) index--;
      // An untrusted peer that sends forwarding headers is relaying someone we cannot identify.
      if (index === hops.length - 1) return undefined;
    } else {
      // A hop count trusts proxies it cannot name: the peer must at least be internal, and the
      // chain must be as long as the hops, or a caller that reached the pod directly would be
      // judged by a header it wrote itself.
      if (!this.isInternal(peer)) return undefined;
      index = hops.length - 1 - this.trustedHops;
      if (index < 0) return undefined;
    }
    // The hops the trusted proxies wrote must all be readable, or the chain cannot be trusted.
    return hops.slice(index).every((hop) => hop !== undefined) ? hops[index] : undefined;
  }

  private isTrustedProxy(address: string | undefined): boolean {
    return address !== undefined && this.trustedProxies!.check(address, family(address));
  }
}
