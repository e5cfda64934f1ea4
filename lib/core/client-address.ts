import { isIP } from 'node:net';

/**
 * @internal Parsing of the addresses a request carries: the socket peer, `X-Forwarded-For` and
 * `Forwarded` (RFC 7239). Whatever cannot be parsed comes back `undefined`, never as an exception:
 * the caller treats an unknown client as external.
 */

/** A normalised IP address: IPv4-mapped IPv6 becomes IPv4, zone ids and ports are dropped. */
export function normalizeAddress(raw: string | undefined): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let address = raw.trim();
  if (address.startsWith('"') && address.endsWith('"') && address.length >= 2) {
    address = address.slice(1, -1);
  }
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
  if (bracketed) address = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(address)) address = address.replace(/:\d+$/, '');
  address = address.replace(/%[A-Za-z0-9_.~-]+$/, '');
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted && isIP(dotted[1]) === 4) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return lower;
}

/**
 * `X-Forwarded-For`, left (first client) to right (last proxy). A single unparseable entry makes
 * the whole list unusable (`undefined`): a chain with a hole cannot be read from the right.
 */
export function parseXForwardedFor(header: string): (string | undefined)[] | undefined {
  const entries = header.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.some((entry) => entry === '')) return undefined;
  return entries.map((entry) => normalizeAddress(entry));
}

/**
 * The `for=` addresses of a `Forwarded` header, left to right. Obfuscated (`_hidden`) and
 * `unknown` nodes are kept as `undefined` entries; a malformed header is `undefined` as a whole.
 */
export function parseForwarded(header: string): (string | undefined)[] | undefined {
  const elements = splitOutsideQuotes(header, ',');
  if (!elements) return undefined;
  const result: (string | undefined)[] = [];
  for (const element of elements) {
    const pairs = splitOutsideQuotes(element, ';');
    if (!pairs) return undefined;
    let node: string | undefined | null = null;
    for (const pair of pairs) {
      const match = /^\s*([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*$/.exec(pair);
      if (!match) return undefined;
      if (match[1].toLowerCase() === 'for') {
        if (node !== null) return undefined;
        node = normalizeAddress(match[2].replace(/\\(.)/g, '$1'));
      }
    }
    result.push(node ?? undefined);
  }
  return result;
}

function splitOutsideQuotes(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && quoted) {
      current += char + (text[++i] ?? '');
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (quoted) return undefined;
  parts.push(current);
  return parts.some((part) => part.trim() === '') ? undefined : parts;
}
