import type { ModulesContainer } from '@nestjs/core';

/** @internal What a kind's `settings()` may read of the application besides its client. */
export interface DiscoveryContext {
  readonly modules: ModulesContainer;
}

/**
 * @internal How auto-discovery (`autoIndicators`) finds, names and checks the clients of one
 * built-in indicator: its static `discovery`, declared in the indicator's own file, on top of the
 * indicator's own test of its client, so that an auto-found client is one its `register()` takes.
 * A check made from it changes nothing in its client: it never connects it, publishes, declares
 * or subscribes.
 */
export interface Discovery<C = unknown> {
  /** What the client is, in the start-up log (`TypeORM DataSource`). */
  readonly kind: string;
  /**
   * The words of a token that only repeat the kind (`datasource`, `ioredis`): left out of the
   * check's name, so that `REDIS_CLIENT` names the check `redis`, and `CACHE_REDIS` `redis.cache`.
   */
  readonly words: readonly string[];
  /**
   * Whether `value` is such a client: the indicator's own test, and what tells the client from a
   * look-alike of the application's (a class of its own with a `ping()`).
   */
  recognises(value: unknown): value is C;
  /** Why the client cannot be checked at all (a Kafka client); undefined when it can. */
  unsupported?(client: C): string | undefined;
  /** The indicator's settings for the client (default `{ client }`). */
  settings?(client: C, context: DiscoveryContext): object;
  /**
   * Why the check fails without a round trip: the client has not connected yet, and the round
   * trip would connect it. Undefined while it is connected, or is a pool (which opens connections
   * on demand, as for the application's next query).
   */
  notConnected?(client: C): string | undefined;
  /** The clients it holds that could be found on their own (its pool): checked through it, once. */
  wraps?(client: C): readonly unknown[];
  /**
   * Its check adds to that of what it holds (a queue's workers and backlog, beyond its Redis
   * connection): a registration of yours on what it holds leaves it a check of its own. Without
   * it, the check is the held client's (an ORM's `SELECT 1` through its pool), and that
   * registration covers it too.
   */
  readonly addsToHeld?: boolean;
  /** A name the client has, which names the check better than its token (a queue's). */
  nameOf?(client: C): string | undefined;
}
