/*
 * What the MongoDB driver's own monitor says of its servers, read from its public SDAM events
 * (`topologyDescriptionChanged`, `serverHeartbeatFailed`): never to pass a check, only to fail one
 * fast, with the monitor's reason, while no server can be reached. A command sent then would wait
 * for a server to be found (the driver's server selection) until the check's timeout, and say
 * only that it timed out.
 */

type Listener = (event: never) => void;

/** A MongoClient, as far as its events go (the driver's `TypedEventEmitter`). */
export interface MongoEventsLike {
  on(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
}

/** A server as the driver describes it: `Unknown` once its monitor cannot reach it. */
interface ServerDescribed {
  type?: unknown;
  error?: { message?: unknown } | null;
}

interface TopologyChanged {
  newDescription?: { servers?: { values?(): Iterable<ServerDescribed> } };
}

interface HeartbeatFailed {
  failure?: { message?: unknown };
}

/** @internal Whether `value` has the methods of an event emitter the watch needs. */
export function hasEvents(value: unknown): value is MongoEventsLike {
  const events = value as Partial<MongoEventsLike> | null | undefined;
  return typeof events?.on === 'function' && typeof events.removeListener === 'function';
}

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/** @internal A check failed by the monitor's verdict, rather than by its own command. */
export class Unreachable extends Error {
  constructor(reason: string | undefined) {
    super(`no server reachable${reason ? `: ${reason}` : ''}`);
  }
}

/**
 * @internal Follows one client's topology from the moment it is created: whether every server
 * the driver knows is unreachable, and why. Nothing is known before its first event (a client
 * already connected): it then says nothing, and the checks simply ping.
 */
export class TopologyWatch {
  /** The monitor's reason while every server is unreachable; undefined otherwise. */
  private down?: string;
  /** The checks waiting for the monitor's verdict. */
  private readonly waiting = new Set<(failure: Unreachable) => void>();

  constructor(readonly client: MongoEventsLike) {
    client.on('topologyDescriptionChanged', this.changed);
    client.on('serverHeartbeatFailed', this.failedHeartbeat);
  }

  /**
   * Rejects (`Unreachable`) as soon as the monitor finds no server reachable, or at its next
   * failed heartbeat while it finds none (a command waiting for a server asks for one at once);
   * `cancel()` forgets it.
   */
  verdict(): { failed: Promise<never>; cancel(): void } {
    let fail!: (failure: Unreachable) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    this.waiting.add(fail);
    return { failed, cancel: () => void this.waiting.delete(fail) };
  }

  /** Lets go of the client's events. */
  close(): void {
    this.client.removeListener('topologyDescriptionChanged', this.changed);
    this.client.removeListener('serverHeartbeatFailed', this.failedHeartbeat);
    this.waiting.clear();
  }

  private fail(reason: string | undefined): void {
    const failure = new Unreachable(reason);
    for (const fail of this.waiting) fail(failure);
    this.waiting.clear();
  }

  private readonly changed = ((event: TopologyChanged) => {
    const servers = [...(event?.newDescription?.servers?.values?.() ?? [])];
    const unknown = servers.length > 0 && servers.every((server) => server.type === 'Unknown');
    const reason = servers.map((server) => text(server.error?.message)).find(Boolean);
    // Unknown without an error: not found yet (discovery under way), not unreachable.
    this.down = unknown ? reason : undefined;
    if (this.down !== undefined) this.fail(this.down);
  }) as Listener;

  private readonly failedHeartbeat = ((event: HeartbeatFailed) => {
    if (this.down !== undefined) this.fail(text(event?.failure?.message) ?? this.down);
  }) as Listener;
}
