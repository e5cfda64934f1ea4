import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';

/**
 * @internal Stalls of the main event loop that the probe server reports (its heartbeat older
 * than `maxStallMs`: liveness fails), each told once it has ended, with its length. While one
 * lasts the main thread can record nothing, and the metrics are read on the main thread: the
 * moment it turns again is the first at which a stall can be counted.
 */
@Injectable()
export class EventLoopStalls implements OnModuleDestroy {
  /** The length of each stall, in ms, as it ends. */
  readonly ended = new Subject<number>();

  /** Called by the probe server's heartbeat when it beats again after a stall. */
  stalled(durationMs: number): void {
    this.ended.next(durationMs);
  }

  onModuleDestroy(): void {
    this.ended.complete();
  }
}
