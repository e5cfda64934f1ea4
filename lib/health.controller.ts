import { Controller, Get, Logger, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HEALTH_JSON } from './health.constants.js';
import { toAnswer, type ProbeAnswer } from './health-report.builder.js';
import { HealthService } from './health.service.js';
import type { ProbeName } from './interfaces/health-check.interface.js';

/**
 * @internal Creates the controller of the four probe routes. Its prefix is set from the
 * `path` option when the options are resolved, before Nest registers routes.
 */
export function createHealthController(): Type<unknown> {
  @Controller()
  class HealthController {
    private readonly logger = new Logger('HealthModule');

    constructor(
      private readonly health: HealthService,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    /** Is the process alive? No indicator runs. */
    @Get('live')
    live(@Res() response: unknown) {
      return this.serve(response, 'live');
    }

    /** Can it serve traffic? The readiness indicators; 503 until start-up has completed. */
    @Get('ready')
    ready(@Res() response: unknown) {
      return this.serve(response, 'ready');
    }

    /** Has it finished initialising? Latches to 200 once it has. */
    @Get('startup')
    startup(@Res() response: unknown) {
      return this.serve(response, 'startup');
    }

    /** Every indicator and the process diagnostics, for operators. */
    @Get('deep')
    deep(@Res() response: unknown) {
      return this.serve(response, 'deep');
    }

    private serve(response: unknown, probe: ProbeName): void | Promise<void> {
      try {
        const answer = this.health.answer(probe);
        if (!(answer instanceof Promise)) return this.write(response, answer);
        return answer.then(
          (settled) => this.write(response, settled),
          (error: unknown) => this.writeUnexpected(response, probe, error),
        );
      } catch (error) {
        return this.writeUnexpected(response, probe, error);
      }
    }

    /** A bug of ours must still answer like a failed probe, never as a 500 with a stack. */
    private writeUnexpected(response: unknown, probe: ProbeName, error: unknown): void {
      this.logger.error(`The ${probe} probe failed unexpectedly`, (error as Error)?.stack);
      this.write(
        response,
        toAnswer({ status: 'fail', output: 'health check failed unexpectedly' }),
      );
    }

    private write(response: unknown, answer: ProbeAnswer): void {
      const http = this.adapterHost.httpAdapter;
      http.setHeader(response, 'Cache-Control', 'no-store');
      http.setHeader(response, 'Content-Type', HEALTH_JSON);
      http.reply(response, answer.body, answer.statusCode);
    }
  }
  return HealthController;
}
