/**
 * @internal Which health route a request target is, decided once for every port that serves the
 * routes. The application's port routes through its HTTP adapter (Express or Fastify) with that
 * adapter's own settings; the probe server matches with this function, fed the same adapter and
 * settings at start-up, so that both ports answer a path alike: case, trailing slash,
 * percent-encoding, malformed encodings and absolute-form targets included. Pure: it imports
 * nothing, and runs in the probe server's worker.
 */

/** The HTTP adapter whose matching a port follows; `none` for an app without an HTTP server. */
export type RouteAdapter = 'express' | 'fastify' | 'none';

/** How routes are matched: the adapter's settings that change which path is which route. */
export interface RouteSettings {
  readonly adapter: RouteAdapter;
  /** The segments before the probes' names: the global prefix, then the `path` option. */
  readonly prefix: readonly string[];
  /** Express' `case sensitive routing` (default off), Fastify's `caseSensitive` (default on). */
  readonly caseSensitive: boolean;
  /** A trailing slash is another path: Express' `strict routing`, not Fastify's `ignoreTrailingSlash`. */
  readonly strictSlash: boolean;
  /** Fastify's `maxParamLength` (default 100): a longer check name answers 414 there. */
  readonly maxParamLength?: number;
}

/** The routes served under the prefix: a name per probe and group, with or without check routes. */
export interface RouteTable {
  /** By name: whether `<name>/:name` answers for one of its checks. */
  readonly probes: ReadonlyMap<string, boolean>;
  /** Whether `<prefix>/metrics` is a route. */
  readonly metrics: boolean;
  /** Whether `<prefix>/status` (the status page) and `<prefix>/status/events` are routes. */
  readonly status?: boolean;
}

/** The status page's routes: `status`, the page, and `status/events`, its live stream. */
export type StatusPart = 'page' | 'events';

/** What a request target is. */
export type RouteMatch =
  | { readonly kind: 'probe'; readonly probe: string }
  | { readonly kind: 'check'; readonly probe: string; readonly check: string }
  | { readonly kind: 'metrics' }
  /** The status page, or its live stream. */
  | { readonly kind: 'status'; readonly part: StatusPart }
  | { readonly kind: 'not-found' }
  /** An answer the adapter itself gives before any route: a malformed encoding, a long param. */
  | { readonly kind: 'refused'; readonly statusCode: 400 | 414; readonly body: string };

/**
 * @internal `matchRoute` for one table and one set of settings, answering the paths of the
 * routes themselves as they are written (`/health/ready`, `/health/ready/db` excepted) from a map:
 * probes are asked the same few paths over and over. Every other target is matched in full.
 */
export class RouteMatcher {
  private readonly exact = new Map<string, RouteMatch>();

  constructor(
    readonly settings: RouteSettings,
    readonly table: RouteTable,
  ) {
    const base = settings.prefix.map((segment) => `/${segment}`).join('');
    const names = [
      ...table.probes.keys(),
      ...(table.metrics ? ['metrics'] : []),
      ...(table.status ? ['status', 'status/events'] : []),
    ];
    for (const name of names) {
      const path = `${base}/${name}`;
      this.exact.set(path, matchRoute(path, settings, table));
    }
  }

  match(target: string): RouteMatch {
    const query = target.indexOf('?');
    const known = this.exact.get(query === -1 ? target : target.slice(0, query));
    return known ?? matchRoute(target, this.settings, this.table);
  }
}

/** The settings of a port whose app has no HTTP adapter: exact names, decoded segments. */
export const PLAIN_ROUTES: Omit<RouteSettings, 'prefix'> = Object.freeze({
  adapter: 'none',
  caseSensitive: true,
  strictSlash: true,
});

const NOT_FOUND: RouteMatch = Object.freeze({ kind: 'not-found' });
const STATUS_PAGE: RouteMatch = Object.freeze({ kind: 'status', part: 'page' });
const STATUS_EVENTS: RouteMatch = Object.freeze({ kind: 'status', part: 'events' });

/** The path of a request target: absolute-form (`http://host/p`) made origin-form, no query. */
export function pathOf(target: string): string {
  let path = target;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(path);
  if (scheme) {
    const slash = path.indexOf('/', scheme[0].length);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Fastify decodes the path before routing, except the characters that would change its shape. */
function fastifyDecoded(path: string): string | undefined {
  const kept = path.replace(/%(2[Ff]|3[Ff]|23|25)/g, '%25$1');
  return decode(kept);
}

function refused(statusCode: 400 | 414, code: string, error: string, message: string): RouteMatch {
  const body = JSON.stringify({ statusCode, code, error, message });
  return { kind: 'refused', statusCode, body };
}

/** Which health route `target` (a request line's target) is, as the adapter would route it. */
export function matchRoute(target: string, settings: RouteSettings, table: RouteTable): RouteMatch {
  const raw = pathOf(target);
  let path = raw;
  if (settings.adapter === 'fastify') {
    const decoded = fastifyDecoded(raw);
    const url = target.split('#')[0];
    if (decoded === undefined) {
      return refused(
        400,
        'FST_ERR_BAD_URL',
        'Bad Request',
        `'${url}' is not a valid url component`,
      );
    }
    path = decoded;
  }
  if (!settings.strictSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const segments = path.split('/').slice(1);
  const { prefix } = settings;
  if (segments.length < prefix.length + 1 || segments.length > prefix.length + 2) return NOT_FOUND;
  const same = (given: string, name: string) =>
    given === name || (!settings.caseSensitive && given.toLowerCase() === name.toLowerCase());
  if (!prefix.every((segment, i) => same(segments[i], segment))) return NOT_FOUND;
  const [first, second] = segments.slice(prefix.length);
  // Express compares names as sent; a segment is decoded only where nothing else does it.
  const name = settings.adapter === 'none' ? decode(first) : first;
  if (name === undefined) return NOT_FOUND;
  if (second === undefined) {
    if (table.metrics && same(name, 'metrics')) return { kind: 'metrics' };
    if (table.status && same(name, 'status')) return STATUS_PAGE;
    const probe = find(table, name, same);
    return probe === undefined ? NOT_FOUND : { kind: 'probe', probe };
  }
  if (table.status && same(name, 'status')) {
    // A static route: its segment is compared as the name is.
    const part = settings.adapter === 'none' ? decode(second) : second;
    return part !== undefined && same(part, 'events') ? STATUS_EVENTS : NOT_FOUND;
  }
  const probe = find(table, name, same);
  if (probe === undefined || !table.probes.get(probe) || second === '') return NOT_FOUND;
  return checkMatch(target, probe, second, settings);
}

function find(
  table: RouteTable,
  name: string,
  same: (given: string, name: string) => boolean,
): string | undefined {
  if (table.probes.has(name)) return name;
  for (const probe of table.probes.keys()) if (same(name, probe)) return probe;
  return undefined;
}

/**
 * @internal Which of `names` a route segment names, as the adapter would match it against a route
 * of that name: for a route that takes any name, where the adapter hands over the segment.
 * `segment` is as sent (not decoded).
 */
export function findName(
  segment: string,
  names: Iterable<string>,
  settings: Omit<RouteSettings, 'prefix'>,
): string | undefined {
  const given = settings.adapter === 'express' ? segment : decodedName(segment, settings.adapter);
  if (given === undefined) return undefined;
  for (const name of names) {
    if (name === given) return name;
    if (!settings.caseSensitive && name.toLowerCase() === given.toLowerCase()) return name;
  }
  return undefined;
}

function decodedName(segment: string, adapter: RouteAdapter): string | undefined {
  return adapter === 'fastify' ? fastifyDecoded(segment) : decode(segment);
}

/** One check of a probe: its name decoded as a route parameter is, by the adapter's rules. */
function checkMatch(target: string, probe: string, param: string, settings: RouteSettings) {
  if (settings.adapter === 'fastify') {
    const limit = settings.maxParamLength ?? 100;
    if (param.length > limit) {
      const url = target.split('#')[0];
      const message = `'${url}' is exceeding the max param length`;
      return refused(414, 'FST_ERR_MAX_PARAM_LENGTH', 'URI Too Long', message);
    }
    // Fastify decoded the path already, but kept what would change its shape: decoded here.
    const check = decode(param);
    return check === undefined ? NOT_FOUND : ({ kind: 'check', probe, check } as const);
  }
  const check = decode(param);
  if (check === undefined) {
    if (settings.adapter !== 'express') return NOT_FOUND;
    const body = JSON.stringify({
      message: `Failed to decode param '${param}'`,
      error: 'Bad Request',
      statusCode: 400,
    });
    return { kind: 'refused', statusCode: 400, body } as const;
  }
  return { kind: 'check', probe, check } as const;
}
