import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';

/**
 * @internal Where the application's own HTTP server stands:
 * - `none`: the app has none (a microservice, a standalone context), or Nest has not been asked to
 *   make it listen (`init()` only, as in supertest tests): there is nothing to wait for;
 * - `pending`: Nest's `listen()` has begun, and the server does not listen yet;
 * - `listening`;
 * - `failed`: it could not listen (`listenError` says why).
 */
export type ListenerState = 'none' | 'pending' | 'listening' | 'failed';

/**
 * @internal What decides the gates of the probes, besides their checks: whether the application
 * has bootstrapped, whether its HTTP server listens, whether it took itself out of rotation,
 * whether it is shutting down. Shared by the service, the evaluator, the shutdown coordinator and
 * the listener watch; `changed` tells watchers.
 */
@Injectable()
export class ReadinessState implements OnModuleDestroy {
  /** Emits after every change. */
  readonly changed = new Subject<void>();
  private bootstrappedFlag = false;
  private startedFlag = false;
  private shuttingDownFlag = false;
  private drainingFlag = false;
  private reason?: string;
  private listenerState: ListenerState = 'none';
  private listenFailure?: string;

  get bootstrapped(): boolean {
    return this.bootstrappedFlag;
  }

  set bootstrapped(value: boolean) {
    this.set(() => (this.bootstrappedFlag = value), this.bootstrappedFlag !== value);
  }

  /** Start-up has completed: the startup probe has latched. */
  get started(): boolean {
    return this.startedFlag;
  }

  set started(value: boolean) {
    this.set(() => (this.startedFlag = value), this.startedFlag !== value);
  }

  get shuttingDown(): boolean {
    return this.shuttingDownFlag;
  }

  set shuttingDown(value: boolean) {
    this.set(() => (this.shuttingDownFlag = value), this.shuttingDownFlag !== value);
  }

  /** The shutdown's drain has begun: the app's HTTP server lets its connections go. */
  get draining(): boolean {
    return this.drainingFlag;
  }

  set draining(value: boolean) {
    this.set(() => (this.drainingFlag = value), this.drainingFlag !== value);
  }

  get notReadyReason(): string | undefined {
    return this.reason;
  }

  set notReadyReason(value: string | undefined) {
    this.set(() => (this.reason = value), this.reason !== value);
  }

  get listener(): ListenerState {
    return this.listenerState;
  }

  set listener(value: ListenerState) {
    this.set(() => (this.listenerState = value), this.listenerState !== value);
  }

  /** Why the HTTP server could not listen, once it has failed to. */
  get listenError(): string | undefined {
    return this.listenFailure;
  }

  /** The HTTP server could not listen: readiness fails for good, saying why. */
  listenFailed(reason: string): void {
    this.listenFailure = reason;
    this.listener = 'failed';
  }

  /**
   * The output readiness fails with while the application's HTTP server does not listen, or
   * `undefined` when it does, or when there is none to wait for.
   */
  get notListening(): string | undefined {
    const state = this.listenerState;
    if (state === 'failed') return `the HTTP server could not listen: ${this.listenFailure}`;
    return state === 'pending' ? 'starting' : undefined;
  }

  /** The output readiness fails with, or `undefined` when the indicators decide. */
  get override(): string | undefined {
    return this.shuttingDownFlag ? 'shutting down' : this.reason;
  }

  private set(apply: () => void, changes: boolean): void {
    apply();
    if (changes) this.changed.next();
  }

  onModuleDestroy(): void {
    this.changed.complete();
  }
}
