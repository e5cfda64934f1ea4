import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
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

  /**
   * Blocks the event loop for `ms`, as a stuck synchronous computation would: the probe server's
   * liveness fails once maxStallMs has passed, and passes again as soon as the loop turns.
   */
  @Post('stall')
  @HttpCode(HttpStatus.OK)
  stall(@Query('ms') raw = '15000') {
    const ms = Number(raw);
    if (!Number.isInteger(ms) || ms < 0 || ms > 120_000) {
      throw new BadRequestException('ms must be an integer from 0 to 120000');
    }
    const until = Date.now() + ms;
    while (Date.now() < until);
    return { stalledMs: ms };
  }

  /** The same graceful shutdown as SIGTERM: readiness fails now, the process exits after the drain. */
  @Post('shutdown')
  @HttpCode(HttpStatus.ACCEPTED)
  shutdown() {
    this.health.beginShutdown();
    return { shuttingDown: true };
  }
}
