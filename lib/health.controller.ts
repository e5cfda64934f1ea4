import {
  ForbiddenException,
  HttpException,
  NotFoundException,
  Param,
  Controller,
  Get,
  Inject,
  type LoggerService,
  Req,
  Res,
  VERSION_NEUTRAL,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ServerResponse } from 'node:http';
import {
  EXCLUDE_LIMITS,
  HEALTH_JSON,
  HEALTH_LOGGER,
  RESOLVED_HEALTH_OPTIONS,
} from './health.constants.js';
import type { ResolvedHealthOptions } from './health.options.js';
import { toAnswer, type ProbeAnswer } from './health-report.builder.js';
import { HealthService } from './health.service.js';
import type { HealthStatus, ProbeName } from './interfaces/health-check.interface.js';
import { HealthMetrics } from './health.metrics.js';
import { renderText } from './health-text.renderer.js';
import type { ProbeAccess } from './interfaces/health-module-options.interface.js';
import { InternalNetworkGuard, rawRequest, type HttpRequest } from './internal-network.guard.js';

const TEXT = 'text/plain; charset=utf-8';

/** How a caller reads a probe: whole or status only, JSON or text, and which checks to leave out. */
interface Reading {
  full: boolean;
  verbose: boolean;
  exclude: readonly string[];
}

const STATUS_ONLY: Reading = { full: false, verbose: false, exclude: [] };
const WHOLE: Reading = { full: true, verbose: false, exclude: [] };

/** `?verbose`, `Accept: text/plain` and `?exclude=<name>` (repeatable), the same on every adapter. */
function readingOf(request: HttpRequest): Reading {
  const raw = rawRequest(request);
  const url = raw.url ?? '';
  const query = url.indexOf('?');
  const accept = raw.headers?.accept;
  const wantsText =
    typeof accept === 'string' && accept.includes('text/plain') && !accept.includes('json');
  if (query === -1 && !wantsText) return WHOLE;
  const params = new URLSearchParams(query === -1 ? '' : url.slice(query + 1));
  const verbose = params.get('verbose');
  return {
    full: true,
    // `?verbose` and `?verbose=1` ask for text; `?verbose=false` (or 0, no, off) does not.
    verbose: wantsText || (verbose !== null && !/^(?:false|0|no|off)$/i.test(verbose)),
    exclude: params.getAll('exclude').filter(Boolean).slice(0, EXCLUDE_LIMITS.names),
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** What an external caller of a `status` route gets: the status and nothing else. */
const STATUS_ONLY_BODY: Record<HealthStatus, string> = {
  pass: '{"status":"pass"}',
  warn: '{"status":"warn"}',
  fail: '{"status":"fail"}',
};

/**
 * @internal Creates the controller of the four probe routes. Its prefix is set from the
 * `path` option when the options are resolved, before Nest registers routes.
 */
export function createHealthController(): Type<unknown> {
  // Version-neutral: enabling URI versioning with a default version must not move the probes
  // away from the paths in the manifest.
  @Controller({ version: VERSION_NEUTRAL })
  class HealthController implements OnModuleInit {
    constructor(
      private readonly health: HealthService,
      private readonly adapterHost: HttpAdapterHost,
      @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
      private guard: InternalNetworkGuard,
      private readonly moduleRef: ModuleRef,
      @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
      private readonly prometheus: HealthMetrics,
    ) {}

    /**
     * Swaps in the `guard` option's subclass, once every provider is constructed: the app's own
     * instance when it provides one, else one created in this module.
     */
    async onModuleInit(): Promise<void> {
      const { guard } = this.options;
      if (guard === InternalNetworkGuard) return;
      try {
        this.guard = this.moduleRef.get(guard, { strict: false });
      } catch {
        this.guard = await this.moduleRef.create(guard);
      }
    }

    /** Is the process alive? No indicator runs. */
    @Get('live')
    live(@Req() request: HttpRequest, @Res() response: unknown) {
      return this.serve(request, response, 'live');
    }

    /** Can it serve traffic? The readiness indicators; 503 until start-up has completed. */
    @Get('ready')
    ready(@Req() request: HttpRequest, @Res() response: unknown) {
      return this.serve(request, response, 'ready');
    }

    /** Has it finished initialising? Latches to 200 once it has. */
    @Get('startup')
    startup(@Req() request: HttpRequest, @Res() response: unknown) {
      return this.serve(request, response, 'startup');
    }

    /** Every indicator and the process diagnostics, for operators. */
    @Get('deep')
    deep(@Req() request: HttpRequest, @Res() response: unknown) {
      return this.serve(request, response, 'deep');
    }

    /** One readiness check (internal callers only); 404 for a name the probe does not have. */
    @Get('ready/:name')
    readyOne(@Req() request: HttpRequest, @Res() response: unknown, @Param('name') name: string) {
      return this.serveOne(request, response, 'ready', name);
    }

    /** One check of any kind (internal callers only); 404 for an unknown name. */
    @Get('deep/:name')
    deepOne(@Req() request: HttpRequest, @Res() response: unknown, @Param('name') name: string) {
      return this.serveOne(request, response, 'deep', name);
    }

    /** Prometheus metrics (the `metrics` option; internal callers only); 200 even when unhealthy. */
    @Get('metrics')
    metrics(@Req() request: HttpRequest, @Res() response: unknown) {
      if (!this.prometheus.enabled) return this.notFound(request, response);
      return this.decide(request, 'internal', (internal) => {
        if (!internal) return this.deny(request, response);
        return this.prometheus.render().then(
          ({ contentType, body }) => this.send(response, 200, contentType, body),
          (error: unknown) => {
            this.logger.error(`The metrics could not be rendered: ${String(error)}`);
            this.send(response, 500, TEXT, 'metrics unavailable\n');
          },
        );
      });
    }

    private serve(request: HttpRequest, response: unknown, probe: ProbeName): void | Promise<void> {
      const access = this.options.access[probe];
      return this.decide(request, access, (internal) => {
        // What to read (?verbose, ?exclude, Accept: text/plain) is for internal callers only.
        if (internal) return this.answer(response, probe, readingOf(request));
        if (access === 'status') return this.answer(response, probe, STATUS_ONLY);
        return this.deny(request, response);
      });
    }

    private serveOne(
      request: HttpRequest,
      response: unknown,
      probe: 'ready' | 'deep',
      name: string,
    ): void | Promise<void> {
      return this.decide(request, 'internal', (internal) => {
        if (!internal) return this.deny(request, response);
        const reading = readingOf(request);
        let answer: ReturnType<HealthService['answerOne']>;
        try {
          answer = this.health.answerOne(probe, name);
        } catch (error) {
          return this.writeUnexpected(response, probe, error);
        }
        if (answer === undefined) return this.notFound(request, response);
        const write = (settled: ProbeAnswer) => this.write(response, settled, reading, name);
        return answer instanceof Promise
          ? answer.then(write, (error: unknown) => this.writeUnexpected(response, probe, error))
          : write(answer);
      });
    }

    /** Runs `next` with whether the caller is internal (always, on a public route). */
    private decide(
      request: HttpRequest,
      access: ProbeAccess,
      next: (internal: boolean) => void | Promise<void>,
    ): void | Promise<void> {
      if (access === 'public') return next(true);
      // Only a real `true` admits: a guard override returning anything else fails closed.
      const proceed = (admitted: unknown) => next(admitted === true);
      let admitted: unknown;
      try {
        admitted = this.guard.admits(request);
      } catch (error) {
        return this.guardFailed(error, proceed);
      }
      if (!isThenable(admitted)) return proceed(admitted);
      return Promise.resolve(admitted).then(proceed, (error: unknown) =>
        this.guardFailed(error, proceed),
      );
    }

    /** A guard override that throws admits nobody: the caller is treated as external. */
    private guardFailed(error: unknown, proceed: (admitted: unknown) => void | Promise<void>) {
      this.logger.error(`The health route guard failed: ${String(error)}`);
      return proceed(false);
    }

    private answer(response: unknown, probe: ProbeName, reading: Reading): void | Promise<void> {
      try {
        const answer = this.health.answer(probe, reading.exclude);
        if (!(answer instanceof Promise)) return this.write(response, answer, reading, probe);
        return answer.then(
          (settled) => this.write(response, settled, reading, probe),
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
        STATUS_ONLY,
        probe,
      );
    }

    private write(response: unknown, answer: ProbeAnswer, reading: Reading, subject: string): void {
      if (!reading.full) {
        this.send(response, answer.statusCode, HEALTH_JSON, STATUS_ONLY_BODY[answer.report.status]);
      } else if (reading.verbose) {
        this.send(response, answer.statusCode, TEXT, renderText(subject, answer.report));
      } else {
        this.send(response, answer.statusCode, HEALTH_JSON, answer.body);
      }
    }

    /** The answer of an unknown check: Nest's own 404, as for any route that does not exist. */
    private notFound(request: HttpRequest, response: unknown): void {
      const raw = rawRequest(request) as { method?: string; url?: string; originalUrl?: string };
      const body = new NotFoundException(`Cannot ${raw.method} ${raw.originalUrl ?? raw.url}`);
      this.send(
        response,
        404,
        'application/json; charset=utf-8',
        JSON.stringify(body.getResponse()),
      );
    }

    private deny(request: HttpRequest, response: unknown): void {
      let denial: HttpException;
      try {
        denial = this.guard.denial(request);
      } catch (error) {
        this.logger.error(`The health route guard's denial() failed: ${String(error)}`);
        denial = new ForbiddenException();
      }
      const status = denial.getStatus();
      const body = JSON.stringify(denial.getResponse());
      // A 404 must look exactly like Nest's own answer for a route that does not exist.
      const cacheControl = status === 404 ? null : 'no-store';
      this.send(response, status, 'application/json; charset=utf-8', body, cacheControl);
    }

    private send(
      response: unknown,
      status: number,
      contentType: string,
      body: string,
      cacheControl: string | null = 'no-store',
    ): void {
      // Express hands over Node's own response: written directly, it skips Express' send(),
      // which would hash the body for an ETag (and could answer 304) on every probe.
      if (response instanceof ServerResponse) {
        response.statusCode = status;
        if (cacheControl) response.setHeader('Cache-Control', cacheControl);
        response.setHeader('Content-Type', contentType);
        response.setHeader('Content-Length', Buffer.byteLength(body));
        response.end(body);
        return;
      }
      const http = this.adapterHost.httpAdapter;
      if (cacheControl) http.setHeader(response, 'Cache-Control', cacheControl);
      http.setHeader(response, 'Content-Type', contentType);
      http.reply(response, body, status);
    }
  }
  return HealthController;
}
