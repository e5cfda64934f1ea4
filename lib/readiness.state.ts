import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';

/**
 * @internal What decides the gates of the probes, besides their checks: whether the application
 * has bootstrapped, whether it took itself out of rotation, whether it is shutting down. Shared by
 * the service, the evaluator and the shutdown coordinator; `changed` tells watchers.
 */
@Injectable()
export class ReadinessState implements OnModuleDestroy {
  /** Emits after every change, here or of the start-up latch. */
  readonly changed = new Subject<void>();
  private bootstrappedFlag = false;
  private shuttingDownFlag = false;
  private reason?: string;

  get bootstrapped(): boolean {
    return this.bootstrappedFlag;
  }

  set bootstrapped(value: boolean) {
    this.set(() => (this.bootstrappedFlag = value), this.bootstrappedFlag !== value);
  }

  get shuttingDown(): boolean {
    return this.shuttingDownFlag;
  }

  set shuttingDown(value: boolean) {
    this.set(() => (this.shuttingDownFlag = value), this.shuttingDownFlag !== value);
  }

  get notReadyReason(): string | undefined {
    return this.reason;
  }

  set notReadyReason(value: string | undefined) {
    this.set(() => (this.reason = value), this.reason !== value);
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
