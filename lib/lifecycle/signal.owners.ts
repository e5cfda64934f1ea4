/**
 * @internal Which applications of the process own a signal, and when the process may exit.
 *
 * Several applications can live in one process (e2e suites, an HTTP app beside a queue worker):
 * each owns the signals of its own shutdown, and the process exits only once the last of them has
 * closed. What they share is the process's own list of signal listeners, where each application's
 * listener says how far its shutdown has gone: no state of the library is shared between them (nor
 * between two copies of it).
 */

/** Where an application's shutdown stands, as its listener tells the others. */
export type OwnerState =
  /** Running, or shutting down: the process must wait for it. */
  | 'live'
  /**
   * Closed by Nest's own signal handler (`enableShutdownHooks()`), whose last hooks may still be
   * running: it is done once Nest has removed that handler (it then raises the signal again).
   */
  | 'nest'
  /** Closed. */
  | 'done';

const OWNER = Symbol.for('nestjs-probes.signal-owner');

/** What an application's listener carries: one per application, whatever the signals. */
interface Owner {
  readonly state: OwnerState;
}

type Listener = ((signal: NodeJS.Signals) => void) & { [OWNER]?: Owner };

/** The part of `process` this uses (a fake one in unit tests). */
export type SignalProcess = Pick<NodeJS.Process, 'on' | 'removeListener' | 'listeners' | 'exit'>;

const ownerOf = (listener: unknown): Owner | undefined => (listener as Listener)[OWNER];

/**
 * One application's ownership of its signals. `onSignal` hears the first signal, and then each
 * new one (`again`), but not the signal Nest raises again once it has closed an application
 * (`enableShutdownHooks()`: its handler re-raises the signal it handled).
 */
export class SignalOwnership {
  private readonly listeners = new Map<NodeJS.Signals, Listener>();
  private readonly owner: { state: OwnerState } = { state: 'live' };
  /** The first signal heard, and the other listeners of it then: Nest's handlers among them. */
  private first?: { signal: NodeJS.Signals; others: readonly unknown[] };
  /** How many of those others' re-raised signals were heard. */
  private raisedAgain = 0;

  constructor(
    private readonly onSignal: (signal: NodeJS.Signals, again: boolean) => void,
    private readonly target: SignalProcess = process,
  ) {}

  /** Whether it listens to any signal. */
  get subscribed(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(signals: readonly NodeJS.Signals[]): void {
    for (const signal of signals) {
      const listener: Listener = (received) => this.heard(received);
      listener[OWNER] = this.owner;
      this.listeners.set(signal, listener);
      this.target.on(signal, listener);
    }
  }

  unsubscribe(): void {
    for (const [signal, listener] of this.listeners) this.target.removeListener(signal, listener);
    this.listeners.clear();
  }

  /** Whether listeners other than applications' ownerships listen to `signal` (Nest's handler). */
  othersListen(signal: NodeJS.Signals): boolean {
    return this.target.listeners(signal).some((listener) => ownerOf(listener) === undefined);
  }

  /**
   * The application has closed (`done`), or Nest's handler has closed it (`nest`): the process
   * exits if no other application owning these signals is still closing.
   */
  closed(state: 'nest' | 'done'): void {
    this.owner.state = state;
    this.exitIfLast();
  }

  private heard(signal: NodeJS.Signals): void {
    if (this.owner.state !== 'live') {
      this.exitIfLast();
      return;
    }
    if (this.first === undefined) {
      this.first = { signal, others: this.others(signal) };
      this.onSignal(signal, false);
      return;
    }
    if (signal === this.first.signal && this.vanished() > this.raisedAgain) {
      this.raisedAgain++;
      return;
    }
    this.onSignal(signal, true);
  }

  /** Exits once no application owning one of these signals is live, and Nest has let go of those it closed. */
  private exitIfLast(): void {
    const owners = new Set(
      [...this.listeners.keys()].flatMap((signal) =>
        this.target
          .listeners(signal)
          .map(ownerOf)
          .filter((owner) => owner !== undefined),
      ),
    );
    const states = [...owners].map((owner) => owner.state);
    if (states.includes('live')) return;
    // Nest removes its handler once it has run every hook of the application it closed.
    const closedByNest = states.filter((state) => state === 'nest').length;
    if (this.vanished() < closedByNest) return;
    this.unsubscribe();
    this.target.exit();
  }

  private others(signal: NodeJS.Signals): readonly unknown[] {
    return this.target.listeners(signal).filter((listener) => ownerOf(listener) === undefined);
  }

  /** How many of the other listeners of the first signal are gone. */
  private vanished(): number {
    if (this.first === undefined) return 0;
    const now = this.target.listeners(this.first.signal);
    return this.first.others.filter((listener) => !now.includes(listener as Listener)).length;
  }
}
