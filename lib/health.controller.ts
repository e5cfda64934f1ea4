import {
  Controller,
  ForbiddenException,
  Get,
  type HttpException,
  Inject,
  type LoggerService,
  NotFoundException,
  type OnModuleInit,
  Param,
  Req,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ServerResponse } from 'node:http';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from './health.constants.js';
import type { ResolvedHealthOptions } from './health.options.js';
import { HealthMetrics } from './health.metrics.js';
import { HealthService } from './health.service.js';
import type { ProbeAccess } from './interfaces/health-module-options.interface.js';
import { rawRequest, type HttpRequest } from './http.request.js';
import { InternalNetworkGuard } from './internal-network.guard.js';
import { attempt, isThenable, andThen, type Maybe } from './maybe.js';
import { checkAccess, type ProbeDefinition } from './probe.definitions.js';
import type { ProbeResult } from './probe.evaluator.js';
import {
  readingOf,
  STATUS_ONLY,
  TEXT,
  toHttpAnswer,
  unexpectedAnswer,
  type HttpAnswer,
  type Reading,
} from './http.answer.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * @internal Creates the controller of the health routes: the HTTP adapter of the probes. Its
 * prefix and its routes (one per probe and group of the table, see `defineProbeRoutes`) are set
 * when the options are resolved, before Nest registers routes.
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

    /** A probe or group, read as the caller may read it. */
    serveProbe(request: HttpRequest, response: unknown, probe: ProbeDefinition) {
      const { access } = probe;
      return this.decide(request, access, (internal) => {
        // What to read (?verbose, ?exclude, Accept: text/plain) is for internal callers only.
        const reading = internal ? readingOf(request) : STATUS_ONLY;
        if (!internal && access !== 'status') return this.deny(request, response);
        return this.write(response, probe.name, reading, () =>
          this.health.answer(probe.name, reading.exclude),
        );
      });
    }

    /** One check of a probe or group; 404 for a name it does not have. */
    serveCheck(request: HttpRequest, response: unknown, probe: ProbeDefinition, name: string) {
      return this.decide(request, checkAccess(probe), (internal) => {
        if (!internal) return this.deny(request, response);
        return this.write(
          response,
          name,
          readingOf(request),
          () => this.health.answerCheck(probe.name, name),
          () => this.notFound(request, response),
        );
      });
    }

    /** Runs `next` with whether the caller is internal (always, on a public route). */
    private decide(
      request: HttpRequest,
      access: ProbeAccess,
      next: (internal: boolean) => Maybe<void>,
    ): Maybe<void> {
      if (access === 'public') return next(true);
      // Only a real `true` admits: a guard override returning anything else fails closed.
      const proceed = (admitted: unknown) => next(admitted === true);
      const failed = (error: unknown) => {
        // A guard override that throws admits nobody: the caller is treated as external.
        this.logger.error(`The health route guard failed: ${String(error)}`);
        return proceed(false);
      };
      return attempt(() => {
        const admitted = this.guard.admits(request);
        return isThenable(admitted)
          ? Promise.resolve(admitted).then(proceed, failed)
          : proceed(admitted);
      }, failed);
    }

    /**
     * Writes what `answer` gives (`missing` when it gives nothing); a bug of ours still answers
     * like a failed probe, never as a 500 with a stack.
     */
    private write(
      response: unknown,
      subject: string,
      reading: Reading,
      answer: () => Maybe<ProbeResult> | undefined,
      missing: () => void = () => undefined,
    ): Maybe<void> {
      const fallback = (error: unknown) => {
        this.logger.error(`The ${subject} probe failed unexpectedly`, (error as Error)?.stack);
        this.reply(response, unexpectedAnswer(), STATUS_ONLY, subject);
      };
      return attempt(() => {
        const pending = answer();
        if (pending === undefined) return missing();
        return andThen(pending, (result) =>
          this.reply(response, toHttpAnswer(result), reading, subject),
        );
      }, fallback);
    }

    private reply(response: unknown, answer: HttpAnswer, reading: Reading, subject: string): void {
      const { statusCode } = answer;
      if (!reading.full) this.send(response, statusCode, answer.contentType, answer.statusBody);
      else if (reading.verbose) this.send(response, statusCode, TEXT, answer.text(subject));
      else this.send(response, statusCode, answer.contentType, answer.body);
    }

    /** The answer for an unknown check: Nest's own 404, as for any route that does not exist. */
    private notFound(request: HttpRequest, response: unknown): void {
      const raw = rawRequest(request) as { method?: string; url?: string; originalUrl?: string };
      const body = new NotFoundException(`Cannot ${raw.method} ${raw.originalUrl ?? raw.url}`);
      this.send(response, 404, JSON_TYPE, JSON.stringify(body.getResponse()));
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
      this.send(response, status, JSON_TYPE, body, status === 404 ? null : 'no-store');
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

interface ProbeRoutes {
  serveProbe(request: unknown, response: unknown, probe: ProbeDefinition): Maybe<void>;
  serveCheck(
    request: unknown,
    response: unknown,
    probe: ProbeDefinition,
    name: string,
  ): Maybe<void>;
}

/** Adds a handler to the controller's prototype, as the decorators on a written method would. */
function route(
  controller: Type<unknown>,
  key: string,
  path: string,
  handler: (this: ProbeRoutes, ...args: never[]) => unknown,
  withName: boolean,
): void {
  const proto = controller.prototype as Record<string, unknown>;
  Object.defineProperty(proto, key, { value: handler, configurable: true, writable: true });
  const descriptor = Object.getOwnPropertyDescriptor(proto, key)!;
  Req()(proto, key, 0);
  Res()(proto, key, 1);
  if (withName) Param('name')(proto, key, 2);
  Get(path)(proto, key, descriptor);
}

/**
 * @internal Adds the routes of the probes' table to the controller: `<name>` for each probe and
 * group, and `<name>/:name` for one of its checks where it answers for them. Called when the
 * options are resolved, before Nest reads the controller's routes.
 */
export function defineProbeRoutes(
  controller: Type<unknown>,
  probes: readonly ProbeDefinition[],
): void {
  for (const probe of probes) {
    route(
      controller,
      probeRouteKey(probe),
      probe.name,
      function (request, response) {
        return this.serveProbe(request, response, probe);
      },
      false,
    );
    if (!probe.checkRoutes) continue;
    route(
      controller,
      checkRouteKey(probe),
      `${probe.name}/:name`,
      function (request, response, name: string) {
        return this.serveCheck(request, response, probe, name);
      },
      true,
    );
  }
}

/** @internal The controller method of a probe's route. */
export const probeRouteKey = (probe: ProbeDefinition) => `probe ${probe.name}`;
/** @internal The controller method of the route of one of a probe's checks. */
export const checkRouteKey = (probe: ProbeDefinition) => `probe ${probe.name} check`;
