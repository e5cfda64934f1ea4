import { Injectable } from '@nestjs/common';

/**
 * @internal Why readiness must fail whatever the indicators say: the application took itself
 * out of rotation, or it is shutting down. Shared by the service and the shutdown coordinator.
 */
@Injectable()
export class ReadinessState {
  shuttingDown = false;
  notReadyReason?: string;

  /** The output readiness fails with, or `undefined` when the indicators decide. */
  get override(): string | undefined {
    return this.shuttingDown ? 'shutting down' : this.notReadyReason;
  }
}
