import type { DiscoverableClass } from './discoverable.js';

/** @internal A provider's instance, with the token it is provided under. */
export interface Provided {
  readonly token: unknown;
  readonly instance: unknown;
}

/** @internal A client of a kind a built-in indicator knows. */
export interface FoundClient {
  readonly cls: DiscoverableClass;
  readonly client: object;
  /** The first token it was found under (one client under several tokens is one client). */
  readonly token: unknown;
}

/** @internal What a scan found, and why each client it leaves unchecked is left so. */
export interface Scan {
  /** The clients to check: of a known kind, not held by another, not checked already. */
  readonly found: readonly FoundClient[];
  /** Those a declared indicator checks already (itself, or a client that holds it). */
  readonly covered: readonly { found: FoundClient; by: string }[];
  /** Those another found client holds (a TypeORM DataSource's pg Pool): checked through it. */
  readonly held: readonly { found: FoundClient; by: FoundClient }[];
  /** Those of a kind that cannot be checked without changing it (a Prisma client). */
  readonly unsupported: readonly { found: FoundClient; why: string }[];
}

/** A name nothing has: an object that says it has it answers for anything (a mock, a Proxy). */
const NOTHING = `nestjs-probes:${Math.random().toString(36).slice(2)}`;

function answersAnything(instance: object): boolean {
  try {
    return (instance as Record<string, unknown>)[NOTHING] !== undefined;
  } catch {
    return true;
  }
}

/** A client's kind: the first that recognises it, asked with care (a getter may throw). */
function kindOf(instance: object, kinds: readonly DiscoverableClass[]) {
  for (const cls of kinds) {
    try {
      if (cls.discovery.recognises(instance)) return cls;
    } catch {
      // A getter of the application's that throws: not this kind.
    }
  }
  return undefined;
}

/** The clients `found` holds that are clients of a known kind (not options, not undefined). */
function heldBy(found: FoundClient, kinds: readonly DiscoverableClass[]): object[] {
  let wrapped: readonly unknown[];
  try {
    wrapped = found.cls.discovery.wraps?.(found.client) ?? [];
  } catch {
    return [];
  }
  return wrapped.filter(
    (held): held is object =>
      typeof held === 'object' &&
      held !== null &&
      held !== found.client &&
      kindOf(held, kinds) !== undefined,
  );
}

/** @internal The clients among the providers, each once, by what it is, never by its token. */
export function clientsOf(
  provided: Iterable<Provided>,
  kinds: readonly DiscoverableClass[],
): FoundClient[] {
  const seen = new Set<unknown>();
  const found: FoundClient[] = [];
  for (const { token, instance } of provided) {
    if (typeof instance !== 'object' || instance === null || seen.has(instance)) continue;
    seen.add(instance);
    if (answersAnything(instance)) continue;
    const cls = kindOf(instance, kinds);
    if (cls !== undefined) found.push({ cls, client: instance, token });
  }
  return found;
}

/**
 * @internal Which clients among the providers to check: each of a known kind once, the highest
 * level of those that hold one another, none that a declared indicator (`declared`, by name)
 * checks already, itself or through a client that holds it.
 */
export function scanClients(
  provided: Iterable<Provided>,
  kinds: readonly DiscoverableClass[],
  declared: ReadonlyMap<string, object>,
): Scan {
  const clients = clientsOf(provided, kinds);
  const checkedBy = checkedByDeclared(declared, kinds);
  const holder = new Map<unknown, FoundClient>();
  for (const found of clients) {
    for (const held of heldBy(found, kinds)) holder.set(held, found);
  }
  const scan = { found: [], covered: [], held: [], unsupported: [] } as {
    -readonly [K in keyof Scan]: Scan[K][number][];
  };
  for (const found of clients) {
    const why = found.cls.discovery.unsupported?.(found.client);
    // A client whose check is only that of what it holds is covered by a check of that.
    const same = found.cls.discovery.addsToHeld ? [] : heldBy(found, kinds);
    const by = [found.client, ...same].find((client) => checkedBy.has(client));
    if (by !== undefined) scan.covered.push({ found, by: checkedBy.get(by)! });
    else if (holder.has(found.client)) scan.held.push({ found, by: holder.get(found.client)! });
    else if (why) scan.unsupported.push({ found, why });
    else scan.found.push(found);
  }
  return scan;
}

/** The clients the declared indicators check, and those they check through them, by name. */
function checkedByDeclared(
  declared: ReadonlyMap<string, object>,
  kinds: readonly DiscoverableClass[],
): Map<unknown, string> {
  const direct: [string, object][] = [];
  for (const [name, indicator] of declared) {
    const checked = (indicator as { checkedClients?(): readonly unknown[] }).checkedClients?.();
    for (const client of checked ?? []) {
      if (typeof client === 'object' && client !== null) direct.push([name, client]);
    }
  }
  const checkedBy = new Map<unknown, string>(direct.map(([name, client]) => [client, name]));
  // Then what they check through those, unless an indicator checks it itself.
  for (const [name, client] of direct) {
    const cls = kindOf(client, kinds);
    if (!cls) continue;
    for (const held of heldBy({ cls, client, token: undefined }, kinds)) {
      if (!checkedBy.has(held)) checkedBy.set(held, name);
    }
  }
  return checkedBy;
}
