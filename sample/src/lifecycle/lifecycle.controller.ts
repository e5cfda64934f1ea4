import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { HealthService, InternalNetworkGuard } from 'nestjs-probes';

/**
 * Operator switches: take the instance out of rotation (a long reindex, say) and back, or shut
 * it down the way a SIGTERM does. Internal callers only: the library's guard decides.
 */
@Controller('admin')
@UseGuards(InternalNetworkGuard)
export class LifecycleController {
  constructor(private readonly health: HealthService) {}

  /** Readiness fails with the reason given; liveness stays 200. */
  @Post('rotation/out')
  @HttpCode(HttpStatus.OK)
  out(@Body() body: { reason?: string } = {}) {
    this.health.markNotReady(body.reason ?? 'taken out of rotation by an operator');
    return { ready: false };
  }

  @Post('rotation/in')
  @HttpCode(HttpStatus.OK)
  in() {
    this.health.markReady();
    return { ready: true };
  }

  /** The same graceful shutdown as SIGTERM: readiness fails now, the process exits after the drain. */
  @Post('shutdown')
  @HttpCode(HttpStatus.ACCEPTED)
  shutdown() {
    this.health.beginShutdown();
    return { shuttingDown: true };
  }
}
